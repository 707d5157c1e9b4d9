// Masking end to end on real PostgreSQL: consistency across tables and databases, the leak scan
// catching an in-place UPDATE, the pipeline's fresh disk scanning clean, and a bad policy building nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmod, mkdtemp, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { buildImage } from "../../../packages/core/src/build/index.js";
import { forceCleanup } from "../disk/cleanup.js";
import { createClone, teardownClones } from "../../../packages/core/src/clones/index.js";
import type { CloneResult } from "../../../packages/core/src/clones/lifecycle-types.js";
import { collectOriginals, emptyTally, isLuhnValid, parsePolicy, PolicyError, scanBlob } from "../../../packages/core/src/masking/index.js";
import { parseImageRef } from "../../../packages/core/src/image/reference.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { openRepository } from "../../../packages/core/src/repository/index.js";
import { makeShopAndCrm, scratchServer, SHOP_POLICY, type Scratch } from "./fixture.js";

const key = { bytes: Buffer.from("integration-test-key-0123456789"), insecure: false };
let scratch: Scratch;
let tmp: string;
let shopDump: string;
let crmDump: string;
let originals: { emails: string[]; names: string[] };

beforeAll(async () => {
  scratch = await scratchServer();
  tmp = await mkdtemp(path.join(os.tmpdir(), "dbclone-mask-build-"));
  await chmod(tmp, 0o711);
  await makeShopAndCrm(scratch);
  shopDump = path.join(scratch.dir, "shop.dump");
  crmDump = path.join(scratch.dir, "crm.dump");
  await scratch.dump("shop", shopDump);
  await scratch.dump("crm", crmDump);
  const r = await scratch.sql("shop", "SELECT email, full_name FROM customers ORDER BY id");
  originals = { emails: r.rows.map((x) => x.email), names: r.rows.map((x) => x.full_name) };
});

afterAll(async () => {
  await scratch?.close();
  // Clones here use the default driver (reflink): its pool file stays loop-mounted under the home until removed.
  if (tmp) forceCleanup(tmp);
});

