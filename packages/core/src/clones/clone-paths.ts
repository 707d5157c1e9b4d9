// Where a clone's files live and what its login is called, derived from its id and disk driver
// alone (the registry names them at reserve time, without loading any driver or engine).
import path from "node:path";
import { CLONE_DISK_FORMATS } from "../platform/disk-names.js";
import { cloneIdForIdentifier } from "./clone-id.js";
import type { CloneRecord } from "./types.js";

/** <dir>/child.<format>: the extension is the disk driver's (reflink copies keep qcow2's), whatever the engine. */
export function childFileOf(dir: string, disk: CloneRecord["disk"]): string {
  return path.join(dir, `child.${CLONE_DISK_FORMATS[disk ?? "qcow2"]}`);
}

/** Default places and login of a clone: <home>/clones/<id>/{child.<fmt>, mnt}, user clone_<id>. */
export function clonePaths(home: string, id: string, disk: CloneRecord["disk"]): Pick<CloneRecord, "dir" | "childFile" | "mountPath" | "user"> {
  const dir = path.join(home, "clones", id);
  return { dir, childFile: childFileOf(dir, disk), mountPath: path.join(dir, "mnt"), user: `clone_${cloneIdForIdentifier(id)}` };
}
