// XFS retries failed metadata writes forever by default when the device says ENOSPC. Under a thin
// qcow2 whose host filesystem fills up, that hangs every writer (and fsfreeze, and unmount) in the
// kernel for good. dbclone's filesystems fail fast instead: the write errors, the filesystem shuts
// down, and the build or clone fails with a disk-full error that can be acted on.
import { writeFile } from "node:fs/promises";
import path from "node:path";

export async function failFastOnWriteErrors(loopDevice: string | undefined): Promise<void> {
  if (!loopDevice) return;
  const dir = path.join("/sys/fs/xfs", path.basename(loopDevice), "error");
  for (const kind of ["ENOSPC", "EIO", "ENODEV", "default"]) {
    await writeFile(path.join(dir, "metadata", kind, "max_retries"), "0").catch(() => undefined);
  }
  await writeFile(path.join(dir, "fail_at_unmount"), "1").catch(() => undefined);
}
