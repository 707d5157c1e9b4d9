// One fake clone world per test: a temp directory with a real directory repository holding shop:1.0.0,
// a home for the clone registry, and the FakeWorld the mocked host modules (fake-host.ts) answer from.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { FsRepository } from "../../../packages/core/src/repository/index.js";
import type { PublishedImage } from "../../../packages/core/src/repository/types.js";
import { makeDiskFile, manifestForDisk } from "../_helpers/manifest.js";
import { fakeHost } from "./fake-host.js";
import { FakeWorld } from "./fake-platform.js";

export interface CloneWorld {
  dir: string;
  home: string;
  world: FakeWorld;
  repository: FsRepository;
  image: PublishedImage;
}

export async function setUpCloneWorld(prefix: string): Promise<CloneWorld> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const repository = new FsRepository(path.join(dir, "repo"), { cacheDir: path.join(dir, "cache") });
  const disk = await makeDiskFile(dir);
  const image = await repository.push(manifestForDisk(disk, { name: "shop", version: "1.0.0" }), disk.path);
  const world = new FakeWorld();
  fakeHost.world = world;
  fakeHost.chosen = [];
  return { dir, home: path.join(dir, "home"), world, repository, image };
}

export async function tearDownCloneWorld(dir: string): Promise<void> {
  fakeHost.world = undefined;
  await rm(dir, { recursive: true, force: true });
}
