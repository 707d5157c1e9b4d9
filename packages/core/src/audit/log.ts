// Append-only, hash-chained JSONL audit log. Each line holds one event whose hash covers the
// previous line's hash, so editing, removing, inserting or reordering lines breaks the chain.
// A small head file (`events.head` = {seq, hash}) written under the same lock records the last
// event, so removing or truncating the LAST line is caught too. Without an external anchor an
// attacker able to rewrite both files can still forge a history; the chain proves accidents and
// naive edits, and the head can be copied elsewhere (job summary, git) for stronger proof.
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { AuditError } from "../errors.js";
import { checkLine, GENESIS_HASH, hashEvent, type AuditEvent, type AuditEventInput } from "./chain.js";
import { withFileLock } from "./file-lock.js";

export * from "./chain.js";

export interface AuditVerifyResult {
  ok: boolean;
  /** Events that checked out before the first problem. */
  events: number;
  /** 1-based line of the first problem. */
  problem?: { line: number; reason: string };
}

export interface AuditFilter {
  action?: AuditEventInput["action"];
  outcome?: AuditEventInput["outcome"];
  actor?: string;
  /** Exact `name:version`, or a bare name matching all its versions. */
  image?: string;
  /** ISO time: only events at or after it. */
  since?: string;
}

interface Head {
  seq: number;
  hash: string;
}

export function defaultActor(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_ACTOR) return env.GITHUB_ACTOR;
  try {
    return os.userInfo().username;
  } catch {
    return env.USER || "unknown";
  }
}

export class AuditLog {
  readonly headPath: string;

  /** `prepare` runs before each append: a repository uses it to lay itself out on first write. */
  constructor(
    readonly filePath: string,
    private readonly prepare?: () => Promise<void>,
  ) {
    this.headPath = filePath.endsWith(".jsonl") ? filePath.slice(0, -".jsonl".length) + ".head" : `${filePath}.head`;
  }

