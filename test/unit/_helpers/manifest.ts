// Builds valid image manifests (and small disk blobs to go with them) for tests in any area.
import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { validateManifest, type ImageManifest } from "../../../packages/core/src/image/manifest.js";

const T0 = "2024-01-01T00:00:00.000Z";
const ZERO_DIGEST = `sha256:${"0".repeat(64)}`;

/** A valid manifest; `overrides` replace top-level fields (pass a whole `disk` etc. to change nested ones). */
export function makeManifest(overrides: Partial<ImageManifest> = {}): ImageManifest {
  const base: ImageManifest = {
    schemaVersion: 1,
    name: "orders-db",
    version: "1.0.0",
    created: T0,
    engine: { kind: "postgres", version: "15" },
    platform: { os: "linux", diskFormat: "qcow2" },
    databases: [
      {
        name: "orders",
        sizeBytes: 8192,
        tables: [
          {
            schema: "public",
            name: "customers",
            rowEstimate: 2,
            sizeBytes: 8192,
            columns: [{ name: "id", type: "integer", nullable: false }],
          },
        ],
      },
    ],
    disk: { digest: ZERO_DIGEST, sizeBytes: 0, virtualSizeBytes: 1 << 30 },
    source: { kind: "dump", description: "test fixture", capturedAt: T0 },
    build: { startedAt: T0, finishedAt: T0, toolVersion: "0.0.0-test" },
    labels: {},
  };
  return validateManifest({ ...base, ...overrides }, "test manifest");
}

export interface TestDisk {
  path: string;
  digest: string;
  sizeBytes: number;
}

/** Write a small disk blob (random bytes unless `content` is given) and return its digest. */
export async function makeDiskFile(
  dir: string,
  content: Buffer | string = randomBytes(4096),
  fileName = `disk-${randomBytes(4).toString("hex")}.qcow2`,
): Promise<TestDisk> {
  const file = path.join(dir, fileName);
  const bytes = typeof content === "string" ? Buffer.from(content) : content;
  await writeFile(file, bytes);
  return { path: file, digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`, sizeBytes: bytes.length };
}

/** A valid manifest whose `disk` describes `disk`. */
export function manifestForDisk(disk: TestDisk, overrides: Partial<ImageManifest> = {}): ImageManifest {
  return makeManifest({ ...overrides, disk: { digest: disk.digest, sizeBytes: disk.sizeBytes, virtualSizeBytes: 1 << 30 } });
}
