// Where the catalog's audit chains come from: the repository's own log (a directory repository's
// log; with an OCI repository, this runner's log when it has not published it), and with an OCI
// repository every runner's chain of segments in the registry, each with its newest anchors.
import { readFile } from "node:fs/promises";
import { auditKeyFromEnv, verifySegmentedChain } from "../audit/index.js";
import { AuditError, RepositoryError, UnreachableError } from "../errors.js";
import { auditLogId } from "../repository/audit-report.js";
import { AUDIT_REPOSITORY, type OciAuditArtifacts } from "../repository/oci/audit-artifacts.js";
import { OciRepository } from "../repository/oci/oci-repository.js";
import type { Repository } from "../repository/types.js";
import { findAnchors, type AnchorPlaces } from "./audit-anchors.js";
import { buildChain, type AuditTrail, type ChainInput } from "./audit-trail.js";
import { mapLimit } from "../util/map-limit.js";

export interface AuditTrailOptions {
  /** Git repository holding anchor tags (default: the current directory, as `audit --verify`). */
  anchorsGitDir?: string;
}

/** Runner chains read from the registry at a time. */
const RUNNER_CONCURRENCY = 4;

export async function readAuditTrail(repository: Repository, opts: AuditTrailOptions = {}): Promise<AuditTrail> {
  const gitDir = opts.anchorsGitDir ?? process.cwd();
  const oci = repository instanceof OciRepository ? repository : undefined;
  const artifacts = oci ? await oci.auditArtifacts() : undefined;
  const places: AnchorPlaces = { gitDir, artifacts, ociWhere: oci ? `${oci.location}/${AUDIT_REPOSITORY}` : undefined };
  const runners = artifacts ? await artifacts.runners() : [];
  const [local, remote] = await Promise.all([
    localChain(repository, places, runners),
    artifacts ? mapLimit(runners, RUNNER_CONCURRENCY, (runner) => runnerChain(artifacts, places, runner)) : [],
  ]);
  const built = [...(local ? [local] : []), ...remote].map(buildChain);
  const chains = built.map((b) => b.chain);
  return { ok: chains.every((c) => c.ok), chains, rows: built.flatMap((b) => b.rows) };
}

/** The repository's own log; for an OCI repository only while its runner has no chain in the registry. */
async function localChain(repository: Repository, places: AnchorPlaces, published: string[]): Promise<ChainInput | undefined> {
  const oci = repository instanceof OciRepository;
  // A directory repository's anchors are looked up while its log is verified (git runs meanwhile).
  const early = oci ? undefined : auditLogId(repository).then((logId) => findAnchors(logId, places));
  early?.catch(() => undefined); // awaited below
  // The chain's own verification is the authority on where it breaks; the lines are read beside it.
  const [check, lines] = await Promise.all([repository.audit.verify(), readLines(repository.audit.filePath)]);
  if (early) return { id: "local", label: "Audit log", source: repository.audit.filePath, lines, check, anchors: await early };
  // An OCI runner's own log: only when it has events its chain in the registry does not show.
  if (lines.length === 0) return undefined;
  const logId = await auditLogId(repository);
  if (published.includes(logId)) return undefined;
  const label = `Runner ${logId} (local log, not published)`;
  return { id: "local", label, source: repository.audit.filePath, lines, check, anchors: await findAnchors(logId, places) };
}

async function runnerChain(artifacts: OciAuditArtifacts, places: AnchorPlaces, runner: string): Promise<ChainInput> {
  const source = `${places.ociWhere}:runner-${runner} and the segments before it`;
  const anchors = await findAnchors(runner, places);
  const key = auditKeyFromEnv(); // a bad key is the caller's error, not a broken chain
  try {
    const { segments, lines } = await artifacts.readChain(runner);
    const check = await verifySegmentedChain(segments, lines, { key });
    return { id: runner, label: `Runner ${runner}`, source, lines, check, anchors };
  } catch (e) {
    // A missing, malformed or looping segment is a broken chain to show; an unreachable registry is not.
    if (e instanceof UnreachableError || !(e instanceof RepositoryError || e instanceof AuditError || e instanceof SyntaxError)) throw e;
    return {
      id: runner,
      label: `Runner ${runner}`,
      source,
      lines: [],
      check: { ok: false, events: 0, problem: { line: 1, reason: (e as Error).message } },
      anchors,
    };
  }
}

/** The log's lines (a missing log has none); a final newline does not make an extra line. */
async function readLines(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}
