// The audit log's refusals, each as the accident or forgery it guards against: a head file that
// was rewritten, emptied or is not a head; a log cut to nothing; a last line edited or replaced;
// lines appended past the head; an unkeyed line slipped into a keyed log; a torn line the head
// does not vouch for. Every check names the line and what happened, and nothing is appended.
import { appendFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog, defaultActor, GENESIS_HASH, hashEvent, type AuditEvent } from "../../../packages/core/src/audit/log.js";
import { AuditError } from "../../../packages/core/src/errors.js";

let dir: string;
let file: string;
let log: AuditLog;
const KEY = Buffer.from("k".repeat(40));

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-audit-damaged-"));
  file = path.join(dir, "audit", "events.jsonl");
  log = new AuditLog(file, undefined, { key: null });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function append(n: number, target = log): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for (let i = 0; i < n; i++) out.push(await target.append({ action: "pull", outcome: "success", image: `img:${i}`, actor: "alice" }));
  return out;
}
const lines = async () => (await readFile(file, "utf8")).split("\n").filter(Boolean);
const writeHead = (head: unknown) => writeFile(log.headPath, `${JSON.stringify(head)}\n`);
/** A line as a forger writes it: any body, with its own hash recomputed. */
const forged = (body: Omit<AuditEvent, "hash">) => JSON.stringify({ ...body, hash: hashEvent(body) });
const sizeOf = async () => (await stat(file)).size;

describe("the head file", () => {
  it("sits beside the log: events.jsonl has events.head, any other name gets .head appended", () => {
    expect(log.headPath).toBe(path.join(dir, "audit", "events.head"));
    expect(new AuditLog(path.join(dir, "audit.log")).headPath).toBe(path.join(dir, "audit.log.head"));
  });

  it("head() is seq 0 and the genesis hash for a new log, then the last event", async () => {
    expect(await log.head()).toEqual({ seq: 0, hash: GENESIS_HASH });
    const [, second] = await append(2);
    expect(await log.head()).toEqual({ seq: 2, hash: second!.hash });
  });

  it("a head replaced by something that is not a head is refused by name", async () => {
    await append(2);
    for (const head of [{ seq: "2", hash: "x" }, { seq: 2 }, "not json"]) {
      await writeFile(log.headPath, typeof head === "string" ? head : JSON.stringify(head));
      await expect(log.verify()).rejects.toThrow(`audit head ${log.headPath} is not valid; restore it from a copy`);
    }
  });

  it("a head path that cannot be read (a directory put there) is an error, not a missing head", async () => {
    await append(1);
    await rm(log.headPath);
    await mkdir(log.headPath);
    await expect(log.verify()).rejects.toThrow(/EISDIR/);
  });

  it("a head whose hash was replaced: the end of the log was replaced", async () => {
    await append(5);
    await writeHead({ seq: 5, hash: `sha256:${"0".repeat(64)}` });
    expect(await log.verify()).toEqual({
      ok: false,
      events: 5,
      problem: { line: 5, reason: "line 5 is not the last event recorded in events.head: the end of the log was replaced" },
    });
  });

  it("two lines added past the head are named as added lines, not as an interrupted append", async () => {
    const events = await append(5);
    await writeHead({ seq: 3, hash: events[2]!.hash });
    expect(await log.verify()).toEqual({
      ok: false,
      events: 5,
      problem: { line: 4, reason: "line 4 is beyond the 3 events recorded in events.head: lines were added at the end" },
    });
  });

  it("one line past a head that does not match the line before it: added, not interrupted", async () => {
    await append(5);
    await writeHead({ seq: 4, hash: `sha256:${"1".repeat(64)}` });
    expect((await log.verify()).problem).toEqual({ line: 5, reason: "line 5 is beyond the 4 events recorded in events.head: lines were added at the end" });
  });

  it("a head several events behind whose hash is the last line's prevHash: still lines added, not an interrupted append", async () => {
    const events = await append(5);
    await writeHead({ seq: 3, hash: events[3]!.hash });
    expect((await log.verify()).problem).toEqual({ line: 4, reason: "line 4 is beyond the 3 events recorded in events.head: lines were added at the end" });
  });

  it("a removed last line is named with both counts", async () => {
    await append(5);
    await writeFile(
      file,
      (await lines())
        .slice(0, 4)
        .map((l) => `${l}\n`)
        .join(""),
    );
    expect((await log.verify()).problem).toEqual({
      line: 5,
      reason: "line 5 is missing: events.head records 5 events but the log ends after 4; the last line(s) were removed",
    });
  });

  it("an empty log file without a head is an empty log", async () => {
    await mkdir(path.dirname(file));
    await writeFile(file, "");
    expect(await log.verify()).toEqual({ ok: true, events: 0 });
  });

  it("a last line that lost its newline: the events before it check out", async () => {
    await append(5);
    await writeFile(file, (await readFile(file, "utf8")).slice(0, -1));
    expect(await log.verify()).toMatchObject({ ok: false, events: 4, problem: { line: 5 } });
  });
});

