// A tiny evaluator of the masking batches a FakeExecutor recorded: it rebuilds each #map table from
// the parameterised INSERTs and applies each `UPDATE t SET … FROM … LEFT JOIN #map` to rows given in
// JS, the way SQL Server would. It understands only the SET forms masking-sql.ts generates and
// throws on anything else, so a change in the generated SQL cannot pass unnoticed.
import type { SqlValue } from "../../../packages/core/src/engine/sqlserver/executor.js";

export type TextRow = Record<string, string | null>;

export interface RecordedBatch {
  sql: string;
  params: Record<string, SqlValue>;
}

export interface EvaluatedUpdate {
  /** [db, schema, table], unquoted. */
  table: [string, string, string];
  where?: string;
  apply(row: TextRow): TextRow;
}

/** Read one [bracketed] identifier at `at`; returns the name and the index after it. */
export function readBracketed(s: string, at: number): { name: string; end: number } {
  if (s[at] !== "[") throw new Error(`expected [ at ${at} in ${s.slice(at, at + 40)}`);
  let name = "";
  let i = at + 1;
  for (;;) {
    if (i >= s.length) throw new Error(`unterminated identifier in ${s}`);
    if (s[i] === "]") {
      if (s[i + 1] !== "]") return { name, end: i + 1 };
      name += "]";
      i += 2;
    } else name += s[i++];
  }
}

