// One family's mapping, streamed with bounded memory (docs/masking.md, "How PostgreSQL masks"):
//  stage: the distinct values of every member column (all databases) into an unlogged table of
//         the family's home database, with per-column counts;
//  stream: a server-side cursor over the family's distinct values (in JS sort order for a unique
//         family), chunk by chunk: workers map it, a unique family resolves collisions exactly as
//         mapFamily() does, the leak scan's originals are collected, and COPY loads old → new into
//         an unlogged mapping table in every database of the family, which the UPDATEs join.
import type pg from "pg";
import { BuildError, DbcloneError } from "../../../errors.js";
import type { Reporter } from "../../../reporter.js";
import type { OriginalsCollector } from "../../../masking/leak-scan/originals-collector.js";
import type { ResolvedRule } from "../../../masking/policy/types.js";
import { maskValue } from "../../../masking/transformers/family-mapping.js";
import type { MappingPool } from "../../../masking/transformers/mapping-pool.js";
import { FingerprintSet, resolveUniqueChunk } from "../../../masking/transformers/unique-resolver.js";
import { qualifiedName, quoteIdent } from "../sql.js";
import type { WithDatabase } from "./connector.js";
import { copyField } from "../../../masking/transformers/copy-text.js";
import { copyBetween, copyLines } from "./copy-rows.js";
import { MAP_COLUMNS } from "./table-update.js";

export interface FamilyMember {
  rule: ResolvedRule;
  /** Index of the column among the leak scan's sources, or −1 (not text: nothing to search). */
  source: number;
}

export interface StreamContext {
  withDb: WithDatabase;
  pool: MappingPool;
  key: Buffer;
  reporter: Reporter;
  /** The run's private schema in every database of a masked column (dropped at the end). */
  workSchema: string;
  chunkSize: number;
  collector: OriginalsCollector;
  /** The session settings of the staging and streaming sessions (stagingMemorySettings). */
  sessionMemory: string;
  /** Progress of the mapping phase, shared by the families streaming at once. */
  progress: { addTotal(n: number): void; advance(n: number): void };
}

export interface StagedFamily {
  family: string;
  index: number;
  members: FamilyMember[];
  unique: boolean;
  /** Per member: distinct values and non-null rows (matching the table's where). */
  counts: { distinct: number; rows: number }[];
  /** Set when the family table (v, b: bit j set when member j holds v) was grouped in one pass: its row count. */
  grouped?: number;
}

const home = (s: { members: FamilyMember[] }) => s.members[0]!.rule.database;
const inputTable = (ctx: StreamContext, i: number) => qualifiedName(ctx.workSchema, `in_${i}`);
const familyTable = (ctx: StreamContext, i: number) => qualifiedName(ctx.workSchema, `fam_${i}`);
export const mapTableName = (i: number) => `map_${i}`;
const label = (r: ResolvedRule) => `${r.database}.${r.schema}.${r.table}.${r.column}`;

function memberQuery(r: ResolvedRule, member: number): string {
  const col = quoteIdent(r.column);
  return `SELECT ${col}::text, ${member}, count(*) FROM ${qualifiedName(r.schema, r.table)} WHERE ${col} IS NOT NULL${r.where ? ` AND (${r.where})` : ""} GROUP BY 1`;
}

/** Hold one connection per database for the duration of `fn`. */
async function withDatabases<T>(
  withDb: WithDatabase,
  databases: string[],
  fn: (clients: Map<string, pg.Client>) => Promise<T>,
  held = new Map<string, pg.Client>(),
): Promise<T> {
  const [first, ...rest] = databases;
  if (first === undefined) return fn(held);
  if (held.has(first)) return withDatabases(withDb, rest, fn, held);
  return withDb(first, (c) => withDatabases(withDb, rest, fn, new Map([...held, [first, c]])));
}

/** Members of a one-database family grouped in one pass (a bit per member in an int). */
const MAX_GROUPED = 30;

/**
 * A family of several columns in one database: one GROUP BY over all its columns' rows (not one
 * per column and a second over their results), recording in `b` which members hold each value
 * and in n<j> how many rows of member j; the per-member counts are then one scan of the result.
 */
