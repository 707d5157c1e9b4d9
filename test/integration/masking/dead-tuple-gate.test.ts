// The data-file half of the leak-scan gate on real PostgreSQL: one original that no published row
// holds, kept only by a dead tuple in a table page (a row written and deleted after masking, on a
// build whose scrub skipped VACUUM FULL). The published data is clean, so the copies check sees
// nothing; the disk holds exactly the data files' bytes, so the disk check finds nothing beyond
// them either: only the residue count of the data files can stop this build, and one is enough.
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withAdmin } from "../../../packages/core/src/engine/postgres/client.js";
import { LeakFoundError, leakScanOrFail, parsePolicy } from "../../../packages/core/src/masking/index.js";
import { silentReporter, type Reporter } from "../../../packages/core/src/reporter.js";
import { scratchShopDump, type Scratch } from "./fixture.js";
import { runMaskingPipeline } from "./leak-pipeline.js";

const key = Buffer.from("dead-tuple-gate-key-0123456789");
const ORIGINAL = "person23@dead-tuple.test";
const POLICY = `onUnmaskedPii: warn
databases:
  shop:
    tables:
      customers:
        columns:
          email: email
`;
let scratch: Scratch;
let dump: string;

beforeAll(async () => {
  ({ scratch, dump } = await scratchShopDump(
    `CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE NOT NULL);
    INSERT INTO customers SELECT g, 'person' || g || '@dead-tuple.test' FROM generate_series(1, 50) g;
    CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);
    INSERT INTO notes VALUES (1, 'call the customer back about the refund');`,
  ));
}, 600_000);

afterAll(async () => {
  await scratch?.close();
});

/** Every regular file under `root`, concatenated: a disk that holds the data files and nothing else. */
async function diskOfDataFiles(root: string, out: string): Promise<void> {
  const parts: Buffer[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) parts.push(await readFile(full));
    }
  };
  await walk(root);
  await writeFile(out, Buffer.concat(parts));
}

describe("the leak-scan gate: residue only a data file holds", () => {
  it("stops a build whose table page keeps one masked email in a dead tuple (scrub without VACUUM FULL), naming the table page and never the value", async () => {
    const r = await runMaskingPipeline({
      dump,
      policy: parsePolicy(POLICY, "policy.yml"),
      key,
      scrubFull: false,
      // After the published data was read: a row quoting the original is written and deleted again.
      plant: (server) =>
        withAdmin(server, "shop", async (c) => {
          await c.query("INSERT INTO notes VALUES (2, $1)", [`escalate ${ORIGINAL}`]);
          await c.query("DELETE FROM notes WHERE id = 2");
          await c.query("CHECKPOINT");
        }),
    });
    const tmp = await mkdtemp(path.join(os.tmpdir(), "dbclone-dead-tuple-"));
    try {
      const leak = r.masked.leak!;
      expect(leak.copies.filter((c) => c.verdict === "failed")).toEqual([]);
      // Exactly one residue, in a table page: the smallest leak the gate must stop.
      expect(leak.files.unexplainedCount).toBe(1);
      expect(leak.files.unexplained.map((h) => h.channel).join("; ")).toMatch(/table page/);

      const disk = path.join(tmp, "disk.raw");
      await diskOfDataFiles(r.freshRoot, disk);
      expect((await stat(disk)).size).toBeGreaterThan(0);
      const error = await leakScanOrFail(disk, r.masked.run, silentReporter, leak).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LeakFoundError);
      const message = (error as Error).message;
      expect(message).toMatch(/^the leak scan found 1 original value\(s\) stored in the final disk/);
      expect(message).toContain("shop.public.customers.email");
      expect(message).toMatch(/table page/);
      expect(message).not.toContain(ORIGINAL);
    } finally {
      await rm(tmp, { recursive: true, force: true });
      await r.cleanup();
    }
  }, 600_000);

  it("passes the clean data files, reporting the scan; stops the same build when one original sits on the disk outside them (free space)", async () => {
    const r = await runMaskingPipeline({ dump, policy: parsePolicy(POLICY, "policy.yml"), key });
    const tmp = await mkdtemp(path.join(os.tmpdir(), "dbclone-outside-"));
    try {
      const leak = r.masked.leak!;
      expect(leak.files.unexplainedCount).toBe(0);
      const clean = path.join(tmp, "clean.raw");
      await diskOfDataFiles(r.freshRoot, clean);
      const size = (await stat(clean)).size;
      const finished: string[] = [];
      const updates: number[] = [];
      const reporter: Reporter = {
        ...silentReporter,
        progress: () => ({ update: (done) => updates.push(done), finish: (m) => finished.push(m ?? "") }),
      };
      const result = await leakScanOrFail(clean, r.masked.run, reporter, leak);
      expect(result).toMatchObject({ hits: 0, bytesScanned: size, valuesSearched: 50 });
      expect(result.seconds).toBeGreaterThan(0);
      expect(result.seconds).toBeLessThan(600);
      expect(result.mbPerSecond).toBeCloseTo(size / 1048576 / result.seconds, 3);
      expect(updates.at(-1)).toBe(size);
      expect(finished).toEqual([expect.stringMatching(new RegExp(`^Leak scan: ${size} bytes, 50 values, 0 explained, 0 residue \\(\\d+ MB/s\\)$`))]);

      // The same data files, and one original in what the filesystem calls free space.
      const leaky = path.join(tmp, "leaky.raw");
      await writeFile(leaky, Buffer.concat([await readFile(clean), Buffer.alloc(4096), Buffer.from(ORIGINAL), Buffer.alloc(4096)]));
      const error = await leakScanOrFail(leaky, r.masked.run, silentReporter, leak).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LeakFoundError);
      const message = (error as Error).message;
      expect(message).toMatch(/^the leak scan found 1 original value\(s\) stored in the final disk/);
      expect(message).toContain("shop.public.customers.email (UTF-8) in the disk outside the data files (free space or filesystem metadata)");
      expect(message).toContain("A dead tuple, old index entry, kept WAL segment or free space still holds them");
      expect(message).not.toContain(ORIGINAL);
    } finally {
      await rm(tmp, { recursive: true, force: true });
      await r.cleanup();
    }
  }, 600_000);
});
