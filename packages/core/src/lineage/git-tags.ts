// Commits that carry a git tag of the project's own (releases), so prune keeps the versions built
// at them. dbclone's per-version tags (dbclone/<image>/<version>) do not count: every version has one.
import { run } from "../runtime/exec.js";

export async function gitTaggedCommits(cwd: string = process.cwd()): Promise<string[]> {
  const r = await run("git", ["for-each-ref", "--format=%(refname:short) %(objectname) %(*objectname)", "refs/tags"], {
    cwd,
    allowFailure: true,
    timeoutMs: 30_000,
  }).catch(() => undefined);
  if (r?.code !== 0) return []; // not a git checkout (or no git): nothing is protected by tags
  const commits = new Set<string>();
  for (const line of r.stdout.split("\n")) {
    const [tag, object, peeled] = line.trim().split(/\s+/);
    if (!tag || tag.startsWith("dbclone/")) continue;
    // Annotated tags point at a tag object; the peeled id is the commit.
    commits.add(peeled || object!);
  }
  return [...commits];
}
