// The leak-scan gate of a PostgreSQL build, for real: a support note still quotes one customer's
// email in a column the policy does not mask (a copy the policy author missed). One copy of one
// original of a unique (high-cardinality) masked column is enough: the gate stops the build and
// publishes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildImage } from "../../../packages/core/src/build/index.js";
import { LeakFoundError, parsePolicy } from "../../../packages/core/src/masking/index.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { openRepository } from "../../../packages/core/src/repository/index.js";
import { scratchServer, type Scratch } from "./fixture.js";

const key = { bytes: Buffer.from("leak-gate-test-key-0123456789"), insecure: false };
const COPIED = "person7@leak-gate.test";
const POLICY = `onUnmaskedPii: warn
databases:
  support:
    tables:
      customers:
        columns:
          email: email
`;
let scratch: Scratch;
let tmp: string;
let leakyDump: string;
let cleanDump: string;
let commentDump: string;
const COMMENTED = "person9@leak-gate.test";

beforeAll(async () => {
  scratch = await scratchServer();
  tmp = await mkdtemp(path.join(os.tmpdir(), "dbclone-leak-gate-"));
  await chmod(tmp, 0o711);
  for (const [db, note] of [
    ["support", `call back ${COPIED} about the refund`],
    ["supportclean", "call back the customer about the refund"],
  ] as const) {
    await scratch.sql("postgres", `CREATE DATABASE ${db}`);
    await scratch.sql(
      db,
      `CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE NOT NULL);
      INSERT INTO customers SELECT g, 'person' || g || '@leak-gate.test' FROM generate_series(1, 50) g;
      CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);
      INSERT INTO notes VALUES (1, $$${note}$$);`,
    );
  }
  leakyDump = path.join(scratch.dir, "support.dump");
  cleanDump = path.join(scratch.dir, "supportclean.dump");
  await scratch.dump("support", leakyDump);
  await scratch.dump("supportclean", cleanDump);
  // An original the published rows do not hold at all: only the catalog (a table comment) does.
  // Catalog text is published, so the comment is a copy of a unique email and must stop the build.
  await scratch.sql("postgres", "CREATE DATABASE supportcomment");
  await scratch.sql(
    "supportcomment",
    `CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE NOT NULL);
    INSERT INTO customers SELECT g, 'person' || g || '@leak-gate.test' FROM generate_series(1, 50) g;
    COMMENT ON TABLE customers IS $$escalations: ${COMMENTED}$$;`,
  );
  commentDump = path.join(scratch.dir, "supportcomment.dump");
  await scratch.dump("supportcomment", commentDump);
});

afterAll(async () => {
  await scratch?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function build(dump: string, database: string, dir: string) {
  const home = path.join(tmp, dir, "home");
  const repository = await openRepository(path.join(tmp, dir, "repo"));
  const policy = parsePolicy(POLICY.replace("  support:", `  ${database}:`), "policy.yml");
  const attempt = buildImage({
    repository,
    name: "support",
    version: "v1",
    home,
    reporter: silentReporter,
    sources: [{ kind: "dump", path: dump }],
    masking: { policy, key },
  });
  return { home, repository, attempt };
}

describe("the leak-scan gate (PostgreSQL)", () => {
  it("stops a build whose final disk still holds one original (a copy in an unmasked column), names where, and publishes nothing", async () => {
    const { home, repository, attempt } = await build(leakyDump, "support", "leaky");
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LeakFoundError);
    expect((error as Error).message).toMatch(
      /^unmasked columns hold copies of masked personal data, so nothing was published: support\.public\.notes\.body holds 1 value\(s\) of masked support\.public\.customers\.email/,
    );
    expect((error as Error).message).not.toContain(COPIED);
    expect(await repository.list()).toEqual([]);
    expect(await readdir(path.join(home, "work")).catch(() => [])).toEqual([]);
  });

  it("publishes the same data without the copied value (the copy is what the gate stops)", async () => {
    const { repository, attempt } = await build(cleanDump, "supportclean", "clean");
    const result = await attempt;
    expect(result.masking!.leakScan.hits).toBe(0);
    expect(result.masking!.leakScan.probes).toBe(50);
    expect(result.masking!.leakScan.valuesSearched).toBe(50);
    expect((await repository.list()).map((v) => `${v.name}:${v.version}`)).toEqual(["support:v1"]);
  });

  it("stops a build whose catalog quotes a customer's email (a table comment): a copy, named by catalog column", async () => {
    const { home, repository, attempt } = await build(commentDump, "supportcomment", "comment");
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LeakFoundError);
    expect((error as Error).message).toMatch(
      /supportcomment\.pg_catalog\.pg_description\.description holds 1 value\(s\) of masked supportcomment\.public\.customers\.email/,
    );
    expect((error as Error).message).not.toContain(COMMENTED);
    expect(await repository.list()).toEqual([]);
    expect(await readdir(path.join(home, "work")).catch(() => [])).toEqual([]);
  });
});
