// The local registry of live clones: <home>/clones/registry.json, mode 0600 (it holds passwords).
// Every read-modify-write runs under an inter-process lock and writes atomically
// (temp file + fsync + rename), so concurrent dbclone processes never lose or duplicate a record.
import { AsyncLocalStorage } from "node:async_hooks";
import { promises as fs } from "node:fs";
import path from "node:path";
import { makeDir, TRAVERSABLE_DIR } from "../util/paths.js";
import { syncFileAndDir, tempPath, unlinkQuietly, writeFileAtomic } from "../util/durable-write.js";
import lockfile from "proper-lockfile";
import { CloneError, CloneNotFoundError } from "../errors.js";
import { newCloneId } from "./clone-id.js";
import { clonePaths } from "./clone-paths.js";
import { isPortFree, pickFreePort, type PortOptions } from "./ports.js";
import { currentProcess } from "../util/process-identity.js";
import type { CloneRecord } from "./types.js";

interface RegistryFile {
  version: 1;
  clones: CloneRecord[];
}

/**
 * What the caller supplies to reserve(); id, port, state and createdAt are filled in, and the
 * per-clone paths and login default to ones derived from the id (see clonePaths).
 */
export type CloneDraft = Omit<CloneRecord, "id" | "port" | "state" | "createdAt" | "dir" | "childFile" | "mountPath" | "user"> &
  Partial<Pick<CloneRecord, "createdAt" | "dir" | "childFile" | "mountPath" | "user">>;

/**
 * durable: false — atomic (temp file + rename: a reader or a crashed process's gc sees the old file or
 * the new one) but not fsynced. For what a record notes only while processes of the clone live (its
 * mount, its server's pid, that it is ready): a power loss ends those processes too, and gc then
 * removes the clone from its durable 'creating' record or, unrecorded, from the leftovers it finds.
 * Saves a file and a directory fsync per clone step.
 */
export interface WriteOptions {
  durable?: boolean;
}

export interface ReserveOptions extends PortOptions, WriteOptions {
  /** Refuse when a record with the draft's name exists (default true): names are reuse keys. */
  uniqueName?: boolean;
  /** Take this port when no record holds it and it is free (a replaced clone keeps its port). */
  preferredPort?: number;
}

// Enough retries for ~10 processes queuing on one lock, with jitter so they do not march in step.
const LOCK_OPTIONS = {
  stale: 15_000,
  retries: { retries: 200, factor: 1.3, minTimeout: 10, maxTimeout: 250, randomize: true },
  realpath: false,
} as const;

// Registry files whose lock the current async context holds: gc holds the lock for its whole run
// and the teardowns it replays update records inside it without queuing on their own lock.
const heldLocks = new AsyncLocalStorage<Map<string, { compromised?: Error }>>();
/**
 * Locked sections running in this process. When the last ends the storage is disabled: on Node 20
 * an enabled AsyncLocalStorage hooks every promise and async resource the process makes after it
 * (a clone's server start and login are made of hundreds), and no context needs a store once no
 * lock is held; the next withLock enables it again.
 */
let lockedSections = 0;

export class CloneRegistry {
  readonly dir: string;
  readonly file: string;
  private readonly lockPath: string;
  private dirMade?: Promise<void>;

  constructor(readonly home: string) {
    this.dir = path.join(home, "clones");
    this.file = path.join(this.dir, "registry.json");
    this.lockPath = `${this.file}.lock`;
  }

  /** All records (a consistent snapshot; atomic renames mean no lock is needed to read). */
  async list(): Promise<CloneRecord[]> {
    return this.read();
  }

  /** A record by id, or by name when no id matches; undefined when absent. */
  async get(idOrName: string): Promise<CloneRecord | undefined> {
    const records = await this.read();
    return records.find((r) => r.id === idOrName) ?? records.find((r) => r.name === idOrName);
  }

  async findByName(name: string): Promise<CloneRecord | undefined> {
    return (await this.read()).find((r) => r.name === name);
  }

  /** Records whose labels include every given key=value (an empty filter matches none). */
  async findByLabels(labels: Record<string, string>): Promise<CloneRecord[]> {
    return (await this.read()).filter((r) => matchesLabels(r, labels));
  }

  /**
   * A locked transaction: `fn` gets the current records and may change the array or its records
   * in place; the result is written (only if something changed) before the lock is released.
   */
  async update<T>(fn: (records: CloneRecord[]) => T | Promise<T>, opts: WriteOptions = {}): Promise<T> {
    return this.withLock(async () => {
      const records = await this.read();
      const before = JSON.stringify(records);
      const result = await fn(records);
      if (JSON.stringify(records) !== before) {
        this.assertLockHeld();
        await this.write(records, opts);
      }
      return result;
    });
  }

  private assertLockHeld(): void {
    const held = heldLocks.getStore()?.get(this.file);
    if (held?.compromised) {
      throw new CloneError(`lost the clone registry lock (${held.compromised.message}); nothing more was written, retry`);
    }
  }

