// One audit line against the line before it: every way a line can be broken gets its own reason.
import { describe, expect, it } from "vitest";
import { checkLine, GENESIS_HASH, hashEvent, type AuditEvent } from "../../../packages/core/src/audit/chain.js";

const start = { seq: 0, hash: GENESIS_HASH };
function event(over: Partial<AuditEvent> = {}): AuditEvent {
  const body = {
    seq: 1,
    time: "2026-01-01T00:00:00.000Z",
    actor: "alice",
    action: "publish" as const,
    outcome: "success" as const,
    prevHash: GENESIS_HASH,
    ...over,
  };
  delete (body as Partial<AuditEvent>).hash;
  return { ...body, hash: hashEvent(body) };
}
const reasonOf = (line: string, prev = start) => {
  const r = checkLine(line, prev);
  return "reason" in r ? r.reason : undefined;
};

describe("checkLine", () => {
  it("accepts the first event chained to the genesis hash", () => {
    const e = event();
    expect(checkLine(JSON.stringify(e), start)).toEqual({ event: e });
  });

  it("calls an empty or blank line empty", () => {
    expect(reasonOf("")).toBe("is empty");
    expect(reasonOf(" \t ")).toBe("is empty");
  });

  it("calls a truncated line not valid JSON", () => {
    expect(reasonOf(JSON.stringify(event()).slice(0, 40))).toMatch(/^is not valid JSON/);
  });

  it("refuses JSON that is not an audit event: a number, null, or an object lacking seq, hash or prevHash", () => {
    const lacks = /^lacks seq, prevHash or hash/;
    expect(reasonOf("42")).toMatch(lacks);
    expect(reasonOf("null")).toMatch(lacks);
    const { seq: _s, ...noSeq } = event();
    const { hash: _h, ...noHash } = event();
    const { prevHash: _p, ...noPrev } = event();
    expect(reasonOf(JSON.stringify(noSeq))).toMatch(lacks);
    expect(reasonOf(JSON.stringify({ ...event(), seq: "1" }))).toMatch(lacks);
    expect(reasonOf(JSON.stringify(noHash))).toMatch(lacks);
    expect(reasonOf(JSON.stringify(noPrev))).toMatch(lacks);
  });

  it("refuses an edited line, a wrong seq and a broken chain, each with its reason", () => {
    expect(reasonOf(JSON.stringify({ ...event(), actor: "eve" }))).toMatch(/does not match its own hash/);
    expect(reasonOf(JSON.stringify(event({ seq: 2 })))).toBe("has seq 2 where 1 was expected: a line was removed, inserted or moved");
    expect(reasonOf(JSON.stringify(event({ prevHash: `sha256:${"1".repeat(64)}` })))).toMatch(/^does not chain to the line before it/);
  });
});

describe("the chain's genesis", () => {
  it("is sha256: and 64 zeros, as every log written so far begins: another value would refuse them all", () => {
    expect(GENESIS_HASH).toBe(`sha256:${"0".repeat(64)}`);
  });
});
