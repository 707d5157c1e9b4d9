// The leak scan end to end on real PostgreSQL: no false verdict on the demo's data over several
// seeds and keys; planted leaks fail naming their channel; copies judged by cardinality; the
// fail-closed defaults (nothing to search, no policy over emails, jsonb holding emails).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { platformForBuild } from "../../../packages/core/src/platform/index.js";
import { maskingFor } from "../../../packages/core/src/platform/masking.js";
import { DEMO_MASKING_KEY } from "../../../packages/core/src/demo/run-demo.js";
import { createSampleDump, SAMPLE_SHOP_POLICY } from "../../../packages/core/src/engine/index.js";
import { withAdmin } from "../../../packages/core/src/engine/postgres/client.js";
import { guardUnmaskedBuild, LeakFoundError, NothingToScanError, parsePolicy, UnmaskedPublishError } from "../../../packages/core/src/masking/index.js";
import { emptyTally, scanDataFiles } from "../../../packages/core/src/masking/leak-scan/residue-scan.js";
import { adminConnector, type WithDatabase } from "../../../packages/core/src/engine/postgres/masking/connector.js";
import { scanUnmaskedPii } from "../../../packages/core/src/engine/postgres/masking/scan-pii.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { run } from "../../../packages/core/src/runtime/exec.js";
import { freePort } from "../../../packages/core/src/util/net.js";
import { scratchServer, type Scratch } from "./fixture.js";
import { runMaskingPipeline, type PipelineRun, withPipeline, PEOPLE_POLICY } from "./leak-pipeline.js";

let scratch: Scratch;
let tmp: string;
const dumps: Record<string, string> = {};
const key = Buffer.from("leak-scan-test-key-0123456789");

// 400 customers: unique emails and names; 4 cities, one of which also names a country.
const PEOPLE = `
CREATE TABLE customers (id int PRIMARY KEY, full_name text NOT NULL, email text UNIQUE NOT NULL, city text, country text, backup_email text);
INSERT INTO customers SELECT g, 'Customer Person' || g, 'person' || g || '@leak-test.example',
  (ARRAY['Springfield', 'Riverton', 'Lakeside', 'Greenland'])[1 + g % 4], CASE WHEN g % 10 = 0 THEN 'Greenland' ELSE 'Utopia' END,
  CASE WHEN g % 3 = 0 THEN 'person' || g || '@leak-test.example' END FROM generate_series(1, 400) g;
CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO products SELECT g, 'Product number ' || g FROM generate_series(1, 50) g;`;

async function makeDump(name: string, sql: string): Promise<string> {
  await scratch.sql("postgres", `CREATE DATABASE ${name}`);
  await scratch.sql(name, sql);
  const file = path.join(tmp, `${name}.dump`);
  await scratch.dump(name, file);
  return file;
}

beforeAll(async () => {
  scratch = await scratchServer();
  tmp = await mkdtemp(path.join(os.tmpdir(), "dbclone-leakscan-it-"));
  await chmod(tmp, 0o711);
  dumps.people = await makeDump("people", PEOPLE);
  dumps.clean = await makeDump("people_clean", PEOPLE.replace("CASE WHEN g % 3 = 0 THEN 'person' || g || '@leak-test.example' END", "NULL"));
  dumps.json = await makeDump(
    "people_json",
    "CREATE TABLE events (id int PRIMARY KEY, payload jsonb); INSERT INTO events SELECT g, jsonb_build_object('kind', 'signup', 'contact', jsonb_build_object('mail', 'person' || g || '@leak-test.example')) FROM generate_series(1, 300) g;",
  );
}, 600_000);

