// Recording work that is already done: once a version is published, an audit log that refuses
// the entry must not turn the publish into a failure (the caller would retry and find the version
// taken). It is a loud warning instead, naming what was done and how to check the log.
import type { AuditEventInput, AuditLog } from "../audit/index.js";
import type { Reporter } from "../reporter.js";

export async function recordDoneWork(audit: AuditLog, event: AuditEventInput, reporter?: Reporter): Promise<void> {
  try {
    await audit.append(event);
  } catch (e) {
    const message =
      `WARNING: ${event.action} of ${event.image ?? "?"} succeeded but could not be recorded in the audit log ${audit.filePath} ` +
      `(${(e as Error).message}); the ${event.action} stands. Check the log: dbclone audit --verify`;
    if (reporter) reporter.warn(message);
    else process.emitWarning(message, "DbcloneAuditWarning");
  }
}
