// Test-only crash hooks. With DBCLONE_TEST_PAUSE_AT=<step> and DBCLONE_TEST_PAUSE_FILE=<file>,
// reaching <step> writes the pid to <file> and blocks for good, so a crash-sweep test can SIGKILL
// the process at exactly that step. Without both variables it does nothing (one env read).
import { writeFileSync } from "node:fs";

/** The steps a crash test can stop at, named <operation>:<step>. */
export type PauseStep =
  | "build:restored"
  | "build:masked"
  | "build:fresh-written"
  | "build:sealed"
  | "publish:blob-copied"
  | "publish:before-link"
  | "pull:downloading"
  | "expand:converted"
  | "expand:checking"
  | "clone:reserved"
  | "clone:child-created"
  | "clone:mounted"
  | "server:spawned"
  | "clone:server-started"
  | "clone:audited"
  | "clone:ready"
  | "promote:stopped"
  | "promote:sealed"
  | "promote:published"
  | "teardown:stopping"
  | "teardown:server-stopped"
  | "teardown:unmounted";

export async function pausePoint(step: PauseStep): Promise<void> {
  const at = process.env.DBCLONE_TEST_PAUSE_AT;
  const file = process.env.DBCLONE_TEST_PAUSE_FILE;
  if (!at || !file || at !== step) return;
  writeFileSync(file, `${process.pid} ${step}\n`);
  // Block this operation for good, keeping the process alive until the test kills it.
  await new Promise<never>(() => setInterval(() => undefined, 60_000));
}