async function groupFamily(ctx: StreamContext, family: string, index: number, members: FamilyMember[]): Promise<StagedFamily> {
  return ctx.withDb(home({ members }), async (c) => {
    await c.query(ctx.sessionMemory);
    const raw = members.map(({ rule: r }, j) => {
      const col = quoteIdent(r.column);
      return `SELECT ${col}::text AS v, ${1 << j} AS b FROM ${qualifiedName(r.schema, r.table)} WHERE ${col} IS NOT NULL${r.where ? ` AND (${r.where})` : ""}`;
    });
    const perMember = members.map((_, j) => `count(*) FILTER (WHERE b = ${1 << j}) AS n${j}`).join(", ");
    await c
      .query(`CREATE UNLOGGED TABLE ${familyTable(ctx, index)} AS SELECT v, bit_or(b) AS b, ${perMember} FROM (${raw.join(" UNION ALL ")}) x GROUP BY v`)
      .catch((e: Error) => {
        const wheres = members.filter((m) => m.rule.where).map((m) => `${label(m.rule)}: ${m.rule.where}`);
        throw new BuildError(
          `masking family '${family}' (${members.map((m) => label(m.rule)).join(", ")}): ${e.message}${wheres.length ? ` (check the tables' where: ${wheres.join("; ")})` : ""}`,
        );
      });
    const sums = members.map((_, j) => `count(*) FILTER (WHERE b & ${1 << j} <> 0)::float8 AS d${j}, coalesce(sum(n${j}), 0)::float8 AS r${j}`).join(", ");
    const r = (await c.query(`SELECT count(*)::float8 AS total, ${sums} FROM ${familyTable(ctx, index)}`)).rows[0] as Record<string, number>;
    ctx.reporter.debug(`Masking: staged the distinct values of ${family}`);
    return {
      family,
      index,
      members,
      unique: members.some((m) => m.rule.unique),
      counts: members.map((_, j) => ({ distinct: r[`d${j}`]!, rows: r[`r${j}`]! })),
      grouped: r.total,
    };
  });
}

/** SQL of the first member (lowest leak-scan source) among those in the bit set `b` that `pick` accepts, or NULL. */
function firstOfBits(members: FamilyMember[], pick: (m: FamilyMember) => boolean): string {
  const picked = members.map((m, j) => ({ m, j })).filter(({ m }) => m.source >= 0 && pick(m));
  picked.sort((a, b) => a.m.source - b.m.source);
  if (picked.length === 0) return "NULL::int";
  return `CASE ${picked.map(({ m, j }) => `WHEN b & ${1 << j} <> 0 THEN ${m.source}`).join(" ")} END`;
}

/** Stage one family's distinct inputs (all its columns, all databases) in its home database. */
export async function stageFamily(ctx: StreamContext, family: string, index: number, members: FamilyMember[]): Promise<StagedFamily> {
  const databases = [...new Set(members.map((m) => m.rule.database))];
  if (databases.length === 1 && members.length > 1 && members.length <= MAX_GROUPED) return groupFamily(ctx, family, index, members);
  const counts = await withDatabases(ctx.withDb, databases, async (clients) => {
    const c = clients.get(home({ members }))!;
    for (const d of clients.values()) await d.query(ctx.sessionMemory);
    const input = inputTable(ctx, index);
    await c.query(`CREATE UNLOGGED TABLE ${input} (v text NOT NULL, m int NOT NULL, n bigint NOT NULL)`);
    for (const [j, m] of members.entries()) {
      const query = memberQuery(m.rule, j);
      const staged =
        m.rule.database === home({ members })
          ? c.query(`INSERT INTO ${input} ${query}`)
          : copyBetween(clients.get(m.rule.database)!, query, c, `COPY ${input} FROM STDIN`);
      await staged.catch((e: Error) => {
        throw new BuildError(`masking ${label(m.rule)}: ${e.message}${m.rule.where ? ` (check the table's where: ${m.rule.where})` : ""}`);
      });
    }
    const r = await c.query<{ m: number; d: number; n: number }>(`SELECT m, count(*)::float8 AS d, sum(n)::float8 AS n FROM ${input} GROUP BY m`);
    ctx.reporter.debug(`Masking: staged the distinct values of ${family}`);
    return members.map((_, j) => {
      const row = r.rows.find((x) => x.m === j);
      return { distinct: row?.d ?? 0, rows: row?.n ?? 0 };
    });
  });
  return { family, index, members, unique: members.some((m) => m.rule.unique), counts };
}

// JS sorts strings by UTF-16 code units; COLLATE "C" on UTF-8 by code points. They differ only
// where a character U+E000–U+FFFF meets one ≥ U+10000 (JS puts the surrogate pair first). The key
// moves U+E000–U+FFFF above every supplementary character: each becomes U+10FFFF followed by
// itself, and U+10FFFF itself becomes U+10FFFF U+0001; this encoding is prefix-free and
// order-preserving, so byte order of the key is JS order of the value. ASCII-only values skip it.
const TOP = "chr(1114111)";
export const jsOrderKey = (v: string) =>
  `(CASE WHEN octet_length(${v}) = length(${v}) THEN ${v} ` +
  `ELSE regexp_replace(replace(${v}, ${TOP}, ${TOP} || chr(1)), '([' || chr(57344) || '-' || chr(65535) || '])', ${TOP} || '\\1', 'g') END) COLLATE "C"`;

/** Map one staged family chunk by chunk and load old → new into each of its databases. */
export async function streamFamily(ctx: StreamContext, staged: StagedFamily, highSources: boolean[]): Promise<number> {
  const { members, index, family } = staged;
  const rule = members[0]!.rule;
  const databases = [...new Set(members.map((m) => m.rule.database))];
  const src = `'{${members.map((m) => m.source).join(",")}}'::int[]`;
  const high = `'{${members.map((m) => (m.source >= 0 && highSources[m.source] ? "t" : "f")).join(",")}}'::boolean[]`;
  const fam = familyTable(ctx, index);
  const mapName = mapTableName(index);
  const columns = members.map((m) => label(m.rule)).join(", ");
  return withDatabases(ctx.withDb, databases, async (clients) => {
    const c = clients.get(home(staged))!;
    for (const d of clients.values()) await d.query(ctx.sessionMemory);
    let total: number;
    let columnsOfFam: string;
    let constant: [first: number | null, high: number] | undefined;
    if (staged.grouped !== undefined) {
      total = staged.grouped;
      const isHigh = (m: FamilyMember) => highSources[m.source] === true;
      columnsOfFam = `v, ${firstOfBits(members, () => true)} AS first, ${firstOfBits(members, isHigh)} AS first_high`;
    } else if (members.length === 1) {
      // One member column: its staged values are already distinct (GROUP BY), and its leak-scan
      // source is one constant, so the staging table is the family table as it stands.
      const only = members[0]!;
      total = staged.counts[0]!.distinct;
      await c.query(`ALTER TABLE ${inputTable(ctx, index)} RENAME TO ${quoteIdent(`fam_${index}`)}`);
      // Its leak-scan source is the same for every value: set here, not read back 10 M times.
      columnsOfFam = "v";
      constant = [only.source >= 0 ? only.source : null, only.source >= 0 && highSources[only.source] ? only.source : -1];
    } else {
      total =
        (
          await c.query(
            `CREATE UNLOGGED TABLE ${fam} AS SELECT v, min((${src})[m + 1]) FILTER (WHERE (${src})[m + 1] >= 0) AS first, ` +
              `min((${src})[m + 1]) FILTER (WHERE (${high})[m + 1]) AS first_high FROM ${inputTable(ctx, index)} GROUP BY v`,
          )
        ).rowCount ?? 0;
      await c.query(`DROP TABLE ${inputTable(ctx, index)}`);
      columnsOfFam = "v, first, first_high";
    }
    for (const db of databases) await clients.get(db)!.query(`CREATE UNLOGGED TABLE ${qualifiedName(ctx.workSchema, mapName)} (${MAP_COLUMNS})`);
    const map = qualifiedName(ctx.workSchema, mapName);
    let taken: FingerprintSet | undefined;
    let mapIndexed: Promise<unknown> | undefined;
    if (staged.unique) {
      // Exact checks of a fingerprint hit: is it an input, or an output of an earlier chunk?
      // The family table's index is built now (the cursor will hold the table open); the mapping
      // table's only when a first fingerprint hit needs it: a family whose outputs never hit
      // (emails, with their digest suffix) then loads without maintaining a B-tree.
      await c.query(`CREATE INDEX ON ${fam} (v)`);
      taken = new FingerprintSet(2 * total);
      await eachRow(c, `SELECT v FROM ${fam}`, ctx.chunkSize, (rows) => {
        for (const r of rows) taken!.add(r[0] as string);
      });
    }
    ctx.progress.addTotal(total);
    ctx.reporter.debug(`Masking: streaming ${total} distinct value(s) of ${family}`);
    // Pipelined: the workers map chunk n + 1 while the server loads chunk n (COPY). A unique
    // family's collision checks of chunk n + 1 wait for that load: they look up earlier outputs.
    let loading: Promise<unknown> = Promise.resolve();
    await eachRow(
      c,
      `SELECT ${columnsOfFam} FROM ${fam}${staged.unique ? ` ORDER BY ${jsOrderKey("v")}` : ""}`,
      ctx.chunkSize,
      async (rows) => {
        const values = rows.map((r) => r[0] as string);
        let lines: string[];
        if (!taken) {
          // No collision handling: the workers write the COPY rows themselves.
          lines = await ctx.pool.mapToCopyText(family, rule, values);
          await loading;
        } else {
          const first = await ctx.pool.map(family, rule, values);
          await loading; // the collision checks look up earlier chunks' outputs
          const outputs = await resolveUniqueChunk(values, first, {
            family,
            taken,
            remap: (v, attempt) => maskValue(ctx.key, family, rule, v, attempt),
            isTaken: async (m) => {
              mapIndexed ??= c.query(`CREATE INDEX ON ${map} (dbclone_new)`);
              await mapIndexed;
              return (
                (await c.query(`SELECT EXISTS (SELECT 1 FROM ${fam} WHERE v = $1) OR EXISTS (SELECT 1 FROM ${map} WHERE dbclone_new = $1) AS t`, [m])).rows[0]
                  .t === true
              );
            },
          });
          lines = values.map((v, i) => `f\t${copyField(v)}\t${copyField(outputs[i]!)}\n`);
        }
        if (constant) {
          const [first, high] = constant;
          if (first !== null) for (const r of rows) ctx.collector.add(r[0] as string, first, high);
        } else for (const r of rows) if (r[1] !== null) ctx.collector.add(r[0] as string, r[1] as number, (r[2] as number | null) ?? -1);
        loading = Promise.all(databases.map((db) => copyLines(clients.get(db)!, `COPY ${map} FROM STDIN`, lines))).then(() =>
          ctx.progress.advance(values.length),
        );
        loading.catch(() => undefined); // awaited by the next chunk or by the cursor's end; a failure is thrown there
      },
      () => loading,
    );
    for (const db of databases) {
      const d = clients.get(db)!;
      await d.query(`INSERT INTO ${map} VALUES (true, '', NULL)`);
      await d.query(`ANALYZE ${map}`);
    }
    await c.query(`DROP TABLE ${fam}`);
    ctx.reporter.info(`Masking: mapped ${total} distinct value(s) of ${family} (${columns})`);
    return total;
  }).catch((e: unknown) => {
    if (e instanceof DbcloneError) throw e;
    throw new BuildError(`masking family '${family}' (${columns}) failed: ${(e as Error).message}`, { cause: e });
  });
}

/** A server-side cursor over `query`, `size` rows at a time; the next chunk is fetched while one is handled. */
async function eachRow(
  c: pg.Client,
  query: string,
  size: number,
  handle: (rows: unknown[][]) => Promise<void> | void,
  drain?: () => Promise<unknown>,
): Promise<void> {
  await c.query("BEGIN");
  try {
    await c.query(`DECLARE dbclone_cursor NO SCROLL CURSOR FOR ${query}`);
    const fetch = () => c.query({ text: `FETCH ${size} FROM dbclone_cursor`, rowMode: "array" });
    let next = fetch();
    for (;;) {
      const rows = (await next).rows as unknown[][];
      if (rows.length === 0) break;
      next = fetch();
      next.catch(() => undefined); // a failure of `handle` wins; the prefetch's own failure is awaited below
      await handle(rows);
    }
    await drain?.(); // work `handle` left running (a load) ends before the transaction does
    await c.query("CLOSE dbclone_cursor");
    await c.query("COMMIT");
  } catch (e) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
}