  /** Append one event (fsynced) and move the head, under a cross-process lock. */
  async append(input: AuditEventInput): Promise<AuditEvent> {
    await this.prepare?.();
    await mkdir(path.dirname(this.filePath), { recursive: true });
    return withFileLock(this.filePath, async () => {
      const prev = await this.currentTail();
      const body: Omit<AuditEvent, "hash"> = {
        ...dropUndefined(input),
        seq: prev.seq + 1,
        time: new Date().toISOString(),
        actor: input.actor || defaultActor(),
        prevHash: prev.hash,
      };
      const event: AuditEvent = { ...body, hash: hashEvent(body) };
      const fh = await open(this.filePath, "a", 0o640);
      try {
        await fh.write(JSON.stringify(event) + "\n");
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.writeHead({ seq: event.seq, hash: event.hash });
      return event;
    });
  }

  /** Walk the whole chain; report the first problem with its line number. */
  async verify(): Promise<AuditVerifyResult> {
    // No audit directory: nothing was ever logged (the lock needs the directory to exist).
    if (!(await exists(path.dirname(this.filePath)))) return { ok: true, events: 0 };
    return withFileLock(this.filePath, () => this.verifyUnlocked());
  }

  /** Events matching `filter`, oldest first. Throws AuditError on a line that does not parse. */
  async read(filter: AuditFilter = {}): Promise<AuditEvent[]> {
    const out: AuditEvent[] = [];
    let lineNo = 0;
    for await (const line of this.lines()) {
      lineNo++;
      if (!line.trim()) continue;
      let event: AuditEvent;
      try {
        event = JSON.parse(line) as AuditEvent;
      } catch {
        throw new AuditError(`${this.filePath} line ${lineNo} is not valid JSON; run \`dbclone audit verify\``);
      }
      if (matches(event, filter)) out.push(event);
    }
    return out;
  }

  private async verifyUnlocked(): Promise<AuditVerifyResult> {
    let prev: Head = { seq: 0, hash: GENESIS_HASH };
    let lineNo = 0;
    let lastPrevHash = GENESIS_HASH;
    for await (const line of this.lines()) {
      lineNo++;
      const check = checkLine(line, prev);
      if ("reason" in check) return { ok: false, events: lineNo - 1, problem: { line: lineNo, reason: `line ${lineNo} ${check.reason}` } };
      lastPrevHash = check.event.prevHash;
      prev = { seq: check.event.seq, hash: check.event.hash };
    }
    const events = lineNo;
    if (events > 0 && !(await endsWithNewline(this.filePath))) {
      return { ok: false, events: events - 1, problem: { line: events, reason: `line ${events} is incomplete (no newline at the end): the log was truncated` } };
    }
    const head = await this.readHead();
    const headProblem = compareHead(head, prev, lastPrevHash, events);
    return headProblem ? { ok: false, events, problem: headProblem } : { ok: true, events };
  }

  /** The last event as the log and the head agree on it; refuses to extend a damaged log. */
  private async currentTail(): Promise<Head> {
    const head = await this.readHead();
    const last = await readLastLine(this.filePath);
    if (last === undefined) {
      if (head && head.seq > 0) throw this.damaged(`it is empty but ${path.basename(this.headPath)} records ${head.seq} events`);
      return { seq: 0, hash: GENESIS_HASH };
    }
    if (!last.complete) throw this.damaged("its last line is incomplete");
    let event: AuditEvent;
    try {
      event = JSON.parse(last.text) as AuditEvent;
    } catch {
      throw this.damaged("its last line is not valid JSON");
    }
    const { hash, ...rest } = event;
    if (hashEvent(rest) !== hash) throw this.damaged("its last line does not match its hash");
    const agrees = head
      ? (head.seq === event.seq && head.hash === event.hash) ||
        // An append that died between the log write and the head write: the head catches up now.
        (head.seq === event.seq - 1 && head.hash === event.prevHash)
      : event.seq === 1 && event.prevHash === GENESIS_HASH;
    if (!agrees) throw this.damaged(`its last line (seq ${event.seq}) does not match ${path.basename(this.headPath)}`);
    return { seq: event.seq, hash: event.hash };
  }

  private damaged(what: string): AuditError {
    return new AuditError(
      `audit log ${this.filePath} is damaged: ${what}. Nothing was appended; run \`dbclone audit verify\` and restore the log from a copy`,
    );
  }

  private async readHead(): Promise<Head | undefined> {
    let text: string;
    try {
      text = await readFile(this.headPath, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
    try {
      const head = JSON.parse(text) as Head;
      if (typeof head.seq === "number" && typeof head.hash === "string") return head;
    } catch {
      /* reported below */
    }
    throw new AuditError(`audit head ${this.headPath} is not valid; restore it from a copy`);
  }

  private async writeHead(head: Head): Promise<void> {
    const tmp = `${this.headPath}.tmp-${process.pid}-${Date.now()}`;
    const fh = await open(tmp, "w", 0o644);
    try {
      await fh.write(JSON.stringify(head) + "\n");
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.headPath);
  }

  private async *lines(): AsyncGenerator<string> {
    try {
      await stat(this.filePath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    const rl = createInterface({ input: createReadStream(this.filePath, "utf8"), crlfDelay: Infinity });
    for await (const line of rl) yield line;
  }
}

function compareHead(head: Head | undefined, last: Head, lastPrevHash: string, events: number): { line: number; reason: string } | undefined {
  if (!head) {
    return events === 0 ? undefined : { line: events, reason: `events.head is missing while the log holds ${events} events: it was deleted` };
  }
  if (head.seq > events) {
    return { line: events + 1, reason: `line ${events + 1} is missing: events.head records ${head.seq} events but the log ends after ${events}; the last line(s) were removed` };
  }
  if (head.seq < events) {
    const interrupted = head.seq === events - 1 && head.hash === lastPrevHash;
    return {
      line: head.seq + 1,
      reason: `line ${head.seq + 1} is beyond the ${head.seq} events recorded in events.head: ${interrupted ? "an interrupted append, or a line added at the end" : "lines were added at the end"}`,
    };
  }
  if (head.hash !== last.hash) return { line: events, reason: `line ${events} is not the last event recorded in events.head: the end of the log was replaced` };
  return undefined;
}

function matches(e: AuditEvent, f: AuditFilter): boolean {
  if (f.action && e.action !== f.action) return false;
  if (f.outcome && e.outcome !== f.outcome) return false;
  if (f.actor && e.actor !== f.actor) return false;
  if (f.since && e.time < f.since) return false;
  if (f.image && e.image !== f.image && !(e.image ?? "").startsWith(`${f.image}:`)) return false;
  return true;
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

async function endsWithNewline(file: string): Promise<boolean> {
  const last = await readLastLine(file);
  return last === undefined || last.complete;
}

/** The last line of a file, read backwards in chunks so a long log costs no more than its tail. */
async function readLastLine(file: string): Promise<{ text: string; complete: boolean } | undefined> {
  let fh;
  try {
    fh = await open(file, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    const size = (await fh.stat()).size;
    if (size === 0) return undefined;
    let chunk = 4096;
    for (;;) {
      const start = Math.max(0, size - chunk);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      const complete = buf[buf.length - 1] === 0x0a;
      const body = complete ? buf.subarray(0, buf.length - 1) : buf;
      const nl = body.lastIndexOf(0x0a);
      if (nl >= 0 || start === 0) return { text: body.subarray(nl + 1).toString("utf8"), complete };
      chunk *= 4;
    }
  } finally {
    await fh.close();
  }
}
