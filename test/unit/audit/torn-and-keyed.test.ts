import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog, hashEvent, type AuditEvent } from "../../../packages/core/src/audit/index.js";
import { AuditError } from "../../../packages/core/src/errors.js";

let dir: string;
let file: string;
const KEY = Buffer.from("k".repeat(40));

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-audit-torn-"));
  file = path.join(dir, "audit", "events.jsonl");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function events(): Promise<AuditEvent[]> {
  return (await readFile(file, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent);
}

describe("a torn last line (an append that crashed or hit a full disk)", () => {
  it("is set aside in events.jsonl.torn, recorded as a repair, and the chain continues", async () => {
    const log = new AuditLog(file, undefined, { key: null });
    await log.append({ action: "clone", outcome: "success", actor: "a" });
    await log.append({ action: "clone", outcome: "success", actor: "a" });
    // The append of event 3 wrote half its line and died before moving the head.
    await appendFile(file, '{"action":"clone","outcome":"succ');
    const next = await log.append({ action: "teardown", outcome: "success", actor: "a" });
    expect(next.seq).toBe(4);
    expect((await events()).map((e) => e.action)).toEqual(["clone", "clone", "repair", "teardown"]);
    expect(await readFile(`${file}.torn`, "utf8")).toBe('{"action":"clone","outcome":"succ\n');
    const verified = await log.verify();
    expect(verified).toMatchObject({
      ok: true,
      events: 4,
      repairs: [{ seq: 3, detail: expect.stringMatching(/torn last line \(33 bytes.*events\.jsonl\.torn/) }],
    });
  });

  it("is repaired by verify too, even when it is the only line", async () => {
    const log = new AuditLog(file, undefined, { key: null });
    await log.append({ action: "build", outcome: "success", actor: "a" });
    await writeFile(file, '{"seq":1,"act');
    await rm(log.headPath);
    expect(await log.verify()).toMatchObject({ ok: true, events: 1, repairs: [{ seq: 1 }] });
  });

  it("is not set aside when the head covers it: that is a truncation, reported and refused", async () => {
    const log = new AuditLog(file, undefined, { key: null });
    for (let i = 0; i < 3; i++) await log.append({ action: "pull", outcome: "success", actor: "a" });
    const text = await readFile(file, "utf8");
    await writeFile(file, text.slice(0, -15));
    expect(await log.verify()).toMatchObject({ ok: false, problem: { line: 3 } });
    await expect(log.append({ action: "gc", outcome: "success" })).rejects.toThrow(AuditError);
  });
});

describe("keyed entries (DBCLONE_AUDIT_KEY)", () => {
  it("carry an HMAC; a rewrite with recomputed hashes and head fails without the key", async () => {
    const log = new AuditLog(file, undefined, { key: KEY });
    for (const image of ["a:1", "b:1", "c:1"]) await log.append({ action: "publish", outcome: "success", image, actor: "a" });
    expect((await events()).every((e) => /^hmac-sha256:[0-9a-f]{64}$/.test(e.mac ?? ""))).toBe(true);
    expect(await log.verify()).toMatchObject({ ok: true, events: 3, keyed: { keyed: 3, unkeyed: 0 } });

    // Rewrite event 2 and every hash after it, and the head: the chain checks out, the HMACs do not.
    const rewritten: AuditEvent[] = [];
    let prevHash = "";
    for (const [i, e] of (await events()).entries()) {
      const { hash: _h, mac, ...body } = { ...e, ...(i === 1 ? { image: "forged:1" } : {}), ...(i > 0 ? { prevHash } : {}) };
      const hash = hashEvent(body);
      rewritten.push({ ...body, hash, ...(mac ? { mac } : {}) });
      prevHash = hash;
    }
    await writeFile(file, rewritten.map((e) => `${JSON.stringify(e)}\n`).join(""));
    await writeFile(log.headPath, `${JSON.stringify({ seq: 3, hash: prevHash })}\n`);
    expect(await new AuditLog(file, undefined, { key: null }).verify()).toMatchObject({ ok: true });
    expect(await log.verify()).toMatchObject({ ok: false, problem: { line: 2, reason: expect.stringMatching(/wrong HMAC/) } });
  });

  it("counts events from before the key as unkeyed, and refuses a key shorter than 32 characters", async () => {
    await new AuditLog(file, undefined, { key: null }).append({ action: "build", outcome: "success", actor: "a" });
    const keyed = new AuditLog(file, undefined, { key: KEY });
    await keyed.append({ action: "build", outcome: "success", actor: "a" });
    expect(await keyed.verify()).toMatchObject({ ok: true, keyed: { keyed: 1, unkeyed: 1 } });
    const saved = process.env.DBCLONE_AUDIT_KEY;
    process.env.DBCLONE_AUDIT_KEY = "short";
    try {
      await expect(new AuditLog(file).append({ action: "gc", outcome: "success" })).rejects.toThrow(/at least 32 characters/);
    } finally {
      if (saved === undefined) delete process.env.DBCLONE_AUDIT_KEY;
      else process.env.DBCLONE_AUDIT_KEY = saved;
    }
  });
});
