// A repository with several images for the catalog tests, published through the real Repository
// API (directory layout): a promoted chain (layer + flattened promote), a masked variant with
// access lists, an unmasked version carrying hostile strings, tags, and audit events by several
// actors. Blobs are small random files: the catalog never reads them.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sha256File } from "../../../packages/core/src/image/index.js";
import type { ImageManifest } from "../../../packages/core/src/image/index.js";
import { openRepository, type PublishedImage, type Repository } from "../../../packages/core/src/repository/index.js";

export const SECRET_PASSWORD = "hunter2-Sup3rSecret";
export const SAMPLED_VALUE = "alice.original@example.com";
export const HOSTILE = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;

export interface CatalogWorld {
  root: string;
  repoDir: string;
  repository: Repository;
  images: Record<string, PublishedImage>;
  cleanup(): void;
}

type Extra = Partial<ImageManifest> & { minutes: number };

/** `location`: an oci:// registry; by default a directory repository inside the world's temp folder. */
export async function makeCatalogWorld(location?: string): Promise<CatalogWorld> {
  const root = mkdtempSync(path.join(os.tmpdir(), "dbclone-catalog-"));
  const repoDir = location ?? path.join(root, "repo");
  const repository = await openRepository(repoDir, { cacheDir: path.join(root, "cache"), oci: { env: {} } });
  let blobNo = 0;
  const publish = async (name: string, version: string, extra: Extra): Promise<PublishedImage> => {
    const disk = path.join(root, `blob-${blobNo++}`);
    await writeFile(disk, randomBytes(2048));
    const when = new Date(Date.UTC(2026, 10, 1, 2, extra.minutes)).toISOString();
    const { minutes: _m, ...fields } = extra;
    const manifest: ImageManifest = {
      schemaVersion: 1,
      name,
      version,
      created: when,
      engine: { kind: "postgres", version: "15.8" },
      platform: { os: "linux", diskFormat: "qcow2", filesystem: "xfs" },
      databases: [
        {
          name: "shop",
          sizeBytes: 7_340_032,
          tables: [
            { schema: "public", name: "customers", rowEstimate: 5000, sizeBytes: 1_048_576, columns: [{ name: "email", type: "text", nullable: false }] },
            { schema: "public", name: "orders", rowEstimate: 20000, sizeBytes: 4_194_304, columns: [{ name: "id", type: "integer", nullable: false }] },
          ],
        },
      ],
      disk: { digest: await sha256File(disk), sizeBytes: 2048, virtualSizeBytes: 1 << 30 },
      source: { kind: "dump", description: "pg_dump of shop", capturedAt: when },
      git: { repository: "acme/shop", commit: "0123456789abcdef0123456789abcdef01234567", ref: "refs/heads/main" },
      build: { runUrl: "https://github.com/acme/shop/actions/runs/42", actor: "nightly-bot", startedAt: when, finishedAt: when, toolVersion: "0.1.0" },
      labels: {},
      ...fields,
    };
    return repository.push(manifest, disk);
  };
  const masking = (variant?: string): NonNullable<ImageManifest["masking"]> => ({
    policyDigest: `sha256:${"ab".repeat(32)}`,
    ...(variant ? { variant } : {}),
    rules: [
      {
        database: "shop",
        table: "public.customers",
        column: "email",
        transformer: "email",
        family: "email",
        origin: "policy",
        distinctValues: 4980,
        sample: SAMPLED_VALUE,
      },
      { database: "shop", table: "public.customers", column: "last_name", transformer: "last-name", family: "name", origin: "policy", distinctValues: 1200 },
    ],
    rowsChanged: 5000,
    scan: {
      piiCandidates: [
        {
          database: "shop",
          schema: "public",
          table: "notes",
          column: "body",
          type: "text",
          kinds: ["email"],
          reasons: ["4 of 50 sampled values look like email"],
          examples: [SAMPLED_VALUE],
        },
      ],
    },
    leakScan: { bytesScanned: 73_400_320, probes: 6180, hits: 0 },
  });

  const images: Record<string, PublishedImage> = {};
  images["shop:v1"] = await publish("shop", "v1", { minutes: 0, masking: masking() });
  images["shop:v2"] = await publish("shop", "v2", { minutes: 10, masking: masking() });
  images["shop:v3"] = await publish("shop", "v3", {
    minutes: 20,
    parent: images["shop:v2"]!.manifestDigest,
    source: { kind: "clone", description: "promoted from clone pr-7 of shop:v2", capturedAt: new Date(Date.UTC(2026, 10, 1, 2, 20)).toISOString() },
    masking: { ...masking(), rowsChanged: 0, leakScan: undefined },
    labels: { "dbclone.leak-scan": "not-run (promoted layer)", "dbclone.promoted-from": `shop:v2@${images["shop:v2"]!.manifestDigest}` },
  });
  images["shop:v4"] = await publish("shop", "v4", {
    minutes: 30,
    source: { kind: "clone", description: "flattened promote of shop:v3", capturedAt: new Date(Date.UTC(2026, 10, 1, 2, 30)).toISOString() },
    masking: masking(),
    labels: { "dbclone.promoted-from": `shop:v3@${images["shop:v3"]!.manifestDigest}`, "dbclone.flattened": "true" },
  });
  images["shop-analysts:v1"] = await publish("shop-analysts", "v1", {
    minutes: 40,
    masking: masking("analysts"),
    access: { users: ["dpo-dana", "analyst-ann"], teams: ["acme/analytics"] },
  });
  images["billing:2026.11.01"] = await publish("billing", "2026.11.01", {
    minutes: 50,
    engine: { kind: "postgres", version: "15.8" },
    source: {
      kind: "server",
      description: `live server postgres://admin:${SECRET_PASSWORD}@db.internal:5432/billing ${HOSTILE}`,
      capturedAt: new Date(Date.UTC(2026, 10, 1, 2, 50)).toISOString(),
    },
    build: {
      runUrl: "javascript:window.__pwned=3",
      actor: `"><svg onload="window.__pwned=4">`,
      startedAt: "2026-11-01T02:50:00Z",
      finishedAt: "2026-11-01T02:51:00Z",
      toolVersion: "0.1.0",
    },
    labels: { owner: HOSTILE, conn: `host=db user=app password=${SECRET_PASSWORD} dbname=billing` },
  });
  await repository.tag(images["shop:v4"]!, "latest");
  await repository.tag(images["shop:v2"]!, "stable");
  for (const [actor, action, image] of [
    ["bob", "clone", "shop:v4"],
    ["carol", "pull", "shop-analysts:v1"],
    ["mallory", "denied", "shop-analysts:v1"],
    ["bob", "teardown", "shop:v4"],
  ] as const) {
    await repository.audit.append({
      actor,
      action,
      outcome: action === "denied" ? "denied" : "success",
      image,
      digest: images[image]!.manifestDigest,
      clone: action === "clone" || action === "teardown" ? "pr-42" : undefined,
    });
  }
  return { root, repoDir, repository, images, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
