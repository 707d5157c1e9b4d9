import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RepositoryError, UsageError } from "../../../packages/core/src/errors.js";
import { OciRepository, openRepository, readRepositoryConfig } from "../../../packages/core/src/repository/index.js";
import { makeDiskFile, manifestForDisk } from "../_helpers/manifest.js";
import { snapshot } from "./snapshot.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-open-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("openRepository", () => {
  it("opens a new path lazily and a file:// URL to the same repository", async () => {
    const root = path.join(dir, "new", "repo");
    const repo = await openRepository(root, { cacheDir: path.join(dir, "cache") });
    expect(await snapshot(root)).toEqual(["<missing>"]);
    const disk = await makeDiskFile(dir);
    await repo.push(manifestForDisk(disk), disk.path);
    const again = await openRepository(pathToFileURL(root).href, { cacheDir: path.join(dir, "cache") });
    expect((await again.list()).map((s) => s.version)).toEqual(["1.0.0"]);
  });

  it("accepts an empty directory", async () => {
    await mkdir(path.join(dir, "empty"));
    await expect(openRepository(path.join(dir, "empty"))).resolves.toBeDefined();
  });

  it("refuses a non-empty directory that is not a repository, writing nothing", async () => {
    const root = path.join(dir, "docs");
    await mkdir(root);
    await writeFile(path.join(root, "a.txt"), "x");
    const before = await snapshot(root);
    await expect(openRepository(root)).rejects.toThrow(RepositoryError);
    await expect(openRepository(root)).rejects.toThrow(/is not a dbclone repository .* pass an empty or new directory/);
    expect(await snapshot(root)).toEqual(before);
  });

  it("refuses a regular file", async () => {
    const file = path.join(dir, "file");
    await writeFile(file, "x");
    await expect(openRepository(file)).rejects.toThrow(/is a file, not a directory/);
  });

  it("opens oci:// as an OCI registry repository and rejects other schemes", async () => {
    expect(await openRepository("oci://ghcr.io/acme/images", { cacheDir: path.join(dir, "cache") })).toBeInstanceOf(OciRepository);
    await expect(openRepository("s3://bucket/x")).rejects.toThrow(UsageError);
  });

  it("refuses a repository written by a newer format", async () => {
    const root = path.join(dir, "future");
    await mkdir(root);
    await writeFile(path.join(root, "dbclone-repository.json"), JSON.stringify({ format: 99, config: {} }));
    await expect(openRepository(root)).rejects.toThrow(/format 99, newer than this dbclone understands/);
  });
});

it("reports bad input as a single line", async () => {
  const file = path.join(dir, "file");
  await writeFile(file, "x");
  const errors = await Promise.all([
    openRepository(file).catch((e: Error) => e),
    openRepository("s3://x/y").catch((e: Error) => e),
    openRepository("").catch((e: Error) => e),
  ]);
  for (const e of errors) {
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).not.toContain("\n");
  }
});

describe("readRepositoryConfig", () => {
  it("reads maxTtl as seconds or a duration", async () => {
    const root = path.join(dir, "cfg");
    await mkdir(root);
    expect(await readRepositoryConfig(root)).toEqual({});
    await writeFile(path.join(root, "dbclone-repository.json"), JSON.stringify({ format: 1, config: { maxTtl: "8h" } }));
    expect(await readRepositoryConfig(root)).toEqual({ maxTtlSeconds: 28800 });
    expect(await readRepositoryConfig(await openRepository(root))).toEqual({ maxTtlSeconds: 28800 });
    await writeFile(path.join(root, "dbclone-repository.json"), JSON.stringify({ format: 1, config: { maxTtlSeconds: 600 } }));
    expect(await readRepositoryConfig(root)).toEqual({ maxTtlSeconds: 600 });
    await writeFile(path.join(root, "dbclone-repository.json"), JSON.stringify({ format: 1, config: { maxTtl: "soon" } }));
    await expect(readRepositoryConfig(root)).rejects.toThrow(/maxTtl: 'soon' is not a duration/);
  });
});