function mapTables(batches: RecordedBatch[]): Map<string, Map<string, string | null>> {
  const maps = new Map<string, Map<string, string | null>>();
  for (const b of batches) {
    const created = /^CREATE TABLE (#dbclone_map_\d+) /m.exec(b.sql);
    if (created) maps.set(created[1]!, new Map());
    const ins = /^INSERT INTO (#dbclone_map_\d+) \(original, masked\) VALUES (.*);$/s.exec(b.sql);
    if (!ins) continue;
    const m = maps.get(ins[1]!)!;
    for (const row of ins[2]!.matchAll(/\(@(o\d+), @(m\d+)\)/g))
      m.set(String(b.params[row[1]!]), b.params[row[2]!] === null ? null : String(b.params[row[2]!]));
  }
  return maps;
}

/** Round half away from zero, exact: value × factor in decimal, `scale` places. */
export function scaleDecimal(value: string, factor: string, scale: number): string {
  const parse = (s: string) => {
    const neg = s.startsWith("-");
    const [i, f = ""] = s.replace(/^[-+]/, "").split(".");
    return { n: BigInt(i! + f) * (neg ? -1n : 1n), places: f.length };
  };
  const a = parse(value);
  const b = parse(factor);
  const places = a.places + b.places;
  let n = a.n * b.n; // has `places` decimals
  const drop = places - scale;
  if (drop > 0) {
    const d = 10n ** BigInt(drop);
    const neg = n < 0n;
    const abs = neg ? -n : n;
    n = (abs / d + (abs % d >= d / 2n ? 1n : 0n)) * (neg ? -1n : 1n);
  } else n *= 10n ** BigInt(-drop);
  const neg = n < 0n;
  const digits = (neg ? -n : n).toString().padStart(scale + 1, "0");
  const out = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return (neg ? "-" : "") + out;
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date.slice(0, 10)}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

type SetFn = (row: TextRow, joined: Record<string, string | null | undefined>, params: Record<string, SqlValue>) => string | null;

function parseSet(expr: string, column: string): SetFn {
  const col = (e: string) => e === `t.[${column.replace(/]/g, "]]")}]`;
  let m = /^(m\d+)\.masked$/.exec(expr);
  if (m) {
    const alias = m[1]!;
    return (_r, j) => j[alias] ?? null;
  }
  m = /^DATEADD\(day, CAST\((m\d+)\.masked AS int\), (t\.\[.*\])\)$/.exec(expr);
  if (m && col(m[2]!)) {
    const alias = m[1]!;
    return (r, j) => (r[column] === null || j[alias] == null ? null : addDays(r[column]!, Number(j[alias])));
  }
  m = /^CAST\(ROUND\((t\.\[.*\]) \* CAST\((m\d+)\.masked AS decimal\(19,8\)\), (\d+)\) AS .+\)$/.exec(expr);
  if (m && col(m[1]!)) {
    const alias = m[2]!;
    const scale = Number(m[3]);
    return (r, j) => (r[column] === null || j[alias] == null ? null : scaleDecimal(r[column]!, j[alias]!, scale));
  }
  if (expr === "NULL") return () => null;
  m = /^@(c\d+)$/.exec(expr);
  if (m) {
    const p = m[1]!;
    return (_r, _j, params) => (params[p] === null ? null : String(params[p]));
  }
  m = /^CASE WHEN (t\.\[.*\]) IS NULL THEN NULL ELSE @(c\d+) END$/.exec(expr);
  if (m && col(m[1]!)) {
    const p = m[2]!;
    return (r, _j, params) => (r[column] === null ? null : String(params[p]));
  }
  throw new Error(`the evaluator does not understand SET ${column} = ${expr}`);
}

/** Every recorded masking UPDATE, ready to apply to rows (text forms, as the distinct read returns them). */
export function evaluateUpdates(batches: RecordedBatch[]): EvaluatedUpdate[] {
  const updates: EvaluatedUpdate[] = [];
  // Map contents as they were when each UPDATE ran (map numbers are unique within one masking run).
  const maps = mapTables(batches);
  for (const b of batches) {
    if (!b.sql.startsWith("UPDATE t SET\n")) continue;
    const lines = b.sql.split("\n");
    const fromAt = lines.findIndex((l) => l.startsWith("FROM "));
    const setText = lines
      .slice(1, fromAt)
      .map((l) => l.replace(/^ {2}/, ""))
      .join("\n");
    const sets: { column: string; fn: SetFn }[] = [];
    for (const clause of setText.split(",\n")) {
      const { name, end } = readBracketed(clause, 0);
      if (clause.slice(end, end + 3) !== " = ") throw new Error(`bad SET clause ${clause}`);
      sets.push({ column: name, fn: parseSet(clause.slice(end + 3), name) });
    }
    const from = lines[fromAt]!.slice(5);
    const db = readBracketed(from, 0);
    const schema = readBracketed(from, db.end + 1);
    const table = readBracketed(from, schema.end + 1);
    const joins: { alias: string; map: Map<string, string | null>; column: string }[] = [];
    let where: string | undefined;
    for (const l of lines.slice(fromAt + 1)) {
      const j =
        /^LEFT JOIN (#dbclone_map_\d+) AS (m\d+) ON \2\.h = CAST\(HASHBYTES\('SHA2_256', .*\) AS binary\(32\)\) AND \2\.original = (.*) COLLATE Latin1_General_100_BIN2;?$/.exec(
          l,
        );
      if (j) {
        const text = j[3]!;
        const c = /t\.(\[.*\])/.exec(text)![1]!;
        joins.push({ alias: j[2]!, map: maps.get(j[1]!)!, column: readBracketed(c, 0).name });
        continue;
      }
      const w = /^WHERE \((.*)\);?$/.exec(l);
      if (w) where = w[1];
      else if (!l.startsWith("SELECT @@ROWCOUNT")) throw new Error(`the evaluator does not understand: ${l}`);
    }
    updates.push({
      table: [db.name, schema.name, table.name],
      where,
      apply(row) {
        const joined: Record<string, string | null | undefined> = {};
        for (const j of joins) joined[j.alias] = row[j.column] === null ? undefined : j.map.get(row[j.column]!);
        const out = { ...row };
        for (const s of sets) out[s.column] = s.fn(row, joined, b.params);
        return out;
      },
    });
  }
  return updates;
}