describe("appending to a damaged log is refused and writes nothing", () => {
  it("a log emptied while its head still records events", async () => {
    await append(5);
    await writeFile(file, "");
    await expect(log.append({ action: "gc", outcome: "success" })).rejects.toThrow(AuditError);
    await expect(log.append({ action: "gc", outcome: "success" })).rejects.toThrow(/is damaged: it is empty but events.head records 5 events/);
    expect(await sizeOf()).toBe(0);
  });

  it("a last line that is not JSON", async () => {
    await append(2);
    await appendFile(file, "garbage\n");
    const before = await sizeOf();
    await expect(log.append({ action: "gc", outcome: "success" })).rejects.toThrow(/is damaged: its last line is not valid JSON\. Nothing was appended/);
    expect(await sizeOf()).toBe(before);
  });

  it("a last line edited without recomputing its hash", async () => {
    await append(3);
    const ls = await lines();
    ls[2] = ls[2]!.replace('"actor":"alice"', '"actor":"eve"');
    await writeFile(file, ls.map((l) => `${l}\n`).join(""));
    await expect(log.append({ action: "gc", outcome: "success" })).rejects.toThrow(/its last line does not match its hash/);
  });

  it("a torn last line the head vouches for (a truncation, not a crash): the last line is incomplete", async () => {
    await append(3);
    await writeFile(file, (await readFile(file, "utf8")).slice(0, -15));
    const before = await sizeOf();
    await expect(log.append({ action: "gc", outcome: "success" })).rejects.toThrow(/its last line is incomplete/);
    expect(await sizeOf()).toBe(before);
  });

  it("a head with the last line's seq but another hash", async () => {
    await append(5);
    await writeHead({ seq: 5, hash: `sha256:${"2".repeat(64)}` });
    await expect(log.append({ action: "gc", outcome: "success" })).rejects.toThrow(/its last line \(seq 5\) does not match events.head/);
  });

  it("a head one behind whose hash is not the last line's prevHash", async () => {
    await append(5);
    await writeHead({ seq: 4, hash: `sha256:${"3".repeat(64)}` });
    await expect(log.append({ action: "gc", outcome: "success" })).rejects.toThrow(/its last line \(seq 5\) does not match events.head/);
  });

  it("a head with the last line's hash but another seq", async () => {
    const events = await append(5);
    await writeHead({ seq: 7, hash: events[4]!.hash });
    await expect(log.append({ action: "gc", outcome: "success" })).rejects.toThrow(/its last line \(seq 5\) does not match events.head/);
  });

  it("a head whose hash is the last line's prevHash but which is more than one behind", async () => {
    const events = await append(5);
    await writeHead({ seq: 2, hash: events[3]!.hash });
    await expect(log.append({ action: "gc", outcome: "success" })).rejects.toThrow(/its last line \(seq 5\) does not match events.head/);
  });

  it("a single forged line chained to the genesis hash but numbered 5, with no head", async () => {
    await mkdir(path.dirname(file));
    const body = { seq: 5, time: new Date().toISOString(), actor: "eve", action: "publish", outcome: "success", prevHash: GENESIS_HASH } as Omit<
      AuditEvent,
      "hash"
    >;
    await writeFile(file, `${forged(body)}\n`);
    await expect(log.append({ action: "gc", outcome: "success" })).rejects.toThrow(/its last line \(seq 5\) does not match events.head/);
  });

  it("but an empty log whose head records 0 events takes its first event", async () => {
    await mkdir(path.dirname(file));
    await writeFile(file, "");
    await writeHead({ seq: 0, hash: GENESIS_HASH });
    expect((await log.append({ action: "gc", outcome: "success", actor: "a" })).seq).toBe(1);
  });

  it("a head that was deleted from a log of several events", async () => {
    await append(3);
    await rm(log.headPath);
    await expect(log.append({ action: "gc", outcome: "success" })).rejects.toThrow(/its last line \(seq 3\) does not match events.head/);
  });

  it("a single forged line that does not start from the genesis hash, with no head", async () => {
    await mkdir(path.dirname(file));
    const body = { seq: 1, time: new Date().toISOString(), actor: "eve", action: "publish", outcome: "success", prevHash: `sha256:${"4".repeat(64)}` } as Omit<
      AuditEvent,
      "hash"
    >;
    await writeFile(file, `${forged(body)}\n`);
    await expect(log.append({ action: "gc", outcome: "success" })).rejects.toThrow(/its last line \(seq 1\) does not match events.head/);
  });

  it("but a first event whose head write was lost is continued (the head catches up)", async () => {
    await append(1);
    await rm(log.headPath);
    expect((await log.append({ action: "gc", outcome: "success", actor: "a" })).seq).toBe(2);
    expect(await log.verify()).toEqual({ ok: true, events: 2 });
  });
});

