import { mkdtemp, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog, GENESIS_HASH, hashEvent } from "../../../packages/core/src/audit/index.js";
import { AuditError } from "../../../packages/core/src/errors.js";

let dir: string;
let log: AuditLog;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-audit-"));
  log = new AuditLog(path.join(dir, "audit", "events.jsonl"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function appendFive(): Promise<void> {
  for (const v of ["1", "2", "3", "4", "5"]) await log.append({ action: "publish", outcome: "success", image: `orders-db:${v}`, actor: "alice" });
}
async function lines(): Promise<string[]> {
  return (await readFile(log.filePath, "utf8")).split("\n").filter(Boolean);
}
async function writeLines(ls: string[]): Promise<void> {
  await writeFile(log.filePath, ls.map((l) => `${l}\n`).join(""));
}

describe("AuditLog", () => {
  it("chains events from the genesis hash and records seq, time and actor", async () => {
    const first = await log.append({ action: "build", outcome: "success", actor: "bob" });
    const second = await log.append({ action: "publish", outcome: "failure", detail: "version exists" });
    expect(first).toMatchObject({ seq: 1, actor: "bob", prevHash: GENESIS_HASH });
    expect(second.prevHash).toBe(first.hash);
    const { hash, ...rest } = second;
    expect(hashEvent(rest)).toBe(hash);
    expect(JSON.parse(await readFile(log.headPath, "utf8"))).toEqual({ seq: 2, hash: second.hash });
    expect(await log.verify()).toEqual({ ok: true, events: 2 });
  });

  it("defaults the actor to GITHUB_ACTOR", async () => {
    const saved = process.env.GITHUB_ACTOR;
    process.env.GITHUB_ACTOR = "octocat";
    try {
      expect((await log.append({ action: "pull", outcome: "success" })).actor).toBe("octocat");
    } finally {
      if (saved === undefined) delete process.env.GITHUB_ACTOR;
      else process.env.GITHUB_ACTOR = saved;
    }
  });

  it("verifies a missing log as empty and filters events on read", async () => {
    expect(await log.verify()).toEqual({ ok: true, events: 0 });
    await appendFive();
    await log.append({ action: "denied", outcome: "denied", image: "other:1", actor: "mallory" });
    expect((await log.read({ image: "orders-db" })).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await log.read({ actor: "mallory" }))[0]).toMatchObject({ action: "denied", seq: 6 });
    expect(await log.read({ action: "gc" })).toEqual([]);
  });

  it("keeps a single unbroken chain under concurrent appends", async () => {
    await Promise.all(Array.from({ length: 12 }, (_, i) => log.append({ action: "clone", outcome: "success", clone: `c${i}` })));
    expect(await log.verify()).toEqual({ ok: true, events: 12 });
  });

  describe("verify catches tampering and names the line", () => {
    it("an edited field", async () => {
      await appendFive();
      const ls = await lines();
      ls[2] = ls[2]!.replace('"actor":"alice"', '"actor":"eve"');
      await writeLines(ls);
      expect(await log.verify()).toMatchObject({ ok: false, events: 2, problem: { line: 3, reason: expect.stringMatching(/edited/) } });
    });

    it("a deleted middle line", async () => {
      await appendFive();
      const ls = await lines();
      ls.splice(1, 1);
      await writeLines(ls);
      expect(await log.verify()).toMatchObject({ ok: false, problem: { line: 2, reason: expect.stringMatching(/seq 3 where 2 was expected/) } });
    });

    it("a deleted last line", async () => {
      await appendFive();
      await writeLines((await lines()).slice(0, 4));
      expect(await log.verify()).toMatchObject({ ok: false, events: 4, problem: { line: 5, reason: expect.stringMatching(/last line\(s\) were removed/) } });
    });

    it("two swapped lines", async () => {
      await appendFive();
      const ls = await lines();
      [ls[2], ls[3]] = [ls[3]!, ls[2]!];
      await writeLines(ls);
      expect(await log.verify()).toMatchObject({ ok: false, problem: { line: 3, reason: expect.stringMatching(/removed, inserted or moved/) } });
    });

    it("a truncated last line", async () => {
      await appendFive();
      const text = await readFile(log.filePath, "utf8");
      await writeFile(log.filePath, text.slice(0, text.length - 20));
      expect(await log.verify()).toMatchObject({ ok: false, problem: { line: 5, reason: expect.stringMatching(/not valid JSON/) } });
    });

    it("a last line that lost only its newline", async () => {
      await appendFive();
      const text = await readFile(log.filePath, "utf8");
      await writeFile(log.filePath, text.slice(0, -1));
      expect(await log.verify()).toMatchObject({ ok: false, problem: { line: 5, reason: expect.stringMatching(/incomplete/) } });
    });

    it("an inserted line", async () => {
      await appendFive();
      const ls = await lines();
      const forged = { ...JSON.parse(ls[1]!), image: "orders-db:forged" };
      ls.splice(2, 0, JSON.stringify(forged));
      await writeLines(ls);
      expect(await log.verify()).toMatchObject({ ok: false, problem: { line: 3 } });
    });

    it("an inserted line whose own hash was recomputed", async () => {
      await appendFive();
      const ls = await lines();
      const prev = JSON.parse(ls[1]!);
      const { hash: _h, ...body } = { ...prev, seq: 3, prevHash: prev.hash, image: "orders-db:forged" };
      ls.splice(2, 0, JSON.stringify({ ...body, hash: hashEvent(body) }));
      await writeLines(ls);
      // The forged line chains; the real line after it no longer does.
      expect(await log.verify()).toMatchObject({ ok: false, problem: { line: 4 } });
    });

    it("a deleted head file", async () => {
      await appendFive();
      await unlink(log.headPath);
      expect(await log.verify()).toMatchObject({ ok: false, problem: { reason: expect.stringMatching(/events.head is missing/) } });
    });
  });

  it("refuses to append to a log whose last line was removed, and writes nothing", async () => {
    await appendFive();
    await writeLines((await lines()).slice(0, 4));
    const before = await stat(log.filePath);
    await expect(log.append({ action: "gc", outcome: "success" })).rejects.toThrow(AuditError);
    await expect(log.append({ action: "gc", outcome: "success" })).rejects.toThrow(/damaged.*does not match events.head/);
    expect((await stat(log.filePath)).size).toBe(before.size);
  });

  it("recovers from an append that died between the log write and the head write", async () => {
    await appendFive();
    const head = await readFile(log.headPath, "utf8");
    await log.append({ action: "gc", outcome: "success" });
    await writeFile(log.headPath, head); // as if the process died before moving the head
    expect((await log.verify()).problem?.reason).toMatch(/interrupted append/);
    await log.append({ action: "gc", outcome: "success" });
    expect(await log.verify()).toEqual({ ok: true, events: 7 });
  });
});
