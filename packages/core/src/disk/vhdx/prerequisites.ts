// A VHDX clone needs Windows, the Storage module and an elevated process; say which is missing.
import { NotSupportedError, PrivilegeError, MissingToolError } from "../../errors.js";
import type { WindowsScriptRunner } from "../../runtime/powershell.js";
import { CHECK_ELEVATION_PS } from "./scripts.js";

export async function checkVhdxPrerequisites(runner: WindowsScriptRunner, platform: NodeJS.Platform = process.platform): Promise<void> {
  if (platform !== "win32") {
    throw new NotSupportedError(`The vhdx disk driver runs only on Windows (this is ${platform}); use the qcow2 driver on Linux.`);
  }
  const r = await runner.powershell<{ admin: boolean; storageModule: boolean; user: string }>("check elevation", CHECK_ELEVATION_PS, {});
  if (!r?.storageModule) {
    throw new MissingToolError(
      "Mount-DiskImage was not found: the Windows Storage module is needed (Windows 8 / Server 2012 or later, Windows PowerShell 5.1).",
    );
  }
  if (!r.admin) {
    throw new PrivilegeError(
      `${r.user} is not running elevated: attaching VHDX files and mounting partitions needs Administrator rights. ` +
        "Run the terminal as Administrator; on a self-hosted runner, run the runner service as an administrator (GitHub-hosted windows-latest jobs already are).",
    );
  }
}
