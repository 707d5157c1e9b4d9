// Runs an action entry and turns any error into one `::error::` line and exit code 1.
// The stack is for us, not the user: it is printed only with step debug logging (RUNNER_DEBUG=1).
import * as core from "@actions/core";
import { DbcloneError } from "../../packages/core/src/errors.js";

export function failureMessage(error: unknown): string {
  if (error instanceof DbcloneError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

export async function runStep(step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (process.env.RUNNER_DEBUG === "1" && error instanceof Error && error.stack) core.info(error.stack);
    core.setFailed(failureMessage(error));
  }
}
