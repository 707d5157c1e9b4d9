// `dbclone scan <source>`: the PII scan alone. A dump or data directory is restored into a
// throw-away staging disk (as a build does); a live server is read over its URL.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { makeDir, TRAVERSABLE_DIR } from "../util/paths.js";
import { NotSupportedError } from "../errors.js";
import { engineForSources, platformForBuild } from "../platform/index.js";
import { SYSTEM_SCHEMA_FILTER } from "../engine/postgres/sql.js";
import type { DatabaseInfo, SourceSpec } from "../engine/types.js";
import type { Reporter } from "../reporter.js";
import { CleanupStack } from "../util/cleanup.js";
import { freePort } from "../util/net.js";
import type { PiiCandidate } from "../masking/pii/detect.js";
import { resolvePolicy } from "../masking/policy/resolve-policy.js";
import type { MaskingPolicy, ResolvedRule } from "../masking/policy/types.js";
import { adminConnector, urlConnector, type WithDatabase } from "../engine/postgres/masking/connector.js";
import { scanUnmaskedPii } from "../engine/postgres/masking/scan-pii.js";
import { schemaFacts } from "../engine/postgres/masking/schema-facts.js";

export interface ScanSourceOptions {
  source: SourceSpec;
  home: string;
  reporter: Reporter;
  /** Columns this policy masks are not reported. */
  policy?: MaskingPolicy;
  variant?: string;
}

export interface ScanReport {
  databases: string[];
  columnsScanned: number;
  maskedByPolicy: number;
  piiCandidates: PiiCandidate[];
}

const COLUMNS_SQL = `
SELECT n.nspname AS schema, c.relname AS name, greatest(c.reltuples, 0)::float8 AS rows,
       coalesce((SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'nullable', NOT a.attnotnull) ORDER BY a.attnum)
                 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND ${SYSTEM_SCHEMA_FILTER} ORDER BY 1, 2`;

async function scanWith(withDb: WithDatabase, databases: DatabaseInfo[], opts: ScanSourceOptions): Promise<ScanReport> {
  let rules: ResolvedRule[] = [];
  if (opts.policy) rules = resolvePolicy(opts.policy, opts.variant, await schemaFacts(withDb, databases)).rules;
  const piiCandidates = await scanUnmaskedPii(withDb, databases, rules);
  return {
    databases: databases.map((d) => d.name),
    columnsScanned: databases.reduce((n, d) => n + d.tables.reduce((m, t) => m + t.columns.length, 0), 0),
    maskedByPolicy: rules.length,
    piiCandidates,
  };
}

export async function scanSource(opts: ScanSourceOptions): Promise<ScanReport> {
  if (opts.source.kind === "server") {
    const withDb = urlConnector(opts.source.url);
    const database = decodeURIComponent(new URL(opts.source.url).pathname.slice(1)) || "postgres";
    const tables = await withDb(
      database,
      async (c) => (await c.query<{ schema: string; name: string; rows: number; columns: DatabaseInfo["tables"][number]["columns"] }>(COLUMNS_SQL)).rows,
    );
    const info: DatabaseInfo = {
      name: database,
      sizeBytes: 0,
      tables: tables.map((t) => ({ schema: t.schema, name: t.name, rowEstimate: Math.round(t.rows), sizeBytes: 0, columns: t.columns })),
    };
    return scanWith(withDb, [info], opts);
  }
  // The scan reads the restored data through PostgreSQL's connector; SQL Server has no PII scan yet.
  if (opts.source.kind === "backup-chain") throw new NotSupportedError("dbclone scan reads PostgreSQL sources; SQL Server backups cannot be scanned yet.");
  const platform = platformForBuild(engineForSources([opts.source]), opts.home);
  const { driver, engine } = platform;
  await driver.checkPrerequisites();
  await engine.checkPrerequisites();
  await engine.probeSource(opts.source);
  const workDir = path.join(opts.home, "work", `scan-${crypto.randomBytes(5).toString("hex")}`);
  await makeDir(workDir, TRAVERSABLE_DIR); // the server's OS user traverses to the mount inside
  const cleanup = new CleanupStack(opts.reporter);
  cleanup.push("remove the scan's work directory", () => fs.rm(workDir, { recursive: true, force: true }));
  try {
    const size = await engine.stagingSize([opts.source], undefined, opts.reporter);
    const staging = await driver.createStaging(path.join(workDir, platform.entry.stagingName), path.join(workDir, "staging"), size);
    cleanup.push("remove the staging disk", async () => {
      await driver.unmount(staging.attachment);
      await driver.destroy(staging.file);
    });
    await engine.restore([opts.source], staging.mountPath, opts.reporter);
    const server = await engine.start(staging.mountPath, { port: await freePort(), runDir: path.join(workDir, "run") }, opts.reporter);
    cleanup.push("stop the scan server", () => engine.stop(server, { fast: true }));
    return await scanWith(adminConnector(server), await engine.inventory(server), opts);
  } finally {
    await cleanup.unwind();
  }
}
