// Quiescing an XFS before its freed blocks are trimmed, and checking it is still alive after.
// A filesystem whose device fails while frozen (the thin qcow2's host filled up) shuts down and
// then refuses every new open with EIO. A frozen superblock holds itself alive, so one that can
// no longer be thawed outlives its unmount for good (xfsaild/loopN, a loop device nobody can
// detach). The thaw must therefore never depend on opening the mount again.
import { open } from "node:fs/promises";
import { BuildError } from "../../errors.js";
import { run } from "../../runtime/exec.js";
import { silentReporter, type Reporter } from "../../reporter.js";

/**
 * Freeze and thaw `mountPath` through ONE descriptor (xfs_io opens it once, then issues FIFREEZE
 * and FITHAW on that descriptor): the thaw works even if the filesystem shut down in between.
 * Returns false (with a warning) when it could not be quiesced; never leaves it frozen.
 */
export async function freezeThaw(mountPath: string, reporter: Reporter = silentReporter): Promise<boolean> {
  const r = await run("xfs_io", ["-x", "-c", "freeze", "-c", "thaw", mountPath], {
    privileged: true,
    allowFailure: true,
    reporter,
    packageHint: "xfsprogs",
  });
  if (r.code === 0) return true;
  reporter.warn(`Could not freeze/thaw ${mountPath} (${r.stderr.trim()}); freed blocks may stay in the sealed blob.`);
  return false;
}

/**
 * Refuse to seal a filesystem that shut down (an I/O or space error under it): what it holds is
 * incomplete. Opening its root is what XFS refuses with EIO once it is shut down.
 */
export async function assertFilesystemAlive(mountPath: string): Promise<void> {
  try {
    await (await open(mountPath, "r")).close();
  } catch (e) {
    throw new BuildError(
      `The filesystem on ${mountPath} failed (${(e as NodeJS.ErrnoException).code ?? "error"}: its disk returned an I/O or space error); its contents are incomplete and are not sealed.`,
      { cause: e },
    );
  }
}
