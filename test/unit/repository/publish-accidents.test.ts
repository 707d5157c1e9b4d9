// The directory repository's publish checks, each as the accident it guards against: a concurrent
// delete that removes the blob while a publisher waits for the lock, a disk whose size or digest
// is not the manifest's, a blob group the operator configured, a publisher's leftover temps.
import { readdir, rm, stat } from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DigestMismatchError, RepositoryError, ValidationError, VersionExistsError } from "../../../packages/core/src/errors.js";
import { parseImageRef } from "../../../packages/core/src/image/reference.js";
import { FsRepository } from "../../../packages/core/src/repository/index.js";
import { makeDiskFile, manifestForDisk, type TestDisk } from "../_helpers/manifest.js";

let dir: string;
let root: string;
let repo: FsRepository;
let disk: TestDisk;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-publish-"));
  root = path.join(dir, "repo");
  repo = new FsRepository(root, { cacheDir: path.join(dir, "cache") });
  disk = await makeDiskFile(dir);
});
afterEach(async () => {
  delete process.env.DBCLONE_BLOB_GROUP;
  await rm(dir, { recursive: true, force: true });
});

type Locked = <T>(fn: () => Promise<T>) => Promise<T>;
const blobOf = (d: TestDisk) => path.join(root, "blobs", "sha256", d.digest.slice("sha256:".length));

/** A concurrent `dbclone delete` that removes the (still unreferenced) blob just before each of the first `times` lock waits ends. */
function deleteBlobWhileWaitingForLock(times: number): { waits: () => number } {
  const target = repo as unknown as { locked: Locked };
  const locked = target.locked.bind(repo);
  let waits = 0;
  target.locked = async (fn) => {
    waits++;
    if (waits <= times) await rm(blobOf(disk), { force: true });
    return locked(fn);
  };
  return { waits: () => waits };
}

describe("a concurrent delete removes the blob before the version is linked", () => {
  it("copies the blob again and publishes a version whose disk is there", async () => {
    const probe = deleteBlobWhileWaitingForLock(1);
    await repo.push(manifestForDisk(disk), disk.path);
    expect(probe.waits()).toBeGreaterThanOrEqual(2);
    expect((await stat(blobOf(disk))).size).toBe(disk.sizeBytes);
    expect(await repo.pull(await repo.resolve(parseImageRef("orders-db:1.0.0")))).toBe(blobOf(disk));
  });

  it("gives up after three copies that vanished, naming the image, and links no version", async () => {
    const probe = deleteBlobWhileWaitingForLock(Infinity);
    const error = await repo.push(manifestForDisk(disk), disk.path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RepositoryError);
    expect((error as Error).message).toBe(`blob ${disk.digest} kept vanishing while publishing orders-db:1.0.0 (concurrent deletes); publish again`);
    expect(probe.waits()).toBe(3);
    expect(await readdir(path.join(root, "manifests", "orders-db"))).toEqual([]);
  });
});

describe("two publishers of one version", () => {
  it("the loser of a race with the same disk leaves the winner's blob in place", async () => {
    const results = await Promise.allSettled([1, 2, 3].map(() => repo.push(manifestForDisk(disk), disk.path)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await repo.pull(await repo.resolve(parseImageRef("orders-db:1.0.0")))).toBe(blobOf(disk));
  });

  it("the loser does not remove a blob it did not place (another publisher may be about to link it)", async () => {
    // A blob of this disk is already there, good and not yet referenced by any version.
    await repo.push(manifestForDisk(disk, { name: "seed-db" }), disk.path);
    await rm(path.join(root, "manifests", "seed-db"), { recursive: true });
    const winner = await makeDiskFile(dir);
    const rival = new FsRepository(root, { cacheDir: path.join(dir, "cache") });
    const target = repo as unknown as { locked: Locked };
    const locked = target.locked.bind(repo);
    // While this publisher waits for the lock, the rival publishes the same version with another disk.
    target.locked = async (fn) => {
      target.locked = locked;
      await rival.push(manifestForDisk(winner), winner.path);
      return locked(fn);
    };
    await expect(repo.push(manifestForDisk(disk), disk.path)).rejects.toThrow(VersionExistsError);
    expect((await stat(blobOf(disk))).size).toBe(disk.sizeBytes);
  });
});

describe("a disk that is not the manifest's", () => {
  it("a disk of another size: names the field, both sizes and the file, and writes nothing", async () => {
    const error = await repo.push(manifestForDisk({ ...disk, sizeBytes: 7 }), disk.path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe("disk.sizeBytes");
    expect((error as ValidationError).source).toBe(disk.path);
    expect((error as Error).message).toBe(
      `manifest field 'disk.sizeBytes' is 7 but ${disk.path} holds ${disk.sizeBytes} bytes; rebuild the manifest from this file`,
    );
  });

  it("a disk with another digest: names both digests and the file", async () => {
    const other = await makeDiskFile(dir);
    const error = await repo.push(manifestForDisk({ ...other, digest: disk.digest }), other.path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect((error as Error).message).toBe(
      `${other.path} has digest ${other.digest} but the manifest's disk.digest is ${disk.digest}; rebuild the manifest from this file`,
    );
  });
});

describe("what a publish leaves behind", () => {
  it("only the version's manifest and its blob: no temp file of the manifest or the blob", async () => {
    await repo.push(manifestForDisk(disk), disk.path);
    expect(await readdir(path.join(root, "manifests", "orders-db"))).toEqual(["1.0.0.json"]);
    expect(await readdir(path.join(root, "blobs", "sha256"))).toEqual([disk.digest.slice("sha256:".length)]);
  });

  it("does not rewrite a good blob a second version shares", async () => {
    await repo.push(manifestForDisk(disk), disk.path);
    const before = await stat(blobOf(disk));
    await repo.push(manifestForDisk(disk, { version: "1.0.1" }), disk.path);
    expect((await stat(blobOf(disk))).ino).toBe(before.ino);
  });

  it("gives the blob to the group DBCLONE_BLOB_GROUP names (readers of the repository)", async () => {
    // Root may give any group; anyone else only one of their own.
    const gid = process.getuid?.() === 0 ? 54321 : (process.getgroups?.().find((g) => g !== process.getgid?.()) ?? process.getgid!());
    process.env.DBCLONE_BLOB_GROUP = String(gid);
    await repo.push(manifestForDisk(disk), disk.path);
    const st = await stat(blobOf(disk));
    expect(st.gid).toBe(gid);
    expect(st.uid).toBe(process.getuid!()); // the group changes, the owner does not
    expect(st.mode & 0o777).toBe(0o440);
  });
});
