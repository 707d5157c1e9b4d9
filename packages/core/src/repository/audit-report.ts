// `dbclone audit --verify` and `dbclone audit anchor` for any repository: the local log's chain,
// its newest anchor (git tag or OCI artifact), and — with an OCI repository — every runner's
// chain as published to the registry, so one command sees and checks the whole pool's record.
import { createHash } from "node:crypto";
import { auditKeyFromEnv, checkAgainstAnchor, walkChain, type AnchorCheck, type AuditAnchor, type AuditEvent, type AuditVerifyResult } from "../audit/index.js";
import { UsageError } from "../errors.js";
import { newestGitAnchor, putGitAnchor } from "./audit-anchor-git.js";
import { OciRepository } from "./oci/oci-repository.js";
import type { Repository } from "./types.js";

export interface RunnerChainCheck {
  runner: string;
  ok: boolean;
  events: number;
  segments: number;
  problem?: string;
  /** Events per action, e.g. {clone: 2, pull: 1}. */
  actions: Record<string, number>;
  head?: { seq: number; hash: string };
}

export interface AuditReport {
  ok: boolean;
  local: AuditVerifyResult;
  /** The newest anchor found for the local log, and whether the log still holds it. */
  anchors: AnchorCheck[];
  /** OCI repositories: every runner's published chain. */
  runners?: RunnerChainCheck[];
}

/** Which log this is, for anchors: the runner id (OCI), else a hash of the repository's location. */
export async function auditLogId(repository: Repository): Promise<string> {
  if (repository instanceof OciRepository) return repository.auditChain.runnerId();
  return createHash("sha256").update(repository.location).digest("hex").slice(0, 16);
}

export async function anchorAudit(repository: Repository, target: { gitDir?: string; oci?: boolean }): Promise<{ anchor: AuditAnchor; written: string[] }> {
  if (!target.gitDir && !target.oci)
    throw new UsageError("audit anchor needs a place: --git <dir> (a tag in that repository) and/or --oci (an artifact in the registry)");
  if (target.oci && !(repository instanceof OciRepository))
    throw new UsageError(`--oci anchors need an OCI repository; ${repository.location} is a directory: use --git <dir>`);
  const verified = await repository.audit.verify();
  if (!verified.ok)
    throw new UsageError(`the audit log fails verification (${verified.problem?.reason}); an anchor would vouch for it: fix or restore the log first`);
  const head = await repository.audit.head();
  const anchor: AuditAnchor = { logId: await auditLogId(repository), log: repository.location, seq: head.seq, hash: head.hash, time: new Date().toISOString() };
  const written: string[] = [];
  if (target.gitDir) written.push(`git tag ${await putGitAnchor(target.gitDir, anchor)} in ${target.gitDir}`);
  if (target.oci && repository instanceof OciRepository) {
    written.push(`${repository.location}/dbclone-audit:${await (await repository.auditArtifacts()).putAnchor(anchor)}`);
    await repository.publishAuditChain();
  }
  return { anchor, written };
}

export async function verifyAudit(repository: Repository, opts: { gitDir?: string } = {}): Promise<AuditReport> {
  const local = await repository.audit.verify();
  const logId = await auditLogId(repository);
  const anchors: AnchorCheck[] = [];
  const found = [await newestGitAnchor(opts.gitDir ?? process.cwd(), logId)];
  if (repository instanceof OciRepository) {
    const oci = await (await repository.auditArtifacts()).newestAnchor(logId);
    if (oci) found.push({ source: `${repository.location}/dbclone-audit:${oci.tag}`, anchor: oci.anchor });
  }
  if (found.some((f) => f)) {
    const events = local.ok ? await repository.audit.read() : [];
    for (const f of found) {
      if (!f) continue;
      anchors.push(
        local.ok
          ? checkAgainstAnchor(events, f.anchor, f.source)
          : { ok: false, source: f.source, anchor: f.anchor, problem: "the log itself fails verification" },
      );
    }
  }
  const runners = repository instanceof OciRepository ? await verifyRunnerChains(repository) : undefined;
  const ok = local.ok && anchors.every((a) => a.ok) && (runners ?? []).every((r) => r.ok);
  return { ok, local, anchors, ...(runners ? { runners } : {}) };
}

async function verifyRunnerChains(repository: OciRepository): Promise<RunnerChainCheck[]> {
  const artifacts = await repository.auditArtifacts();
  const key = auditKeyFromEnv();
  const out: RunnerChainCheck[] = [];
  for (const runner of await artifacts.runners()) {
    const check: RunnerChainCheck = { runner, ok: false, events: 0, segments: 0, actions: {} };
    out.push(check);
    try {
      const { segments, lines } = await artifacts.readChain(runner);
      check.segments = segments.length;
      // Segments must cover 1..n without a gap or overlap, and each must end where it says.
      let expected = 1;
      for (const s of segments) {
        if (s.fromSeq !== expected) throw new Error(`segment ${s.fromSeq}-${s.toSeq} does not follow event ${expected - 1}: events are missing or repeated`);
        expected = s.toSeq + 1;
      }
      const walk = await walkChain(lines, { key });
      if (!walk.ok) throw new Error(walk.problem!.reason);
      const last = segments.at(-1);
      if (last && (walk.last.seq !== last.toSeq || walk.last.hash !== last.headHash)) {
        throw new Error(`the newest segment says it ends at event ${last.toSeq} (${last.headHash}) but its events end at ${walk.last.seq}`);
      }
      for (const line of lines) {
        const action = (JSON.parse(line) as AuditEvent).action;
        check.actions[action] = (check.actions[action] ?? 0) + 1;
      }
      Object.assign(check, { ok: true, events: walk.events, head: walk.last });
    } catch (e) {
      check.problem = (e as Error).message;
    }
  }
  return out;
}
