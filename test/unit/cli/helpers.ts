// Run the CLI in-process with captured output, and publish small real images to a temp repository.
import { promises as fs } from "node:fs";
import path from "node:path";
import { main } from "../../../packages/cli/src/main.js";
import { sha256File } from "../../../packages/core/src/image/digest.js";
import type { ImageManifest } from "../../../packages/core/src/image/manifest.js";
import { openRepository } from "../../../packages/core/src/repository/index.js";
import type { PublishedImage } from "../../../packages/core/src/repository/types.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(["node", "dbclone", ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env,
  });
  return { code, stdout, stderr };
}

/** Publish `name:version` with a small disk blob of random bytes (the repository does not read it). */
export async function publishFixture(repoDir: string, home: string, name: string, version: string, sizeBytes = 4096): Promise<PublishedImage> {
  const disk = path.join(home, `${name.replace(/\//g, "_")}-${version}.blob`);
  await fs.mkdir(home, { recursive: true });
  await fs.writeFile(disk, Buffer.alloc(sizeBytes, version));
  const now = new Date().toISOString();
  const manifest: ImageManifest = {
    schemaVersion: 1,
    name,
    version,
    created: now,
    engine: { kind: "postgres", version: "15.8" },
    platform: { os: "linux", diskFormat: "qcow2" },
    databases: [{ name: "orders", sizeBytes: 1_000_000, tables: [] }],
    disk: { digest: await sha256File(disk), sizeBytes, virtualSizeBytes: 1 << 30 },
    source: { kind: "dump", description: "orders.dump", capturedAt: now },
    build: { startedAt: now, finishedAt: now, toolVersion: "test" },
    labels: { team: "shop" },
  };
  const repo = await openRepository(repoDir, { cacheDir: path.join(home, "cache") });
  return repo.push(manifest, disk);
}

/** Every file under `dir` (relative), for "nothing was written" checks; [] when it does not exist. */
export async function listTree(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.map(String).sort();
}
