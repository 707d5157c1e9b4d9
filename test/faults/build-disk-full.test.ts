// A build whose home fills up mid-restore: the error names the filesystem and its free space, the
// (unmasked) staging disk is removed, and nothing is published or left mounted, running or alive
// in the kernel (a frozen or lazily detached XFS on a loop device whose FUSE export is gone).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../../packages/core/src/build/index.js";
import { createSampleDump } from "../../packages/core/src/engine/index.js";
import { DiskFullError, ImageNotFoundError } from "../../packages/core/src/errors.js";
import { parseImageRef } from "../../packages/core/src/image/reference.js";
import { silentReporter } from "../../packages/core/src/reporter.js";
import { makeWorld, type World } from "../integration/clones/fixture.js";
import { leaksUnder, strandedFilesystems, strandedSince } from "./leaks.js";

const canRun = process.getuid?.() === 0 && existsSync("/dev/fuse");

describe.skipIf(!canRun)("a build on a disk that fills up", () => {
  let world: World;
  let home: string;
  beforeAll(async () => {
    world = await makeWorld("dbclone-buildfull-");
    home = path.join(world.root, "small-home");
    mkdirSync(home);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=24m,mode=0711", "tmpfs", home]);
  });
  afterAll(async () => {
    await world?.cleanup(); // unmounts everything under the root, the tmpfs included
  });

  it("fails with the filesystem and its free space named, and removes the staging", async () => {
    // Before: filesystems earlier runs may have stranded (they need a reboot; this run must add none).
    const strandedBefore = strandedFilesystems(world.root);
    const dump = path.join(world.root, "shop.dump");
    await createSampleDump(dump, { sizeMb: 2, seed: 9 });
    const failed = buildImage({
      unmasked: { reason: "synthetic test data" },
      repository: world.repository,
      name: "shop",
      version: "v1",
      sources: [{ kind: "dump", path: dump }],
      home,
      reporter: silentReporter,
    });
    const error = await failed.then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(DiskFullError);
    expect(error!.message).toMatch(/no space left while building shop:v1, on .*(tmpfs|xfs).*: [\d.]+ (B|KiB|MiB|GiB) free of [\d.]+ (KiB|MiB|GiB)/);
    await expect(world.repository.resolve(parseImageRef("shop:v1"))).rejects.toThrow(ImageNotFoundError);
    expect(leaksUnder(world.root, []).filter((l) => !l.includes(`mount ${home}`))).toEqual([]);
    expect(readdirSync(path.join(home, "work"))).toEqual([]);
    // A disk whose host filled up must still be unmounted for real: no XFS left alive in the
    // kernel on a loop device that lost its FUSE export (losetup shows it as "(/)").
    expect(strandedSince(strandedBefore, world.root)).toEqual([]);
  }, 180_000);
});