describe("torn last lines the head does not allow setting aside", () => {
  const torn = () => appendFile(file, '{"action":"pull","outc');
  const tornFile = () =>
    stat(`${file}.torn`).then(
      () => true,
      () => false,
    );

  it("a head with the same seq as the line before the torn one but another hash (a rewritten head)", async () => {
    await append(3);
    await writeHead({ seq: 3, hash: `sha256:${"5".repeat(64)}` });
    await torn();
    expect((await log.verify()).ok).toBe(false);
    expect(await tornFile()).toBe(false);
  });

  it("a head whose hash is the last line's but whose seq is not", async () => {
    const events = await append(3);
    await writeHead({ seq: 4, hash: events[2]!.hash });
    await torn();
    expect((await log.verify()).ok).toBe(false);
    expect(await tornFile()).toBe(false);
  });

  it("no head and three events before the torn line (the head was deleted)", async () => {
    await append(3);
    await rm(log.headPath);
    await torn();
    expect((await log.verify()).ok).toBe(false);
    expect(await tornFile()).toBe(false);
  });

  it("a line before the torn one that is not JSON", async () => {
    await append(2);
    await appendFile(file, "garbage\n");
    await torn();
    expect((await log.verify()).ok).toBe(false);
    expect(await tornFile()).toBe(false);
  });

  it("no head and a line before the torn one that is not JSON", async () => {
    await mkdir(path.dirname(file));
    await writeFile(file, "garbage\n");
    await torn();
    expect((await log.verify()).ok).toBe(false);
    expect(await tornFile()).toBe(false);
  });

  it("a torn line after one event whose head was lost is set aside and recorded as a successful repair", async () => {
    await append(1);
    await rm(log.headPath);
    await torn();
    expect(await log.verify()).toMatchObject({ ok: true, events: 2, repairs: [{ seq: 2 }] });
    expect(JSON.parse((await lines())[1]!)).toMatchObject({ action: "repair", outcome: "success", seq: 2 });
  });
});

describe("reading", () => {
  it("skips blank lines and names the line that is not JSON", async () => {
    await append(2);
    const [a, b] = await lines();
    await writeFile(file, `${a}\n\n   \n${b}\n`);
    expect((await log.read()).map((e) => e.seq)).toEqual([1, 2]);
    await writeFile(file, `${a}\n{"seq":\n${b}\n`);
    await expect(log.read()).rejects.toThrow(`${file} line 2 is not valid JSON; run \`dbclone audit verify\``);
  });

  it("a log whose directory exists but whose file does not reads as empty", async () => {
    await mkdir(path.dirname(file));
    expect(await log.read()).toEqual([]);
    const raw: string[] = [];
    for await (const l of log.rawLines()) raw.push(l);
    expect(raw).toEqual([]);
  });

  it("rawLines gives the log's lines as written", async () => {
    await append(2);
    const raw: string[] = [];
    for await (const l of log.rawLines()) raw.push(l);
    expect(raw).toEqual(await lines());
  });

  it("a log path under a regular file is an error, not an empty log", async () => {
    await writeFile(path.join(dir, "plain"), "x");
    const misplaced = new AuditLog(path.join(dir, "plain", "audit", "events.jsonl"), undefined, { key: null });
    await expect(misplaced.verify()).rejects.toThrow(/ENOTDIR/);
    const flat = new AuditLog(path.join(dir, "plain", "events.jsonl"), undefined, { key: null });
    await expect(flat.read()).rejects.toThrow(/ENOTDIR/);
  });
});

describe("keyed logs", () => {
  it("an unkeyed line appended after keyed ones (written without the audit key) fails verify", async () => {
    const keyed = new AuditLog(file, undefined, { key: KEY });
    const events = await append(2, keyed);
    const body = { seq: 3, time: new Date().toISOString(), actor: "eve", action: "publish", outcome: "success", prevHash: events[1]!.hash } as Omit<
      AuditEvent,
      "hash"
    >;
    const line = forged(body);
    await appendFile(file, `${line}\n`);
    await writeHead({ seq: 3, hash: JSON.parse(line).hash });
    expect(await keyed.verify()).toMatchObject({
      ok: false,
      problem: { line: 3, reason: "line 3 lacks the HMAC the lines before it carry: it was rewritten without the audit key" },
    });
  });
});

describe("defaultActor", () => {
  it("is GITHUB_ACTOR on a runner, else the OS user", () => {
    expect(defaultActor({ GITHUB_ACTOR: "octocat" })).toBe("octocat");
    expect(defaultActor({})).toBe(os.userInfo().username);
  });
});
