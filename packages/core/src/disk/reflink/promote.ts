// Promote a reflink clone: its raw pool copy becomes a publishable qcow2 — a layer over the
// version it was cloned from (only what differs from that chain), or a flattened single-layer
// base. The clone file is clone-written data: always opened as `-f raw` (never probed, so no
// header inside it can name a backing file), and the parents are assembled explicitly.
import path from "node:path";
import { stat } from "node:fs/promises";
import { CloneError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { run } from "../../runtime/exec.js";
import type { SealedDisk } from "../types.js";
import { chainJsonFilename } from "../qcow2/chain-spec.js";
import { sealInto } from "../qcow2/layers.js";
import { BASE_CLUSTER_OPTS, LAYER_CLUSTER_OPTS, detachBacking } from "../qcow2/qemu-img.js";

const qemuImg = (args: string[], reporter: Reporter) => run("qemu-img", args, { reporter, timeoutMs: 60 * 60_000, packageHint: "qemu-utils" });

/**
 * The clusters where the clone differs from its parents, as a qcow2 layer with no backing path:
 * an empty overlay whose backing is the clone (raw) is rebased (safe mode) onto the parent chain,
 * which compares both and writes only what differs (4 KiB clusters, as qcow2 layers use).
 */
export async function sealCloneAsLayer(cloneFile: string, parentsNearestFirst: string[], outFile: string, reporter: Reporter): Promise<SealedDisk> {
  if (parentsNearestFirst.length === 0) throw new CloneError(`${cloneFile} has no parent layers; a layer needs the chain it was written over.`);
  const parents = parentsNearestFirst.map((p) => path.resolve(p));
  const size = (await stat(cloneFile)).size;
  // json: even for one parent, so no backing path in any header is followed.
  const chain = chainJsonFilename(parents[0]!, parents.slice(1));
  return sealInto(outFile, reporter, async (tmp) => {
    await qemuImg(["create", "-q", "-f", "qcow2", "-o", LAYER_CLUSTER_OPTS, "-b", path.resolve(cloneFile), "-F", "raw", tmp, String(size)], reporter);
    await qemuImg(["rebase", "-q", "-f", "qcow2", "-b", chain, "-F", "qcow2", tmp], reporter);
    await detachBacking(tmp, reporter);
  });
}

/** The whole clone as one fresh single-layer qcow2 (promote --flatten). */
export async function flattenClone(cloneFile: string, outFile: string, reporter: Reporter): Promise<SealedDisk> {
  return sealInto(outFile, reporter, (tmp) => qemuImg(["convert", "-q", "-f", "raw", "-O", "qcow2", "-o", BASE_CLUSTER_OPTS, path.resolve(cloneFile), tmp], reporter).then(() => undefined));
}
