// Where a clone's files live and what its login is called, derived from its id and disk driver
// alone (the registry names them at reserve time, without loading any driver or engine).
import path from "node:path";
import { CLONE_DISK_FORMATS } from "../platform/disk-names.js";
import { CLONE_ID_PATTERN, cloneIdForIdentifier } from "./clone-id.js";
import { exportPathsFor } from "../disk/qcow2/export.js";
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

/**
 * The fields of `record` that name files elsewhere than dbclone puts a clone's (<home>/clones/<id>,
 * its child disk, its mount point, and the qcow2 driver's export and pid files beside the child):
 * teardown and gc remove, unmount and stop what a record names, so a record edited by hand or
 * damaged must not steer them outside the clone's own directory. Empty: the record is dbclone's.
 */
export function foreignPathsOf(record: CloneRecord, home: string): string[] {
  if (!CLONE_ID_PATTERN.test(record.id)) return ["id"];
  const own = clonePaths(path.resolve(home), record.id, record.disk);
  const same = (value: unknown, expected: string) => typeof value === "string" && value !== "" && path.resolve(value) === expected;
  const wrong: string[] = [];
  if (!same(record.dir, own.dir)) wrong.push("dir");
  if (!same(record.childFile, own.childFile)) wrong.push("childFile");
  if (!same(record.mountPath, own.mountPath)) wrong.push("mountPath");
  const a = record.attachment;
  if (a) {
    if (!same(a.mountPath, own.mountPath)) wrong.push("attachment.mountPath");
    if (a.driver === "qcow2") {
      const exports = exportPathsFor(own.childFile);
      if (!same(a.file, own.childFile)) wrong.push("attachment.file");
      if (a.handles.exportFile !== undefined && !same(a.handles.exportFile, exports.exportFile)) wrong.push("attachment.handles.exportFile");
      if (a.handles.pidFile !== undefined && !same(a.handles.pidFile, exports.pidFile)) wrong.push("attachment.handles.pidFile");
    }
  }
  return wrong;
}
