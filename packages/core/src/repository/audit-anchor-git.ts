// Audit anchors as git tags: `dbclone-audit/<logId>/<seq>` pointing at a blob that holds the
// anchor JSON. A tag to a blob needs no commit and no git identity; push it with `git push --tags`
// to keep it where the runner cannot rewrite it.
import { AuditError } from "../errors.js";
import { parseAnchor, type AuditAnchor } from "../audit/index.js";
import { canonicalJson } from "../image/digest.js";
import { run } from "../runtime/exec.js";

const PREFIX = "dbclone-audit";

async function git(dir: string, args: string[], input?: string): Promise<string> {
  const r = await run("git", ["-C", dir, ...args], { input, allowFailure: true, timeoutMs: 30_000, packageHint: "git" });
  if (r.code !== 0) throw new AuditError(`git ${args[0]} in ${dir} failed: ${r.stderr.trim().split("\n")[0] ?? ""}; is ${dir} a git repository?`);
  return r.stdout.trim();
}

export async function putGitAnchor(dir: string, anchor: AuditAnchor): Promise<string> {
  const tag = `${PREFIX}/${anchor.logId}/${anchor.seq}`;
  const blob = await git(dir, ["hash-object", "-w", "--stdin"], canonicalJson(anchor));
  const existing = await run("git", ["-C", dir, "rev-parse", "-q", "--verify", `refs/tags/${tag}`], { allowFailure: true, timeoutMs: 30_000 });
  if (existing.code === 0) {
    // Anchoring the same head twice is fine; a different hash at an anchored seq is not.
    const had = parseAnchor(JSON.parse(await git(dir, ["cat-file", "blob", `refs/tags/${tag}`])), `git tag ${tag}`);
    if (had.hash !== anchor.hash) {
      throw new AuditError(
        `git tag ${tag} already anchors a different hash (${had.hash}) at event ${anchor.seq}: ` +
          "the log changed after it was anchored; run dbclone audit --verify",
      );
    }
    return tag;
  }
  await git(dir, ["tag", tag, blob]);
  return tag;
}

export async function newestGitAnchor(dir: string, logId: string): Promise<{ source: string; anchor: AuditAnchor } | undefined> {
  const r = await run("git", ["-C", dir, "for-each-ref", "--format=%(refname:strip=2)", `refs/tags/${PREFIX}/${logId}/`], {
    allowFailure: true,
    timeoutMs: 30_000,
  });
  if (r.code !== 0) return undefined; // not a git repository: no anchors here
  const seqs = r.stdout
    .split("\n")
    .map((t) => t.trim().slice(`${PREFIX}/${logId}/`.length))
    .filter((s) => /^\d{1,15}$/.test(s))
    .map(Number);
  if (seqs.length === 0) return undefined;
  const tag = `${PREFIX}/${logId}/${Math.max(...seqs)}`;
  const text = await git(dir, ["cat-file", "blob", `refs/tags/${tag}`]);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AuditError(`git tag ${tag} does not hold an anchor (not JSON)`);
  }
  return { source: `git tag ${tag}`, anchor: parseAnchor(raw, `git tag ${tag}`) };
}
