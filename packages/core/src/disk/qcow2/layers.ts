// Turning a clone's child disk into a publishable blob: its own clusters as a layer (promote),
// or the whole chain flattened into one base (promote --flatten).
import { chmod, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { silentReporter, type Reporter } from "../../reporter.js";
import type { ChildDisk, SealedDisk } from "../types.js";
import { chainJsonFilename } from "./chain-spec.js";
import { convertFlat, convertTopLayer, detachBacking, imageInfo } from "./qemu-img.js";
import { CloneError } from "../../errors.js";
import { sha256File } from "../../image/digest.js";

/**
 * The clusters the clone wrote, re-packed into 4 KiB clusters (the child's 128 KiB clusters would
 * store every scattered page write as a whole cluster), then stripped of the backing path.
 */
export async function sealChildAsLayer(child: ChildDisk, outFile: string, reporter: Reporter = silentReporter): Promise<SealedDisk> {
  if (child.parents.length === 0) throw new CloneError(`${child.file} has no parent layers; a layer needs the chain it was written over.`);
  const parents = child.parents.map((p) => path.resolve(p));
  return sealInto(outFile, reporter, async (tmp) => {
    await convertTopLayer(chainJsonFilename(path.resolve(child.file), parents), parents[0]!, tmp, reporter);
    await detachBacking(tmp, reporter);
  });
}

/** Every layer's data read through the chain (assembled explicitly) into one fresh qcow2. */
export async function flattenChain(child: ChildDisk, outFile: string, reporter: Reporter = silentReporter): Promise<SealedDisk> {
  const source = child.parents.length
    ? chainJsonFilename(
        path.resolve(child.file),
        child.parents.map((p) => path.resolve(p)),
      )
    : path.resolve(child.file);
  return sealInto(outFile, reporter, (tmp) => convertFlat(source, tmp, reporter));
}

/** Write via `make` to a temp name, fsync, make read-only, hash, rename into place. */
export async function sealInto(outFile: string, reporter: Reporter, make: (tmp: string) => Promise<void>): Promise<SealedDisk> {
  outFile = path.resolve(outFile);
  const tmp = `${outFile}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await make(tmp);
    const fh = await open(tmp, "r");
    await fh.sync().finally(() => fh.close());
    await chmod(tmp, 0o444);
    const digest = await sha256File(tmp);
    await rename(tmp, outFile);
    const info = await imageInfo(outFile, reporter);
    const s = await stat(outFile);
    return { file: outFile, digest, sizeBytes: s.size, virtualSizeBytes: info["virtual-size"] };
  } finally {
    await rm(tmp, { force: true });
  }
}
