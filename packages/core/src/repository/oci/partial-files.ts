// Partial layer downloads, one file per writer (`<hex>.<pid>-<start>`), so two pullers never
// append to one file. A writer adopts (renames to its own name) the partial of a dead writer to
// resume it; gc removes partials whose writer is gone.
import { readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { currentProcess, ownerAlive, type ProcessIdentity } from "../../util/process-identity.js";

const PARTIAL_NAME = /^([0-9a-f]{64})\.(\d+)-(\d*)$/;

function ownerOf(name: string): { hex: string; owner: ProcessIdentity } | undefined {
  const m = PARTIAL_NAME.exec(name);
  if (!m) return undefined;
  return { hex: m[1]!, owner: { pid: Number(m[2]), start: m[3] ? Number(m[3]) : undefined } };
}

/** This process's partial file for `digest`, adopting a dead writer's bytes when there are some. */
export async function claimPartial(partialDir: string, digest: string): Promise<string> {
  const hex = digest.replace(/^sha256:/, "");
  const me = currentProcess();
  const mine = path.join(partialDir, `${hex}.${me.pid}-${me.start ?? ""}`);
  if (await stat(mine).catch(() => undefined)) return mine;
  for (const name of await readdir(partialDir).catch(() => [] as string[])) {
    const found = ownerOf(name);
    const legacy = name === hex; // written by an older dbclone under the blob lock
    if (!legacy && (!found || found.hex !== hex || ownerAlive(found.owner))) continue;
    // rename is atomic: of two adopters, one gets the bytes and the other starts afresh.
    if (
      await rename(path.join(partialDir, name), mine).then(
        () => true,
        () => false,
      )
    )
      return mine;
  }
  return mine;
}

/** Remove this process's partial downloads (after a failure that must leave nothing behind). */
export async function removeOwnPartials(partialDir: string): Promise<void> {
  const me = currentProcess();
  for (const name of await readdir(partialDir).catch(() => [] as string[])) {
    const found = ownerOf(name);
    if (found && found.owner.pid === me.pid && found.owner.start === me.start) await rm(path.join(partialDir, name), { force: true });
  }
}

/** Remove partial downloads whose writer is gone; returns how many. */
export async function removeDeadPartials(partialDir: string): Promise<number> {
  let removed = 0;
  for (const name of await readdir(partialDir).catch(() => [] as string[])) {
    const found = ownerOf(name);
    if (!found || ownerAlive(found.owner)) continue;
    await rm(path.join(partialDir, name), { force: true });
    removed++;
  }
  return removed;
}
