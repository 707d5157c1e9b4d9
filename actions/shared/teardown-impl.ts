// One teardown for two callers (the actions/cache StateProvider pattern): the teardown action, whose
// clone comes from its inputs, and clone-db's post step, whose clone comes from the saved state.
import type { Reporter } from "../../packages/core/src/reporter.js";
import { CloneRegistry, teardownClones, type TeardownResult } from "../../packages/core/src/clones/index.js";
import { attachAuditClaims } from "../../packages/core/src/github/index.js";
import { openRepository } from "../../packages/core/src/repository/index.js";
import { dbcloneHome } from "../../packages/core/src/util/index.js";
import { jobClaims } from "./github.js";
import { repositoryScope } from "./github-context.js";

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
  const home = dbcloneHome();
  const claims = await jobClaims();
  // Only this repository's clones: another repository's job on the same runner cannot remove them.
  const scope = repositoryScope();
  const result = claims
    ? await teardownWithClaims(home, selection, reporter, claims as Record<string, string>, scope)
    : await teardownClones({ home, reporter, ...selection, scope });
  source.report(result);
  return result;
}

/** With OIDC claims: one clone at a time, each audited in its own repository with the claims attached. */
async function teardownWithClaims(
  home: string,
  selection: CloneSelection,
  reporter: Reporter,
  claims: Record<string, string>,
  scope: Record<string, string> | undefined,
): Promise<TeardownResult> {
  const started = performance.now();
  const registry = new CloneRegistry(home);
  const one = selection.id ?? selection.name;
  const records = one ? [await registry.get(one)].filter((r) => r !== undefined) : await registry.findByLabels(selection.labels ?? {});
  if (records.length === 0) return teardownClones({ home, reporter, ...selection, scope });
  const removed: string[] = [];
  const skipped: string[] = [];
  for (const record of records) {
    const repository = await openRepository(record.repository).catch(() => undefined);
    if (repository) attachAuditClaims(repository, claims);
    const one = await teardownClones({ home, reporter, id: record.id, repository, scope });
    removed.push(...one.removed);
    skipped.push(...(one.skipped ?? []));
  }
  return { removed, ...(skipped.length ? { skipped } : {}), seconds: Math.round(performance.now() - started) / 1000 };
}
