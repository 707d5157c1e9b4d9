// Hostile dumps against the real restore (real psql, pg_restore and PostgreSQL 15): a plain dump
// that would run a shell, a custom dump whose restore plants links in the data directory.
import { existsSync, lstatSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresEngine } from "../../packages/core/src/engine/postgres/index.js";
import { BuildError, SourceError } from "../../packages/core/src/errors.js";
import { silentReporter } from "../../packages/core/src/reporter.js";
import { Tracker, freePort, startSourceServer, type SourceServer } from "../integration/engine/fixtures.js";
import { adminQuery, makeVictims, ORIGINAL, type Victims } from "./fixtures.js";

const engine = new PostgresEngine();
const t = new Tracker();
let src: SourceServer;
let victims: Victims;
let dumps: string;

beforeAll(async () => {
  src = await startSourceServer(t);
  victims = makeVictims(t);
  dumps = t.mount("dbclone-sec-dumps-");
}, 120_000);
afterAll(() => t.cleanup(), 60_000);

const PLAIN_HEADER = "--\n-- PostgreSQL database dump\n--\n\nSET standard_conforming_strings = on;\nCREATE TABLE t (x int);\n";

describe("a plain dump with psql backslash commands", { timeout: 120_000 }, () => {
  it.each([
    ["\\! at the start of a line", (m: string) => `\\! touch ${m}\n`, 7],
    ["\\! after a statement", (m: string) => `SELECT 1; \\! touch ${m}\n`, 7],
    ["an output pipe", (m: string) => `\\o |touch ${m}\nSELECT 1;\n`, 7],
    ["a string that ends early for psql", (m: string) => `SELECT 'abc\\'; \\! touch ${m} --';\n`, 7],
    ["backticks in \\connect", (m: string) => `\\connect \`touch ${m}\`\n`, 7],
  ])("refuses %s with its line number before anything is created, and runs nothing", async (_what, body, line) => {
    const file = path.join(dumps, `evil-${line}-${Math.random().toString(36).slice(2)}.sql`);
    writeFileSync(file, PLAIN_HEADER + body(victims.marker));
    const mount = t.mount();
    const restored = engine.restore([{ kind: "dump", path: file }], mount, silentReporter);
    await expect(restored).rejects.toThrow(SourceError);
    await expect(restored).rejects.toThrow(new RegExp(`line ${line}: .*dbclone refuses psql backslash commands`));
    expect(existsSync(path.join(mount, "pgdata"))).toBe(false); // nothing was created
    expect(victims.untouched()).toBe(true);
  });

  it("stops at a failed COPY instead of reading its data lines as commands", async () => {
    // The check lets COPY data through (it may hold backslashes); psql must not run it when the COPY fails.
    const file = path.join(dumps, "failed-copy.sql");
    writeFileSync(file, `${PLAIN_HEADER}COPY no_such_table (x) FROM stdin;\n\\! touch ${victims.marker}\n\\.\n`);
    const mount = t.mount();
    await expect(engine.restore([{ kind: "dump", path: file }], mount, silentReporter)).rejects.toThrow(/Restoring the SQL dump .* failed/);
    expect(victims.untouched()).toBe(true);
  });
});

describe("a custom dump whose restore plants links in the data directory", { timeout: 180_000 }, () => {
  it("writes nothing through them, replaces them, and refuses to copy the data directory while one remains", async () => {
    // Runs only inside dbclone's build server (cluster_name), so the source stays untouched: a
    // materialized view that pg_restore refreshes, making the server user plant links with COPY … TO PROGRAM.
    const plant = [
      `ln -sfn ${victims.existing} "$D/postgresql.conf"`,
      `ln -sfn ${victims.absent} "$D/pg_ident.conf"`,
      `ln -sfn ${victims.absent} "$D/postgresql.auto.conf"`,
      `ln -sfn ${victims.dir} "$D/base/planted-link"`,
    ].join("; ");
    await src.psql("postgres", "CREATE DATABASE planter");
    await src.psql(
      "planter",
      `CREATE FUNCTION plant(x int) RETURNS int LANGUAGE plpgsql VOLATILE AS $f$
       BEGIN
         IF current_setting('cluster_name') = 'dbclone-build' THEN
           EXECUTE format('COPY (SELECT 1) TO PROGRAM %L', 'D=' || current_setting('data_directory') || '; ' || ${sqlLiteral(plant)});
         END IF;
         RETURN x;
       END $f$;
       CREATE TABLE t (x int); INSERT INTO t VALUES (1);
       CREATE MATERIALIZED VIEW planted AS SELECT plant(x) FROM t;`,
    );
    const dump = path.join(dumps, "planter.dump");
    await src.dump(["pg_dump", "-Fc", "-f", dump, "-d", "planter"]);

    const mount = t.mount();
    await engine.restore([{ kind: "dump", path: dump }], mount, silentReporter);
    const dataDir = path.join(mount, "pgdata");
    // The restore did plant the link in base/ (proof the attack ran), yet nothing went through any link.
    expect(lstatSync(path.join(dataDir, "base", "planted-link")).isSymbolicLink()).toBe(true);
    expect(readFileSync(victims.existing, "utf8")).toBe(ORIGINAL);
    expect(victims.untouched()).toBe(true);
    for (const f of ["postgresql.conf", "pg_ident.conf", "postgresql.auto.conf"]) {
      expect(lstatSync(path.join(dataDir, f)).isFile()).toBe(true); // the link itself replaced
    }

    // A clone starts (its config comes from dbclone) and writes nothing through the remaining link.
    const server = await engine.start(mount, { port: await freePort(), runDir: path.join(mount, "run") }, silentReporter);
    t.pids.add(server.pid);
    try {
      const rows = await adminQuery<{ n: string }>(server, "planter", "SELECT count(*) AS n FROM t");
      expect(rows[0]!.n).toBe("1");
    } finally {
      await engine.stop(server);
      t.pids.delete(server.pid);
    }
    // The fresh copy that becomes the image refuses the link instead of following it.
    const fresh = t.mount();
    await expect(engine.copyFresh(mount, fresh, silentReporter)).rejects.toThrow(BuildError);
    await expect(engine.copyFresh(mount, t.mount(), silentReporter)).rejects.toThrow(/symbolic link at base\/planted-link .* nothing was copied through it/);
    expect(victims.untouched()).toBe(true);
  });
});

function sqlLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
