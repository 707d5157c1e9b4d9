// Append-only, hash-chained JSONL audit log. Each line holds one event whose hash covers the
// previous line's hash, so editing, removing, inserting or reordering lines breaks the chain.
// A small head file (`events.head` = {seq, hash}) written under the same lock records the last
// event, so removing or truncating the LAST line is caught too. A torn last line (an append that
// crashed or hit a full disk before it moved the head) is set aside in `<log>.torn` and recorded
// as a `repair` event, so the chain continues. Rewriting the log and its head is caught by an
// anchor kept elsewhere (git tag, OCI artifact: repository/audit-anchors) and, with an audit key,
// by the HMAC each entry carries.
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { AuditError } from "../errors.js";
import { writeFileAtomic } from "../util/durable-write.js";
import { exists } from "../util/exists.js";
import { GENESIS_HASH, hashEvent, type AuditEvent, type AuditEventInput } from "./chain.js";
import { withFileLock } from "../util/file-lock.js";
import { auditKeyFromEnv, macOf } from "./keyed.js";
import { readLastLine, setAsideTornTail, type TornTailRepair } from "./tail.js";
import { compareHead, walkChain, type ChainHead, type RepairNote } from "./verify-chain.js";
import { matches, type AuditFilter } from "./filter.js";

export * from "./chain.js";
export type { AuditFilter } from "./filter.js";
export { walkChain, type ChainHead, type ChainWalk, type RepairNote } from "./verify-chain.js";
export { auditKeyFromEnv, macOf, AUDIT_KEY_ENV } from "./keyed.js";

export interface AuditVerifyResult {
  ok: boolean;
  /** Events that checked out before the first problem. */
  events: number;
  /** 1-based line of the first problem. */
  problem?: { line: number; reason: string };
  /** Torn tails set aside (recorded in the chain), when there were any. */
  repairs?: RepairNote[];
  /** With an audit key: events with a valid HMAC, and older events written before the key. */
  keyed?: { keyed: number; unkeyed: number };
}

export interface AuditLogOptions {
  /** HMAC key for each entry (default: DBCLONE_AUDIT_KEY, read when first needed; null: none). */
  key?: Buffer | null;
  /** Runs after each append, outside the lock (e.g. publish the chain to a registry); must not throw. */
  afterAppend?: (event: AuditEvent) => Promise<void>;
}

type Head = ChainHead;

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
    private readonly options: AuditLogOptions = {},
  ) {
    this.headPath = filePath.endsWith(".jsonl") ? `${filePath.slice(0, -".jsonl".length)}.head` : `${filePath}.head`;
  }

  /** Append one event (fsynced) and move the head, under a cross-process lock. */
  async append(input: AuditEventInput): Promise<AuditEvent> {
    await this.prepare?.();
    await mkdir(path.dirname(this.filePath), { recursive: true });
    const event = await withFileLock(this.filePath, async () => {
      let prev = await this.repairTornTail();
      prev ??= await this.currentTail();
      return this.writeEvent(input, prev);
    });
    await this.options.afterAppend?.(event);
    return event;
  }

  /** Walk the whole chain (setting aside a torn last line first); report the first problem. */
  async verify(): Promise<AuditVerifyResult> {
    // No audit directory: nothing was ever logged (the lock needs the directory to exist).
    if (!(await exists(path.dirname(this.filePath)))) return { ok: true, events: 0 };
    return withFileLock(this.filePath, async () => {
      await this.repairTornTail();
      return this.verifyUnlocked();
    });
  }

  /** The head as the log records it (seq 0 and the genesis hash for an empty log). */
  async head(): Promise<ChainHead> {
    return (await this.readHead()) ?? { seq: 0, hash: GENESIS_HASH };
  }

  /** The raw lines of the log (for publishing segments of it). */
  async *rawLines(): AsyncGenerator<string> {
    yield* this.lines();
  }

  private key(): Buffer | undefined {
    return this.options.key === undefined ? auditKeyFromEnv() : (this.options.key ?? undefined);
  }

  private async writeEvent(input: AuditEventInput, prev: Head): Promise<AuditEvent> {
    const body: Omit<AuditEvent, "hash"> = {
      ...dropUndefined(input),
      seq: prev.seq + 1,
      time: new Date().toISOString(),
      actor: input.actor || defaultActor(),
      prevHash: prev.hash,
    };
    const hash = hashEvent(body);
    const key = this.key();
    const event: AuditEvent = { ...body, hash, ...(key ? { mac: macOf(key, hash) } : {}) };
    const fh = await open(this.filePath, "a", 0o640);
    try {
      await fh.write(`${JSON.stringify(event)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.writeHead({ seq: event.seq, hash: event.hash });
    return event;
  }

  /**
   * A torn last line whose event the head does not cover (the append died before moving the
   * head) goes to `<log>.torn` and a `repair` event records it; returns the new tail, or
   * undefined when there was nothing to repair. Anything else stays for verify to report.
   */
  private async repairTornTail(): Promise<Head | undefined> {
    const last = await readLastLine(this.filePath);
    if (!last || last.complete) return undefined;
    const head = await this.readHead();
    const before = await readLastLine(this.filePath, last.start);
    let tail: Head = { seq: 0, hash: GENESIS_HASH };
    if (before) {
      try {
        const e = JSON.parse(before.text) as AuditEvent;
        tail = { seq: e.seq, hash: e.hash };
      } catch {
        return undefined;
      }
    }
    const covered = head ? head.seq !== tail.seq || head.hash !== tail.hash : tail.seq !== 0 && tail.seq !== 1;
    if (covered) return undefined;
    const repair: TornTailRepair = await setAsideTornTail(this.filePath, last);
    if (!head && tail.seq === 1) await this.writeHead(tail);
    const event = await this.writeEvent(
      {
        action: "repair",
        outcome: "success",
        detail: `a torn last line (${repair.bytes} bytes, an append that did not finish) was set aside in ${repair.tornFile}`,
      },
      tail,
    );
    return { seq: event.seq, hash: event.hash };
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
    const key = this.key();
    const walk = await walkChain(this.lines(), { key });
    const extra = {
      ...(walk.repairs.length ? { repairs: walk.repairs } : {}),
      ...(key ? { keyed: { keyed: walk.keyed, unkeyed: walk.unkeyed } } : {}),
    };
    if (!walk.ok) return { ok: false, events: walk.events, problem: walk.problem, ...extra };
    const events = walk.events;
    if (events > 0 && !(await endsWithNewline(this.filePath))) {
      return {
        ok: false,
        events: events - 1,
        problem: { line: events, reason: `line ${events} is incomplete (no newline at the end): the log was truncated` },
        ...extra,
      };
    }
    const head = await this.readHead();
    const headProblem = compareHead(head, walk.last, walk.lastPrevHash, events);
    return headProblem ? { ok: false, events, problem: headProblem, ...extra } : { ok: true, events, ...extra };
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
    const { hash, mac: _mac, ...rest } = event;
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
    return new AuditError(`audit log ${this.filePath} is damaged: ${what}. Nothing was appended; run \`dbclone audit verify\` and restore the log from a copy`);
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
    await writeFileAtomic(this.headPath, `${JSON.stringify(head)}\n`, 0o640);
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

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

async function endsWithNewline(file: string): Promise<boolean> {
  const last = await readLastLine(file);
  return last === undefined || last.complete;
}
