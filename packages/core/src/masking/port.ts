// What masking needs of an engine, for one running server: the engine implements it (in its own
// SQL), masking/build-step.ts drives it. Defined here so masking never imports an engine.
import type { DatabaseInfo } from "../image/inventory.js";
import type { Reporter } from "../reporter.js";
import type { PublishedSink } from "./leak-scan/published-cache.js";
import type { PiiCandidate } from "./pii/detect.js";
import type { MaskingRun } from "./plan.js";
import type { PolicySqlCheck } from "./policy/check-against-schema.js";
import type { ResolvedPolicy, SchemaFacts, TableRef } from "./policy/resolve-policy.js";
import type { ResolvedRule } from "./policy/types.js";

export interface MaskingTarget {
  /** Keys, references and column facts the policy is resolved against. */
  schemaFacts(databases: DatabaseInfo[]): Promise<SchemaFacts>;
  /** The engine's complaint about one piece of policy SQL (EXPLAIN of a SELECT over the table), or undefined. */
  explainSql(check: PolicySqlCheck): Promise<string | undefined>;
  /** Columns outside `rules` whose sampled values look like personal data. */
  scanUnmaskedPii(databases: DatabaseInfo[], rules: ResolvedRule[]): Promise<PiiCandidate[]>;
  /**
   * Apply the resolved policy; the originals stay for the leak scan: in memory up to
   * `originalsBudget` bytes, past it in an encrypted spill (dispose() removes it) in a private
   * directory under `tempDir` (the build's work directory; default: the OS temporary directory).
   */
  mask(
    plan: ResolvedPolicy,
    key: Buffer,
    reporter: Reporter,
    opts?: { preview?: TableRef; jobs?: number; originalsBudget?: number; tempDir?: string },
  ): Promise<MaskingRun>;
  /**
   * Read the published (masked) data into `content`; `isMasked` names the masked columns. Absent (an
   * engine that cannot read it back yet): no copy check, and the leak scan judges every byte of the disk.
   */
  readPublished?(content: PublishedSink, isMasked: (database: string, schema: string, table: string, column: string) => boolean): Promise<void>;
}
