// Promote a reflink clone: its raw pool copy becomes a publishable qcow2 — a layer over the
// version it was cloned from (only what it changed), or a flattened single-layer base. The clone
// file is clone-written data: read as bytes or converted as `-f raw` (never probed, so no header
// inside it can name a backing file), and the parents are assembled explicitly.
import path from "node:path";
import { open, stat } from "node:fs/promises";
import { CloneError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { run } from "../../runtime/exec.js";
import type { SealedDisk } from "../types.js";
import { startExport, stopExport } from "../qcow2/export.js";
import { sealInto } from "../qcow2/layers.js";
import { BASE_CLUSTER_OPTS, LAYER_CLUSTER_OPTS, detachBacking } from "../qcow2/qemu-img.js";
import { dataExtents, differingRanges, type Range } from "./extents.js";

const qemuImg = (args: string[], reporter: Reporter) => run("qemu-img", args, { reporter, timeoutMs: 60 * 60_000, packageHint: "qemu-utils" });

/**
 * What the clone changed, as a qcow2 layer with no backing path: an empty 4 KiB-cluster overlay
 * over the parent chain, served writable over FUSE (the same qemu-storage-daemon export as qcow2
 * clones), receives only the ranges where the clone can differ from its image (extents.ts): its
 * own extents copied, and zeros (stored as zero clusters) where it discarded the image's data.
 * Nothing else is read, so a promote costs what the clone wrote, not the image's size.
 */
export async function sealCloneAsLayer(
  cloneFile: string,
  imageFile: string,
  parentsNearestFirst: string[],
  outFile: string,
  reporter: Reporter,
): Promise<SealedDisk> {
  if (parentsNearestFirst.length === 0) throw new CloneError(`${cloneFile} has no parent layers; a layer needs the chain it was written over.`);
  const parents = parentsNearestFirst.map((p) => path.resolve(p));
  const size = (await stat(cloneFile)).size;
  if ((await stat(imageFile)).size !== size)
    throw new CloneError(`${cloneFile} and its image ${imageFile} differ in size; cannot promote it as a layer (try --flatten).`);
  const ranges = differingRanges(await dataExtents(cloneFile, reporter), await dataExtents(imageFile, reporter));
  return sealInto(outFile, reporter, async (tmp) => {
    // -u: the backing named here only fills clusters not written; the export assembles the chain explicitly.
    await qemuImg(["create", "-q", "-f", "qcow2", "-o", LAYER_CLUSTER_OPTS, "-u", "-b", parents[0]!, "-F", "qcow2", tmp, String(size)], reporter);
    const handle = await startExport(tmp, reporter, parents);
    try {
      await copyRanges(cloneFile, handle.exportFile, ranges);
    } finally {
      await stopExport(handle, reporter);
    }
    await detachBacking(tmp, reporter);
  });
}

const CHUNK = 4 * 1024 * 1024;

async function copyRanges(cloneFile: string, target: string, ranges: { copy: Range[]; zero: Range[] }): Promise<void> {
  const src = await open(cloneFile, "r");
  const dst = await open(target, "r+");
  try {
    const buf = Buffer.alloc(CHUNK);
    for (const r of ranges.copy) {
      for (let at = r.offset; at < r.offset + r.length; at += CHUNK) {
        const n = Math.min(CHUNK, r.offset + r.length - at);
        const { bytesRead } = await src.read(buf, 0, n, at);
        await dst.write(buf, 0, bytesRead, at);
      }
    }
    // Zero writes become zero clusters (the export's detect-zeroes=unmap), hiding the parents' data there.
    const zeros = Buffer.alloc(CHUNK);
    for (const r of ranges.zero) {
      for (let at = r.offset; at < r.offset + r.length; at += CHUNK) await dst.write(zeros, 0, Math.min(CHUNK, r.offset + r.length - at), at);
    }
    await dst.sync();
  } finally {
    await src.close();
    await dst.close();
  }
}

/** The whole clone as one fresh single-layer qcow2 (promote --flatten). */
export async function flattenClone(cloneFile: string, outFile: string, reporter: Reporter): Promise<SealedDisk> {
  return sealInto(outFile, reporter, (tmp) =>
    qemuImg(["convert", "-q", "-f", "raw", "-O", "qcow2", "-o", BASE_CLUSTER_OPTS, path.resolve(cloneFile), tmp], reporter).then(() => undefined),
  );
}
