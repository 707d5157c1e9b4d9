// clone-db's PR comment and the schema-diff section teardown adds to it. Outside a pull request, or
// without a token, the same text goes to the job summary / log instead.
import * as core from "@actions/core";
import type { CloneRecord, CloneResult } from "../../packages/core/src/clones/index.js";
import {
  commentMarker,
  commentRefusal,
  diffCloneSchema,
  findMarkedComment,
  renderCloneComment,
  renderSchemaDiff,
  upsertPullRequestComment,
  withSchemaDiffSection,
  type GitHubClient,
} from "../../packages/core/src/github/index.js";
import type { Reporter } from "../../packages/core/src/reporter.js";
import type { Repository } from "../../packages/core/src/repository/index.js";
import { pullRequestNumber, runUrl } from "./github-context.js";

export async function postCloneComment(client: GitHubClient | undefined, result: CloneResult, chosen: string | undefined, database?: string): Promise<void> {
  const pr = pullRequestNumber();
  if (!pr || !client) {
    core.info(`comment: true, but ${!pr ? "this run is not for a pull request" : "there is no GitHub token"}: no PR comment.`);
    return;
  }
  const { clone, image, credentials } = result;
  const marker = commentMarker(image.name);
  const body = renderCloneComment(marker, {
    image: image.name,
    version: clone.image.version,
    digest: clone.image.manifestDigest,
    chosen: result.newerImage ? undefined : chosen,
    newerVersion: result.newerImage?.version,
    runner: clone.labels.runner,
    database,
    cloneId: clone.id,
    created: result.created,
    readySeconds: result.readySeconds,
    host: credentials.host,
    port: credentials.port,
    user: credentials.user,
    databases: credentials.databases,
    runUrl: runUrl(),
  });
  try {
    const posted = await upsertPullRequestComment(client, Number(pr), marker, body);
    core.info(`${posted.created ? "Posted" : "Updated"} the dbclone comment on PR #${pr}.`);
  } catch (e) {
    // A fork PR's read-only token: the clone is ready, so the step still succeeds.
    const refusal = commentRefusal(e, Number(pr));
    if (!refusal) throw e;
    core.warning(refusal);
  }
}

export interface SchemaDiffContext {
  client: GitHubClient | undefined;
  /** The PR to comment on (teardown's pr input, or the event's PR). */
  pr: string | undefined;
  repository: Repository;
  home: string;
  reporter: Reporter;
}

/** Diff each clone's schema against its image before it is removed, and show the result. */
export async function reportSchemaDiffs(clones: CloneRecord[], ctx: SchemaDiffContext): Promise<void> {
  for (const clone of clones) {
    const diff = await diffCloneSchema({ clone, repository: ctx.repository, home: ctx.home, reporter: ctx.reporter });
    const section = renderSchemaDiff(`${clone.image.name}:${clone.image.version}`, clone.id, diff);
    core.info(`Schema diff of clone ${clone.id}: ${diff.added} added, ${diff.removed} removed.`);
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(`\n${section}\n`).write();
    if (!ctx.client || !ctx.pr) continue;
    const marker = commentMarker(clone.image.name);
    try {
      const existing = await findMarkedComment(ctx.client, Number(ctx.pr), marker);
      await upsertPullRequestComment(ctx.client, Number(ctx.pr), marker, withSchemaDiffSection(existing?.body ?? marker, section));
      core.info(`Added the schema diff to the dbclone comment on PR #${ctx.pr}.`);
    } catch (e) {
      const refusal = commentRefusal(e, Number(ctx.pr));
      if (!refusal) throw e;
      core.warning(refusal);
    }
  }
}
