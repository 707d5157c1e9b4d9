// Small real repositories for lineage/prune tests: versions with tiny random blobs, optional parents.
import { mkdtempSync, rmSync } from "node:fs";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sha256File } from "../../../packages/core/src/image/digest.js";
import type { ImageManifest } from "../../../packages/core/src/image/manifest.js";
import { openRepository } from "../../../packages/core/src/repository/index.js";
import type { PublishedImage, Repository } from "../../../packages/core/src/repository/types.js";

export interface LineageWorld {
  root: string;
  repository: Repository;
  publish(
    version: string,
    opts?: { parent?: PublishedImage; minutes?: number; commit?: string; rows?: number; extraColumn?: boolean; sizeBytes?: number },
  ): Promise<PublishedImage>;
  cleanup(): void;
}

export async function makeLineageWorld(): Promise<LineageWorld> {
  const root = mkdtempSync(path.join(os.tmpdir(), "dbclone-lineage-"));
  const repository = await openRepository(path.join(root, "repo"), { cacheDir: path.join(root, "cache") });
  return {
    root,
    repository,
    async publish(version, opts = {}) {
      const disk = path.join(root, `${version}.blob`);
      const sizeBytes = opts.sizeBytes ?? 4096;
      await fs.writeFile(disk, Buffer.alloc(sizeBytes, version));
      const when = new Date(Date.UTC(2026, 0, 1, 0, opts.minutes ?? 0)).toISOString();
      const columns = [{ name: "id", type: "integer", nullable: false }, ...(opts.extraColumn ? [{ name: "note", type: "text", nullable: true }] : [])];
      const manifest: ImageManifest = {
        schemaVersion: 1,
        name: "shop",
        version,
        created: when,
        engine: { kind: "postgres", version: "15.8" },
        platform: { os: "linux", diskFormat: "qcow2" },
        databases: [{ name: "shop", sizeBytes: 1000, tables: [{ schema: "public", name: "orders", rowEstimate: opts.rows ?? 10, sizeBytes: 8192, columns }] }],
        disk: { digest: await sha256File(disk), sizeBytes, virtualSizeBytes: 1 << 30 },
        ...(opts.parent ? { parent: opts.parent.manifestDigest } : {}),
        source: { kind: opts.parent ? "clone" : "dump", description: "test", capturedAt: when },
        ...(opts.commit ? { git: { commit: opts.commit } } : {}),
        build: { startedAt: when, finishedAt: when, toolVersion: "test", actor: "alice" },
        labels: {},
      };
      return repository.push(manifest, disk);
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