afterAll(async () => {
  await scratch?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const verdict = (r: PipelineRun) => ({ ...r.record, seconds: 0, mbPerSecond: 0 });

describe("leak scan: no false verdicts", () => {
  it("the demo's data and policy scan clean over several seeds and keys", async () => {
    const policy = parsePolicy(SAMPLE_SHOP_POLICY, "demo policy"); // the policy the demo builds with
    for (const [seed, k] of [
      [42, DEMO_MASKING_KEY],
      [7, "second-key-for-the-leak-test"],
      [2026, "a-third-key-0123456789"],
    ] as const) {
      const dump = path.join(tmp, `demo-${seed}.dump`);
      await createSampleDump(dump, { sizeMb: 12, seed });
      await withPipeline(runMaskingPipeline({ dump, policy, key: Buffer.from(k) }), async (r) => {
        expect(r.record.hits, `seed ${seed}: ${JSON.stringify(r.masked.leak!.files.unexplained.slice(0, 3))}`).toBe(0);
        expect(r.record.valuesSearched).toBeGreaterThan(1000);
        expect(r.record.matches).toBeGreaterThan(0); // originals really are on disk, inside published values
        expect(r.record.copiesFailed).toBe(0);
      });
    }
  }, 1_800_000);

  it("the same clean build passes twice in a row with the same verdict", async () => {
    const policy = parsePolicy(PEOPLE_POLICY("people_clean"), "p.yml");
    const first = await withPipeline(runMaskingPipeline({ dump: dumps.clean!, policy, key }), async (r) => verdict(r));
    const second = await withPipeline(runMaskingPipeline({ dump: dumps.clean!, policy, key }), async (r) => verdict(r));
    expect(first.hits).toBe(0);
    expect(first.valuesSearched).toBe(804); // 400 names + 400 emails + 4 cities
    expect({ ...second, bytesScanned: 0 }).toEqual({ ...first, bytesScanned: 0 });
  }, 600_000);
});

describe("leak scan: planted leaks fail naming the channel", () => {
  it("a dead tuple, a kept WAL segment and an index of an unmasked table each fail; the unplanted copy passes", async () => {
    const policy = parsePolicy(PEOPLE_POLICY("people_clean"), "p.yml");
    const original = "person17@leak-test.example";
    await withPipeline(runMaskingPipeline({ dump: dumps.clean!, policy, key }), async (r) => {
      const plants: [string, string[], RegExp][] = [
        ["dead tuple", [`INSERT INTO products VALUES (9999, '${original}')`, "DELETE FROM products WHERE id = 9999"], /table page/],
        [
          "kept WAL segment",
          [`INSERT INTO products VALUES (9999, '${original}')`, "DELETE FROM products WHERE id = 9999", "VACUUM FULL products"],
          /WAL segment/,
        ],
        ["index of an unmasked table", [`CREATE INDEX plant ON products ((CASE WHEN id = 1 THEN '${original}' ELSE name END))`], /index page/],
        ["nothing planted", [], /^$/],
      ];
      for (const [what, statements, channel] of plants) {
        const copy = path.join(tmp, `plant-${what.replace(/\W+/g, "-")}`);
        await run("cp", ["-a", r.freshRoot, copy]);
        try {
          const { engine } = platformForBuild("postgres", path.join(tmp, "home"));
          const server = await engine.start(copy, { port: await freePort(), runDir: path.join(copy, "..", `${path.basename(copy)}-run`) }, silentReporter);
          try {
            await adminConnector(server)("people_clean", async (c) => {
              for (const s of statements) await c.query(s);
              await c.query("CHECKPOINT");
            });
          } finally {
            await engine.stop(server);
          }
          const tally = emptyTally();
          await scanDataFiles(copy, r.masked.leak!.plan, tally);
          if (statements.length === 0) {
            expect(tally.unexplainedCount, what).toBe(0);
            continue;
          }
          expect(tally.unexplainedCount, what).toBeGreaterThan(0);
          const channels = tally.unexplained.map((h) => h.channel).join("; ");
          expect(channels, what).toMatch(channel);
          const source = r.masked.leak!.originals.sources[r.masked.leak!.originals.sourceOf[tally.unexplained[0]!.original]!]!;
          expect(source.column).toBe("email");
        } finally {
          await rm(copy, { recursive: true, force: true });
          await rm(`${copy}-run`, { recursive: true, force: true });
        }
      }
    });
  }, 900_000);
});

describe("leak scan: copies of masked values in unmasked columns", () => {
  it("emails copied into backup_email fail naming the column; city in country is reported and passes", async () => {
    const attempt = runMaskingPipeline({ dump: dumps.people!, policy: parsePolicy(PEOPLE_POLICY(), "p.yml"), key });
    await expect(attempt).rejects.toThrow(LeakFoundError);
    await expect(attempt).rejects.toThrow(/people\.public\.customers\.backup_email holds 133 value\(s\) of masked people\.public\.customers\.email/);
    await expect(attempt).rejects.not.toThrow(/@leak-test/); // never a value in the message
  }, 600_000);

  it("marking backup_email as not personal lets the build pass, and the record says so", async () => {
    const policy = parsePolicy(
      PEOPLE_POLICY("people", `          notPersonal:\n            backup_email: "test accounts of our own, not customers"\n`),
      "p.yml",
    );
    await withPipeline(runMaskingPipeline({ dump: dumps.people!, policy, key }), async (r) => {
      expect(r.record.hits).toBe(0);
      const byColumn = Object.fromEntries(r.record.copies.map((c) => [`${c.column}<${c.source}`, c]));
      expect(byColumn["people.public.customers.backup_email<people.public.customers.email"]).toMatchObject({
        verdict: "not-personal",
        highCardinality: true,
        originals: 133,
        reason: "test accounts of our own, not customers",
      });
      expect(byColumn["people.public.customers.country<people.public.customers.city"]).toMatchObject({ verdict: "reported", highCardinality: false });
      expect(r.masked.resolved.notPersonal).toEqual([
        { database: "people", schema: "public", table: "customers", column: "backup_email", reason: "test accounts of our own, not customers" },
      ]);
    });
  }, 600_000);
});

describe("fail closed", () => {
  it("a policy with only null rules fails (nothing to search) unless it says leakScan: none with a reason", async () => {
    const onlyNull = `masking:\n  onUnmaskedPii: warn\n  databases:\n    people_clean:\n      tables:\n        customers:\n          columns:\n            city: "null"\n`;
    await expect(runMaskingPipeline({ dump: dumps.clean!, policy: parsePolicy(onlyNull, "n.yml"), key })).rejects.toThrow(NothingToScanError);
    expect(() => parsePolicy(`${onlyNull}  leakScan: { mode: none }\n`, "n.yml")).toThrow(/needs 'reason'/);
    const withReason = parsePolicy(`${onlyNull}  leakScan: { mode: none, reason: "every personal column is nulled" }\n`, "n.yml");
    await withPipeline(runMaskingPipeline({ dump: dumps.clean!, policy: withReason, key }), async (r) => {
      expect(r.masked.leak).toBeUndefined();
      expect(r.record).toMatchObject({ mode: "none", reason: "every personal column is nulled", valuesSearched: 0 });
    });
  }, 600_000);

  it("onUnmaskedPii defaults to fail", () => {
    expect(parsePolicy("databases: {}\n", "d.yml").onUnmaskedPii).toBe("fail");
  });

  it("a build without a policy over emails refuses to publish unless told --unmasked with a reason", async () => {
    const dir = await mkdtemp(path.join(tmp, "guard-"));
    await chmod(dir, 0o711);
    const { engine } = platformForBuild("postgres", path.join(dir, "home"));
    await engine.restore([{ kind: "dump", path: dumps.clean! }], dir, silentReporter);
    const server = await engine.start(dir, { port: await freePort(), runDir: path.join(dir, "run") }, silentReporter);
    try {
      const databases = await engine.inventory(server);
      await expect(guardUnmaskedBuild(maskingFor("postgres", server), databases, undefined, silentReporter)).rejects.toThrow(UnmaskedPublishError);
      await expect(guardUnmaskedBuild(maskingFor("postgres", server), databases, undefined, silentReporter)).rejects.toThrow(
        /people_clean\.public\.customers\.email/,
      );
      const ok = await guardUnmaskedBuild(maskingFor("postgres", server), databases, { reason: "synthetic test data" }, silentReporter);
      expect(ok!.reason).toBe("synthetic test data");
      expect(ok!.piiCandidates.map((c) => c.column)).toContain("email");
    } finally {
      await engine.stop(server, { fast: true });
      await rm(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it("a jsonb column holding emails is found by the PII scan (keys and values walked)", async () => {
    const withDb: WithDatabase = (database, fn) => withAdmin(scratch.server, database, fn);
    const found = await scanUnmaskedPii(withDb, [
      {
        name: "people_json",
        sizeBytes: 0,
        tables: [
          {
            schema: "public",
            name: "events",
            rowEstimate: 300,
            sizeBytes: 0,
            columns: [
              { name: "id", type: "integer", nullable: false },
              { name: "payload", type: "jsonb", nullable: true },
            ],
          },
        ],
      },
    ]);
    expect(found.map((c) => [c.column, c.kinds])).toEqual([["payload", ["email"]]]);
  });
});
