// An expanded image is data: its check refuses links, special files, set-id bits and mixed
// owners inside the data, without following anything. Real XFS images on loop devices (root).
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkExpandedImage } from "../../../packages/core/src/disk/reflink/data-check.js";
import { CloneError } from "../../../packages/core/src/errors.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { forceCleanup } from "../disk/cleanup.js";
import { loopsUnder, mountsUnder } from "./fixture.js";

const canRun = process.platform === "linux" && process.getuid?.() === 0 && existsSync("/dev/loop-control");
const root = mkdtempSync(path.join(os.tmpdir(), "dbclone-datacheck-"));
// The walk runs as the database's OS user (postgres), who must reach the check mounts.
chmodSync(root, 0o711);
let n = 0;

/** A raw XFS image holding an engine file (root's) and a pgdata tree of uid 101, shaped by `shape` (`after`: once owned). */
function image(shape: (pgdata: string) => void, after: (pgdata: string) => void = () => undefined): string {
  const file = path.join(root, `img${++n}.raw`);
  const mnt = path.join(root, `mnt${n}`);
  execFileSync("truncate", ["-s", "320M", file]);
  execFileSync("mkfs.xfs", ["-q", file]);
  mkdirSync(mnt);
  execFileSync("mount", ["-o", "loop", file, mnt]);
  try {
    writeFileSync(path.join(mnt, "dbclone-engine.json"), "{}");
    const pgdata = path.join(mnt, "pgdata");
    mkdirSync(path.join(pgdata, "base"), { recursive: true });
    writeFileSync(path.join(pgdata, "PG_VERSION"), "15\n");
    writeFileSync(path.join(pgdata, "base", "1234"), "rows");
    shape(pgdata);
    execFileSync("chown", ["-R", "--no-dereference", "101:104", pgdata]);
    after(pgdata);
  } finally {
    execFileSync("umount", [mnt]);
  }
  return file;
}

const check = (file: string) => checkExpandedImage(file, "image under test", silentReporter, { asUser: "postgres", mountDir: path.join(root, "check") });

afterAll(() => {
  forceCleanup(root);
  rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!canRun)("checkExpandedImage", () => {
  it("accepts plain data with dbclone's own root-owned engine file, and leaves no mount or loop", async () => {
    const file = image(() => undefined);
    expect((await check(file)).entries).toBeGreaterThanOrEqual(4);
    expect(mountsUnder(root)).toEqual([]);
    expect(loopsUnder(root)).toEqual([]);
  });

  it.each([
    ["a symbolic link (pg_tblspc pointing outside)", (d: string) => symlinkSync("/etc", path.join(d, "pg_tblspc_link")), /symbolic link/],
    ["a hard link", (d: string) => linkSync(path.join(d, "base", "1234"), path.join(d, "base", "5678")), /2 hard links/],
    ["a fifo", (d: string) => execFileSync("mkfifo", [path.join(d, "fifo")]), /neither a file nor a directory/],
    // chown clears set-id bits, so this one is set after the tree is owned.
    ["a set-uid file", (d: string) => writeFileSync(path.join(d, "suid"), "x"), /set-user\/group-id/, (d: string) => chmodSync(path.join(d, "suid"), 0o4755)],
  ])("refuses data holding %s", async (_what, shape, message, after?: (d: string) => void) => {
    const file = image(shape, after);
    const e = await check(file).catch((x: Error) => x);
    expect(e).toBeInstanceOf(CloneError);
    expect((e as Error).message).toMatch(message);
    expect(mountsUnder(root)).toEqual([]);
  });

  it("refuses data of more than one owner", async () => {
    const file = image(
      (d) => writeFileSync(path.join(d, "base", "other"), "x"),
      (d) => chownSync(path.join(d, "base", "other"), 0, 0),
    );
    await expect(check(file)).rejects.toThrow(/2 different owners/);
  });

  it("walks as the database's OS user: a tree only root (or another user) could read is refused, not walked as root", async () => {
    // One owner (uid 4242), private directories: root could walk it, postgres cannot.
    const file = image(
      (d) => mkdirSync(path.join(d, "base", "private")),
      (d) => {
        execFileSync("chown", ["-R", "4242:4242", d]);
        chmodSync(path.join(d, "base"), 0o700);
      },
    );
    const e = await check(file).catch((x: Error) => x);
    expect(e).toBeInstanceOf(CloneError);
    expect((e as Error).message).toMatch(/cannot be read whole by the database's OS user \(postgres\).*Permission denied/);
    expect(mountsUnder(root)).toEqual([]);
    expect(loopsUnder(root)).toEqual([]);
    // The same image walked as root passes: the refusal came from the user switch.
    expect((await checkExpandedImage(file, "image under test", silentReporter, { mountDir: path.join(root, "check") })).entries).toBeGreaterThan(3);
  });
});