  /**
   * Hold the registry lock while `fn` runs (re-entrant within `fn`'s async context). A lock that
   * is compromised (taken over as stale while we held it) fails the call instead of writing on.
   */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    if (heldLocks.getStore()?.has(this.file)) return fn();
    await this.ensureDir();
    const state: { compromised?: Error } = {};
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.file, {
        ...LOCK_OPTIONS,
        lockfilePath: this.lockPath,
        onCompromised: (err) => {
          state.compromised = err;
        },
      });
    } catch (e) {
      throw new CloneError(
        `could not lock the clone registry ${this.file}: ${(e as Error).message}. ` + `If no dbclone process is running, remove ${this.lockPath} and retry.`,
        { cause: e },
      );
    }
    const held = new Map(heldLocks.getStore() ?? []);
    held.set(this.file, state);
    lockedSections++;
    try {
      const result = await heldLocks.run(held, fn);
      if (state.compromised) throw new CloneError(`lost the clone registry lock (${state.compromised.message}); retry`);
      return result;
    } finally {
      if (--lockedSections === 0) heldLocks.disable();
      await release().catch(() => {});
    }
  }

  async add(record: CloneRecord): Promise<CloneRecord> {
    return this.update((records) => {
      if (records.some((r) => r.id === record.id)) throw new CloneError(`clone ${record.id} is already registered`);
      records.push(record);
      return record;
    });
  }

  /** Merge `partial` into the record; CloneNotFoundError when it is gone. */
  async patch(id: string, partial: Partial<Omit<CloneRecord, "id">>, opts: WriteOptions = {}): Promise<CloneRecord> {
    return this.update((records) => {
      const i = records.findIndex((r) => r.id === id);
      if (i < 0) throw new CloneNotFoundError(`clone ${id} is not in the registry ${this.file}; list clones with: dbclone clones`);
      const next = { ...records[i]!, ...partial, id };
      records[i] = next;
      return next;
    }, opts);
  }

  /** Remove a record; a record already gone is fine (teardown is idempotent). */
  async remove(id: string): Promise<void> {
    await this.update((records) => {
      const i = records.findIndex((r) => r.id === id);
      if (i >= 0) records.splice(i, 1);
    });
  }

  /**
   * Allocate an id and a port and write a 'creating' record, all in one locked transaction.
   * `draft` may be a function of the new id (e.g. to put the clone's dir under <home>/clones/<id>).
   * durable: false writes it atomically without fsync: the caller awaits sync() before it relies on it.
   */
  async reserve(draft: CloneDraft | ((id: string) => CloneDraft), opts: ReserveOptions = {}): Promise<CloneRecord> {
    return this.update(async (records) => {
      let id = newCloneId();
      while (records.some((r) => r.id === id)) id = newCloneId();
      const d = typeof draft === "function" ? draft(id) : draft;
      if (d.name !== undefined && opts.uniqueName !== false) {
        const taken = records.find((r) => r.name === d.name);
        if (taken) {
          throw new CloneError(
            `a clone named '${d.name}' already exists (${taken.id}, ${taken.state}); reuse it, or tear it down first: dbclone teardown --name ${d.name}`,
          );
        }
      }
      const host = opts.host ?? d.host;
      const preferred = opts.preferredPort;
      const keepPort = preferred !== undefined && !records.some((r) => r.port === preferred) && (await isPortFree(preferred, host));
      const port = keepPort ? preferred : await pickFreePort(records, { range: opts.range, host });
      const record: CloneRecord = {
        ...clonePaths(this.home, id, d.disk),
        ...stripUndefined(d),
        id,
        port,
        state: "creating",
        createdAt: d.createdAt ?? new Date().toISOString(),
        // gc sweeps a 'creating' record at once when this process is gone (a crash mid-creation).
        owner: d.owner ?? currentProcess(),
      };
      records.push(record);
      return record;
    }, opts);
  }

  /** fsync the registry as it is now (after writes made with durable: false). */
  sync(): Promise<void> {
    return syncFileAndDir(this.file);
  }

  private async ensureDir(): Promise<void> {
    // 0711: the database server's OS user must traverse to clones' mounts below; the registry
    // file itself is 0600, and nobody else may list the directory. Made once per instance: a
    // clone's session locks its registry four times, each on the critical path.
    this.dirMade ??= makeDir(this.dir, TRAVERSABLE_DIR).catch((e: unknown) => {
      this.dirMade = undefined;
      throw e;
    });
    await this.dirMade;
  }

  private async read(): Promise<CloneRecord[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new CloneError(`the clone registry ${this.file} is not valid JSON (${(e as Error).message}); fix or move it aside`);
    }
    const clones = (parsed as Partial<RegistryFile> | null)?.clones;
    if (!Array.isArray(clones)) {
      throw new CloneError(`the clone registry ${this.file} has no 'clones' list; fix or move it aside`);
    }
    return clones;
  }

  private async write(records: CloneRecord[], opts: WriteOptions): Promise<void> {
    const text = `${JSON.stringify({ version: 1, clones: records } satisfies RegistryFile, null, 2)}\n`;
    if (opts.durable === false) await replaceFile(this.file, text, 0o600);
    else await writeFileAtomic(this.file, text, 0o600);
  }
}

// `{name: undefined}` must not override a default, and JSON would drop it anyway.
function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The disk digests the clones registered under `home` read: what an image cache must not evict. */
export function diskDigestsInUse(home: string): () => Promise<ReadonlySet<string>> {
  return async () => new Set((await new CloneRegistry(home).list()).map((r) => r.image.diskDigest));
}

export function matchesLabels(record: CloneRecord, labels: Record<string, string>): boolean {
  const wanted = Object.entries(labels);
  return wanted.length > 0 && wanted.every(([k, v]) => record.labels?.[k] === v);
}

/** Replace `file` atomically, without fsync (WriteOptions.durable false). */
async function replaceFile(file: string, text: string, mode: number): Promise<void> {
  const tmp = tempPath(path.dirname(file));
  try {
    await fs.writeFile(tmp, text, { mode, flag: "wx" });
    await fs.rename(tmp, file);
  } catch (e) {
    await unlinkQuietly(tmp);
    throw e;
  }
}
