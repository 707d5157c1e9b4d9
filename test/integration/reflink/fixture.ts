// What the reflink driver has on the machine for one DBCLONE_HOME, read straight from the kernel
// and the filesystem (not through the driver), so a leak in the driver cannot hide itself.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ReflinkDriver } from "../../../packages/core/src/disk/index.js";
import { sha256File } from "../../../packages/core/src/image/digest.js";
import { forceCleanup } from "../disk/cleanup.js";

const under = (p: string, root: string) => p === root || p.startsWith(`${root}/`);

export function loopsUnder(root: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync("/sys/block").filter((n) => n.startsWith("loop"))) {
    try {
      const backing = readFileSync(`/sys/block/${name}/loop/backing_file`, "utf8").trim();
      if (under(backing, root)) out.push(`${name} ${backing}`);
    } catch {
      // not attached
    }
  }
  return out;
}

export const mountsUnder = (root: string): string[] =>
  readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((m): m is string => !!m && under(m, root));

/** Everything of the pool besides the pool itself (its mount and loop) and expanded images. */
export function poolLeftovers(home: string): string[] {
  const pool = path.join(home, "pool");
  const left = [
    ...loopsUnder(pool).map((l) => `loop ${l}`),
    ...mountsUnder(path.join(home, "clones")).map((m) => `mount ${m}`),
    ...mountsUnder(pool)
      .filter((m) => m !== pool)
      .map((m) => `mount ${m}`),
  ];
  const clones = path.join(pool, "clones");
  if (existsSync(clones)) left.push(...readdirSync(clones).map((f) => `file ${path.join(clones, f)}`));
  const images = path.join(pool, "images");
  if (existsSync(images))
    left.push(
      ...readdirSync(images)
        .filter((f) => !/^[0-9a-f]{64}\.raw$|^index\.json/.test(f))
        .map((f) => `file ${path.join(images, f)}`),
    );
  return left;
}

export const expandedImages = (home: string): string[] => {
  const images = path.join(home, "pool", "images");
  return existsSync(images) ? readdirSync(images).filter((f) => /^[0-9a-f]{64}\.raw$/.test(f)) : [];
};

/** Unmount and delete a home's pool (after its clones are gone); safe when there is none. */
export async function removePool(home: string): Promise<void> {
  await new ReflinkDriver({ home, stateDir: path.join(home, "state") }).removePool();
}

/** A read-only qcow2 blob (320 MiB virtual) holding an XFS with `data/filler` of `dataMb` MiB of random bytes. */
export function makeXfsImage(root: string, name: string, dataMb: number): string {
  const raw = path.join(root, `${name}.src.raw`);
  const mnt = path.join(root, `${name}.src.mnt`);
  execFileSync("truncate", ["-s", "320M", raw]);
  execFileSync("mkfs.xfs", ["-q", "-m", "reflink=1", raw]);
  mkdirSync(mnt);
  execFileSync("mount", ["-o", "loop", raw, mnt]);
  try {
    mkdirSync(path.join(mnt, "data"));
    execFileSync("sh", ["-c", `head -c ${dataMb * 1024 * 1024} /dev/urandom > '${path.join(mnt, "data", "filler")}'`]);
  } finally {
    execFileSync("umount", [mnt]);
    rmSync(mnt, { recursive: true });
  }
  const file = path.join(root, `${name}.qcow2`);
  execFileSync("qemu-img", ["convert", "-q", "-O", "qcow2", raw, file]);
  rmSync(raw);
  chmodSync(file, 0o444);
  return file;
}

/**
 * One test file's scratch directory (0711, so the database's OS user may pass): its image blobs
 * (`makeXfsImage`, with digests), the homes it makes and drivers for them. `tearDown` removes
 * every home's pool, then anything left under the root, and returns what was still mounted or
 * attached before that last sweep (the tests expect nothing).
 */
export function poolScratch(prefix: string, imageSizesMb: Record<string, number>) {
  let root = "";
  const images: Record<string, { file: string; digest: string }> = {};
  const homes: string[] = [];
  const driverFor = (home: string, poolSizeBytes?: number) => new ReflinkDriver({ home, stateDir: path.join(home, "state"), poolSizeBytes });
  return {
    images,
    driverFor,
    root: () => root,
    async setUp(): Promise<void> {
      root = mkdtempSync(path.join(os.tmpdir(), prefix));
      chmodSync(root, 0o711);
      for (const [name, mb] of Object.entries(imageSizesMb)) {
        const file = makeXfsImage(root, name, mb);
        images[name] = { file, digest: await sha256File(file) };
      }
    },
    newHome(name: string): string {
      const home = path.join(root, name);
      mkdirSync(home, { recursive: true, mode: 0o711 });
      homes.push(home);
      return home;
    },
    async tearDown(): Promise<{ mounts: string[]; loops: string[] }> {
      for (const home of homes)
        await driverFor(home)
          .removePool()
          .catch(() => undefined);
      const left = { mounts: mountsUnder(root), loops: loopsUnder(root) };
      forceCleanup(root);
      rmSync(root, { recursive: true, force: true });
      return left;
    },
  };
}