async function query(clone: CloneResult, database: string, sql: string): Promise<pg.QueryResult> {
  const url = new URL(clone.credentials.connectionString);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe("masking (PostgreSQL)", () => {
  it("an in-place UPDATE leaves the originals on disk, and the leak scan finds them", async () => {
    await scratch.sql("postgres", "CREATE DATABASE inplace");
    await scratch.sql(
      "inplace",
      "CREATE TABLE people (id int PRIMARY KEY, email text); INSERT INTO people SELECT g, 'secret.person' || g || '@leaky.test' FROM generate_series(1, 2000) g",
    );
    await scratch.sql("inplace", "CHECKPOINT");
    const values = (await scratch.sql("inplace", "SELECT email FROM people")).rows.map((r) => r.email as string);
    await scratch.sql("inplace", "UPDATE people SET email = md5(email)"); // masking the naive way
    await scratch.sql("inplace", "CHECKPOINT");
    const rel = (await scratch.sql("inplace", "SELECT pg_relation_filepath('people') AS p")).rows[0].p as string;
    const originals = collectOriginals([
      { source: { database: "inplace", schema: "public", table: "people", column: "email", distinct: values.length }, values },
    ]);
    const tally = emptyTally();
    await scanBlob(path.join(scratch.dataDir, rel), originals.patterns, tally);
    expect(originals.searched).toBe(2000);
    expect(new Set(tally.unexplained.map((h) => h.original)).size).toBe(20); // the first examples, all distinct values
    expect(tally.unexplainedCount).toBeGreaterThanOrEqual(2000); // every original is still in a dead tuple
    expect(originals.sources[originals.sourceOf[tally.unexplained[0]!.original]!]!.column).toBe("email");
  });

  it("builds a masked image: consistent across tables and databases, checksums valid, NULL kept, zero leak-scan hits", async () => {
    const home = path.join(tmp, "home");
    const repository = await openRepository(path.join(tmp, "repo"));
    const build = await buildImage({
      repository,
      name: "shop",
      version: "m1",
      home,
      reporter: silentReporter,
      sources: [
        { kind: "dump", path: shopDump },
        { kind: "dump", path: crmDump },
      ],
      masking: { policy: parsePolicy(SHOP_POLICY, "policy.yml"), key },
    });
    expect(build.masking!.leakScan.hits).toBe(0);
    expect(build.masking!.leakScan.valuesSearched).toBeGreaterThanOrEqual(600);
    expect(build.masking!.leakScan.valuesSearched).toBe(build.masking!.leakScan.valuesTotal);
    expect(build.image.manifest.masking!.leakScan!.bytesScanned).toBe(build.image.manifest.disk.sizeBytes);
    expect(build.image.manifest.masking!.rules.find((r) => r.column === "customer_email")!.origin).toBe("foreign-key");

    const clone = await createClone({ repository, ref: "shop:m1", home, reporter: silentReporter, name: "mask-check", ttlSeconds: 600 });
    try {
      const customers = (await query(clone, "shop", "SELECT id, email, full_name, card FROM customers ORDER BY id")).rows;
      expect(customers.map((c) => c.email)).not.toContain(originals.emails[0]);
      expect(customers.filter((c) => originals.emails.includes(c.email))).toHaveLength(0);
      expect(new Set(customers.map((c) => c.email)).size).toBe(300);
      // Foreign keys still hold: every order's email is a customer's (masked) email.
      const orphans = (
        await query(clone, "shop", "SELECT count(*)::int AS n FROM orders o LEFT JOIN customers c ON c.email = o.customer_email WHERE c.id IS NULL")
      ).rows[0].n;
      expect(orphans).toBe(0);
      // Across databases: crm.contacts id 1, 4, 7… hold the same people as shop.customers.
      const contacts = (await query(clone, "crm", "SELECT id, email, full_name FROM contacts ORDER BY id")).rows;
      for (const c of contacts) {
        const customer = customers.find((x) => x.id === c.id)!;
        expect(c.email).toBe(customer.email);
        expect(c.full_name).toBe(customer.full_name);
      }
      expect(customers.filter((c) => c.card === null).map((c) => c.id)).toEqual(customers.filter((c) => c.id % 10 === 0).map((c) => c.id));
      for (const c of customers.filter((x) => x.card)) expect(isLuhnValid(c.card.replace(/ /g, ""))).toBe(true);
    } finally {
      await teardownClones({ home, reporter: silentReporter, id: clone.clone.id, repository });
    }
  });

  it("a policy naming a missing column fails clearly and builds nothing", async () => {
    const home = path.join(tmp, "home-bad");
    const repository = await openRepository(path.join(tmp, "repo-bad"));
    const bad = SHOP_POLICY.replace("phone: phone", "fone: phone");
    const attempt = buildImage({
      repository,
      name: "shop",
      version: "bad",
      home,
      reporter: silentReporter,
      sources: [
        { kind: "dump", path: shopDump },
        { kind: "dump", path: crmDump },
      ],
      masking: { policy: parsePolicy(bad, "policy.yml"), key },
    });
    await expect(attempt).rejects.toThrow(PolicyError);
    await expect(attempt).rejects.toThrow(/^policy\.yml:10:13: .*column 'fone' does not exist in public\.customers/);
    expect(await repository.list()).toEqual([]);
    expect(await readdir(path.join(home, "work")).catch(() => [])).toEqual([]);
  });

  it("publishes a variant as its own image, found by name+variant:version", async () => {
    const home = path.join(tmp, "home-variant");
    const repository = await openRepository(path.join(tmp, "repo-variant"));
    const policy = parsePolicy(
      `databases:\n  crm:\n    tables:\n      contacts:\n        columns:\n          email: email\nvariants:\n  contractor:\n    access: { users: [octocat] }\n    databases:\n      crm:\n        tables:\n          contacts:\n            columns:\n              full_name: fullName\n`,
      "v.yml",
    );
    const build = await buildImage({
      repository,
      name: "crm",
      version: "v1",
      home,
      reporter: silentReporter,
      sources: [{ kind: "dump", path: crmDump }],
      masking: { policy, key, variant: "contractor" },
    });
    expect(build.image.name).toBe("crm/variants/contractor");
    const found = await repository.resolve(parseImageRef("crm+contractor:v1"));
    expect(found.manifestDigest).toBe(build.image.manifestDigest);
    expect(found.manifest.masking!.variant).toBe("contractor");
    expect(found.manifest.access).toEqual({ users: ["octocat"], teams: [] });
    expect(found.manifest.masking!.rules.map((r) => r.column).sort()).toEqual(["email", "full_name"]);
    await expect(repository.resolve(parseImageRef("crm+dev:v1"))).rejects.toThrow(/not found/);
  });

  it("refuses to publish when the policy leaves PII unmasked and says onUnmaskedPii: fail", async () => {
    const home = path.join(tmp, "home-pii");
    const repository = await openRepository(path.join(tmp, "repo-pii"));
    const partial = SHOP_POLICY.replace("            phone: phone\n", "");
    await expect(
      buildImage({
        repository,
        name: "shop",
        version: "pii",
        home,
        reporter: silentReporter,
        sources: [{ kind: "dump", path: shopDump }],
        masking: { policy: parsePolicy(partial.replace(/ {4}crm:[\s\S]*$/, ""), "p.yml"), key },
      }),
    ).rejects.toThrow(/customers\.phone/);
    expect(await repository.list()).toEqual([]);
  });
});
