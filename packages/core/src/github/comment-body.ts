// The text of clone-db's PR comment: what was cloned and how to connect (never the password), plus
// an optional schema-diff section that teardown fills in later.
export interface CloneCommentFacts {
  image: string;
  version: string;
  digest: string;
  /** How the version was chosen, e.g. "built at this commit" or "latest (no version at this commit)". */
  chosen?: string;
  cloneId: string;
  created: boolean;
  readySeconds: number;
  host: string;
  port: number;
  user: string;
  databases: string[];
  /** The database the connection string points at (default the first). */
  database?: string;
  /** The runner the clone lives on (its clones are local to that runner). */
  runner?: string;
  /** The clone was kept with its data although the image moved on to this version. */
  newerVersion?: string;
  runUrl?: string;
}

export const SCHEMA_DIFF_BEGIN = "<!-- dbclone:schema-diff:begin -->";
export const SCHEMA_DIFF_END = "<!-- dbclone:schema-diff:end -->";

export function renderCloneComment(marker: string, f: CloneCommentFacts): string {
  const db = f.database ?? f.databases[0] ?? "postgres";
  const lines = [
    marker,
    `### dbclone: database clone of \`${f.image}:${f.version}\``,
    "",
    "| | |",
    "|---|---|",
    `| Image | \`${f.image}:${f.version}\`${f.chosen ? ` (${f.chosen})` : ""} |`,
    `| Digest | \`${f.digest}\` |`,
    `| Clone | \`${f.cloneId}\` (${f.created ? "created" : "reused"})${f.runner ? ` on runner \`${f.runner}\`` : ""} |`,
    ...(f.newerVersion
      ? [`| Newer version | \`${f.image}:${f.newerVersion}\` exists; this clone kept its data (on-image-change: recreate or reset to take it) |`]
      : []),
    `| Ready in | ${f.readySeconds.toFixed(3)} s |`,
    `| Connect | host \`${f.host}\`, port \`${f.port}\`, user \`${f.user}\`, database \`${db}\` |`,
    ...(f.databases.length > 1 ? [`| Databases | ${f.databases.map((d) => `\`${d}\``).join(", ")} |`] : []),
    ...(f.runUrl ? [`| Run | ${f.runUrl} |`] : []),
    "",
    "The password is in the job's masked `password` output; it is never posted here.",
  ];
  return lines.join("\n");
}

/** Put (or replace) the schema-diff section at the end of an existing comment body. */
export function withSchemaDiffSection(body: string, diffMarkdown: string): string {
  const start = body.indexOf(SCHEMA_DIFF_BEGIN);
  const end = body.indexOf(SCHEMA_DIFF_END);
  const base = start >= 0 && end > start ? body.slice(0, start).trimEnd() + body.slice(end + SCHEMA_DIFF_END.length) : body;
  return `${base.trimEnd()}\n\n${SCHEMA_DIFF_BEGIN}\n${diffMarkdown.trim()}\n${SCHEMA_DIFF_END}\n`;
}
