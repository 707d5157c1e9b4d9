// One teardown for two callers (the actions/cache StateProvider pattern): the teardown action, whose
// clone comes from its inputs, and clone-db's post step, whose clone comes from the saved state.
import type { Reporter } from "../../packages/core/src/reporter.js";
import { teardownClones, type TeardownResult } from "../../packages/core/src/clones/index.js";
import { dbcloneHome } from "../../packages/core/src/util/paths.js";

/** Which clones to remove: exactly one of id, name or labels. */
export interface CloneSelection {
  id?: string;
  name?: string;
  labels?: Record<string, string>;
}

export interface TeardownSource {
  /** What to remove, or undefined when there is nothing to do (the source says why). */
  selection(): CloneSelection | undefined;
  /** Hand the result on: outputs for the teardown action, a log line for the post step. */
  report(result: TeardownResult): void;
}

export async function teardownImpl(source: TeardownSource, reporter: Reporter): Promise<TeardownResult | undefined> {
  const selection = source.selection();
  if (selection === undefined) return undefined;
  const result = await teardownClones({ home: dbcloneHome(), reporter, ...selection });
  source.report(result);
  return result;
}
