// A version expanded once into the pool as a raw image: its qcow2 layers (assembled explicitly,
// never through backing paths in their headers) converted to raw, checked, made read-only and
// recorded. One expansion per version and pool (a lock per image); a killed expansion leaves
// only a `<key>.raw.tmp-<pid>-…` file (and maybe its check mount), which gc removes.
import { createHash, randomBytes } from "node:crypto";
import { chmod, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { withFileLock } from "../../util/file-lock.js";
import { CloneError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { run } from "../../runtime/exec.js";
import { diskFullError } from "../../util/disk-full.js";
import { pausePoint } from "../../util/pause-point.js";
import { chainJsonFilename } from "../qcow2/chain-spec.js";
import { checkExpandedImage } from "./data-check.js";
import type { ReflinkPool } from "./pool.js";
import { imageFile } from "./pool-layout.js";

export interface VerifiedLayer {
  file: string;
  /** sha256:<hex>, already verified by the caller. */
  digest: string;
}

const hexOf = (digest: string): string => {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new CloneError(`'${digest}' is not a sha256 digest`);
  return m[1]!;
};

/** A single-layer version is keyed by its disk digest; a layered one by the digest of its ordered layer digests. */
export function expandedKey(layers: VerifiedLayer[]): string {
  if (layers.length === 1) return hexOf(layers[0]!.digest);
  return createHash("sha256")
    .update(layers.map((l) => hexOf(l.digest)).join("\n"))
    .digest("hex");
}

/**
 * The expanded raw image of `layers` (nearest first), made now unless the pool has it. Fast path
 * without any lock: an image file only ever appears by rename once complete, and a copy that
 * races an eviction either opened it first (and copies it whole) or fails and takes the slow path.
 */
export async function expandImage(pool: ReflinkPool, layers: VerifiedLayer[], reporter: Reporter, checkAs?: string): Promise<{ key: string; file: string }> {
  const key = expandedKey(layers);
  const file = imageFile(pool.layout, key);
  if (await pool.index.markUsed(file)) return { key, file };
  await pool.prepare(0, new Set([key]));
  return withFileLock(
    file,
    async () => {
      if (await pool.index.markUsed(file)) return { key, file };
      const why = await pool.index.untrusted(file);
      // Expanded again from the verified blob and renamed over it; live clones keep their own copies.
      if (why !== "missing") reporter.warn(`The expanded image ${file} is ${why}; expanding it again from the verified image.`);
      const started = performance.now();
      let need = 0;
      for (const l of layers) need += (await stat(l.file)).size;
      await pool.prepare(need, new Set([key]));
      const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
      try {
        await convertToRaw(layers, tmp, reporter);
        await pausePoint("expand:converted");
        // Walked as the database's OS user, from a mount it can reach (the images directory is root's).
        const checked = await checkExpandedImage(tmp, `image ${layers[0]!.digest.slice(0, 19)}`, reporter, { asUser: checkAs, mountDir: pool.layout.checkDir });
        const fh = await open(tmp, "r");
        await fh.sync().finally(() => fh.close());
        await chmod(tmp, 0o444);
        await rename(tmp, file);
        const done = await stat(file);
        await pool.index.touch(key, { layers: layers.map((l) => l.digest), bytes: done.blocks * 512, mtimeMs: Math.trunc(done.mtimeMs), size: done.size });
        const seconds = (performance.now() - started) / 1000;
        reporter.info(
          `Expanded ${layers.length > 1 ? `${layers.length} layers` : "the image"} into the reflink pool in ${seconds.toFixed(1)} s (${checked.entries} files checked).`,
        );
        return { key, file };
      } catch (e) {
        throw (await diskFullError(e, [pool.layout.dir], `expanding an image into the reflink pool ${pool.layout.dir}`)) ?? e;
      } finally {
        await rm(tmp, { force: true });
      }
    },
    { waitMs: 60 * 60_000 },
  );
}

async function convertToRaw(layers: VerifiedLayer[], out: string, reporter: Reporter): Promise<void> {
  const files = layers.map((l) => path.resolve(l.file));
  // json: opens every layer read-only with its backing set here; a header's own backing path is never used.
  const source = chainJsonFilename(files[0]!, files.slice(1));
  await run("qemu-img", ["convert", "-O", "raw", source, out], { reporter, packageHint: "qemu-utils", timeoutMs: 60 * 60_000 });
}
