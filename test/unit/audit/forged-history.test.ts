// An attacker with write access to the log rewrites a middle event and recomputes its hash, so the
// line is self-consistent and keeps its seq: only the chain (the next line's prevHash) betrays it.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog, hashEvent, type AuditEvent } from "../../../packages/core/src/audit/index.js";

let dir: string;
let log: AuditLog;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-forged-"));
  log = new AuditLog(path.join(dir, "audit", "events.jsonl"));
  for (const v of ["1", "2", "3", "4", "5"]) await log.append({ action: "publish", outcome: "success", image: `orders-db:${v}`, actor: "alice" });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rewriteLine(index: number, forge: (e: AuditEvent) => Omit<AuditEvent, "hash">): Promise<AuditEvent> {
  const lines = (await readFile(log.filePath, "utf8")).split("\n").filter(Boolean);
  const forged = forge(JSON.parse(lines[index]!) as AuditEvent);
  const event = { ...forged, hash: hashEvent(forged) };
  lines[index] = JSON.stringify(event);
  await writeFile(log.filePath, lines.map((l) => `${l}\n`).join(""));
  return event;
}

describe("audit verify against a forged history", () => {
  it("catches a middle event rewritten with a recomputed hash and the same seq (the next line no longer chains)", async () => {
    const forged = await rewriteLine(2, ({ hash: _h, ...e }) => ({ ...e, actor: "eve", outcome: "denied" }));
    expect(forged.seq).toBe(3);
    const result = await log.verify();
    expect(result).toMatchObject({ ok: false, events: 3, problem: { line: 4, reason: expect.stringMatching(/does not chain to the line before it/) } });
  });

  it("catches a middle event whose prevHash was replaced and whose hash was recomputed", async () => {
    await rewriteLine(2, ({ hash: _h, ...e }) => ({ ...e, prevHash: `sha256:${"f".repeat(64)}` }));
    expect(await log.verify()).toMatchObject({ ok: false, events: 2, problem: { line: 3, reason: expect.stringMatching(/does not chain/) } });
  });

  it("still verifies the untouched log (the forgery, not the fixture, is what fails)", async () => {
    expect(await log.verify()).toEqual({ ok: true, events: 5 });
  });
});
