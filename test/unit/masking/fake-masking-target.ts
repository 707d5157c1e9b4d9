// An engine's side of masking (masking/port.ts MaskingTarget) over tables held in memory: it masks
// the policy's columns (keeping their originals for the leak scan, spilled past the budget as a
// real engine does), truncates and excludes tables, reports the PII its scan was told to find in
// columns left unmasked, and reads the published data back value by value. Hermetic: no server.
import { createHash } from "node:crypto";
import type { DatabaseInfo } from "../../../packages/core/src/image/inventory.js";
import type { PublishedSink } from "../../../packages/core/src/masking/leak-scan/published-cache.js";
import { textLeaves } from "../../../packages/core/src/masking/leak-scan/explain.js";
import { OriginalsCollector } from "../../../packages/core/src/masking/leak-scan/originals-collector.js";
import { isHighCardinality, type OriginalSet, type OriginalSource } from "../../../packages/core/src/masking/leak-scan/originals.js";
import type { PiiCandidate } from "../../../packages/core/src/masking/pii/detect.js";
import type { MaskingRun } from "../../../packages/core/src/masking/plan.js";
import type { PolicySqlCheck } from "../../../packages/core/src/masking/policy/check-against-schema.js";
import type { ResolvedPolicy, SchemaFacts, TableRef } from "../../../packages/core/src/masking/policy/resolve-policy.js";
import type { ResolvedRule } from "../../../packages/core/src/masking/policy/types.js";
import type { MaskingTarget } from "../../../packages/core/src/masking/port.js";
import type { Reporter } from "../../../packages/core/src/reporter.js";

export interface FakeTable {
  schema: string;
  name: string;
  /** Column name → type. */
  columns: Record<string, string>;
  rows: Record<string, string | null>[];
}

const key = (t: { database: string; schema: string; table: string }) => `${t.database}.${t.schema}.${t.table}`;

export class FakeMaskingTarget implements MaskingTarget {
  /** What the build's PII scan reports when these columns are left unmasked (and their table kept). */
  pii: PiiCandidate[] = [];
  /** Every call, in order, with what it was given. */
  readonly calls: string[] = [];
  maskOptions?: FakeMaskOptions;
  /** The originals the last mask() collected. */
  originals?: OriginalSet;
  /** Columns readPublished was told are masked. */
  readonly maskedColumns = new Set<string>();
  readPublished?: MaskingTarget["readPublished"];
  /** Called before each row readPublished reads (a test's look at the temp directory, or a failure mid-read). */
  duringRead?: () => void;
  /** What explainSql answers (the engine's complaint about a piece of policy SQL), or undefined: it plans. */
  complaint?: string;
  /** The rules the last PII scan was told are masked. */
  lastPiiRules?: ResolvedRule[];
  /** How often the run's originals were disposed. */
  disposed = 0;

  constructor(
    readonly database: string,
    readonly tables: FakeTable[],
    opts: { canReadPublished?: boolean } = {},
  ) {
    if (opts.canReadPublished !== false) this.readPublished = (content, isMasked) => this.read(content, isMasked);
  }

  databases(): DatabaseInfo[] {
    return [
      {
        name: this.database,
        sizeBytes: 0,
        tables: this.tables.map((t) => ({
          schema: t.schema,
          name: t.name,
          rowEstimate: t.rows.length,
          sizeBytes: 0,
          columns: Object.entries(t.columns).map(([name, type]) => ({ name, type, nullable: true })),
        })),
      },
    ];
  }

  async schemaFacts(databases: DatabaseInfo[]): Promise<SchemaFacts> {
    this.calls.push("schemaFacts");
    return { databases, uniqueColumns: [], foreignKeys: [], defaultSchema: "public" };
  }

  async explainSql(check: PolicySqlCheck): Promise<string | undefined> {
    this.calls.push(`explainSql ${check.kind} ${check.rule.table}`);
    return this.complaint;
  }

  async scanUnmaskedPii(databases: DatabaseInfo[], rules: ResolvedRule[]): Promise<PiiCandidate[]> {
    const kept = new Set(databases.flatMap((d) => d.tables.map((t) => key({ database: d.name, schema: t.schema, table: t.name }))));
    this.lastPiiRules = rules;
    const masked = new Set(rules.map((r) => `${key(r)}.${r.column}`));
    this.calls.push(`scanUnmaskedPii ${[...kept].join(",")}`);
    return this.pii.filter((c) => kept.has(key(c)) && !masked.has(`${key(c)}.${c.column}`));
  }

  async mask(plan: ResolvedPolicy, keyBytes: Buffer, _reporter: Reporter, opts?: FakeMaskOptions): Promise<MaskingRun> {
    this.calls.push("mask");
    this.maskOptions = opts;
    const gone = (t: FakeTable, list: TableRef[]) => list.some((r) => r.database === this.database && r.schema === t.schema && r.table === t.name);
    for (const t of this.tables) if (gone(t, plan.truncate)) t.rows = [];
    const kept = this.tables.filter((t) => !gone(t, plan.exclude));
    this.tables.splice(0, this.tables.length, ...kept);
    const columns = plan.rules.map((r) => ({ rule: r, table: this.tables.find((t) => t.schema === r.schema && t.name === r.table)! }));
    const sources: OriginalSource[] = columns.map(({ rule, table }) => {
      const values = table.rows.map((row) => row[rule.column]).filter((v): v is string => v != null);
      const { database, schema, table: name, column, transformer } = rule;
      return { database, schema, table: name, column, transformer, distinct: new Set(values).size, rows: values.length };
    });
    const collector = new OriginalsCollector(sources, { budget: opts?.originalsBudget, tempDir: opts?.tempDir });
    for (const [i, { rule, table }] of columns.entries()) {
      for (const row of table.rows) {
        const v = row[rule.column];
        if (v == null) continue;
        collector.add(v, i, isHighCardinality(sources[i]!) ? i : -1);
        row[rule.column] = `m${createHash("sha256").update(keyBytes).update(v).digest("hex").slice(0, 16)}`;
      }
    }
    return {
      rules: plan.rules.map((r) => ({
        database: r.database,
        table: r.table,
        column: r.column,
        transformer: r.transformer,
        family: r.family,
        origin: r.origin,
      })),
      rowsChanged: columns.reduce((n, c) => n + c.table.rows.length, 0),
      truncated: plan.truncate.map(key),
      excluded: plan.exclude.map(key),
      originals: this.counted(collector.finish()),
      seconds: 0,
    };
  }

  /** Disposals of the originals (a spill removed, or memory let go) are counted. */
  private counted(set: OriginalSet): OriginalSet {
    this.originals = set;
    const dispose = set.dispose.bind(set);
    set.dispose = () => {
      this.disposed++;
      dispose();
    };
    return set;
  }

  private async read(content: PublishedSink, isMasked: (database: string, schema: string, table: string, column: string) => boolean): Promise<void> {
    this.calls.push("readPublished");
    for (const t of this.tables) {
      for (const row of t.rows) {
        this.duringRead?.();
        for (const [column, value] of Object.entries(row)) {
          const col = { database: this.database, schema: t.schema, table: t.name, column };
          if (isMasked(this.database, t.schema, t.name, column)) {
            this.maskedColumns.add(`${key(col)}.${column}`);
            content.addValue(textLeaves(value), { kind: "masked" });
          } else content.addValue(textLeaves(value), { kind: "unmasked", column: col });
        }
      }
    }
  }
}

type FakeMaskOptions = { preview?: TableRef; jobs?: number; originalsBudget?: number; tempDir?: string };
