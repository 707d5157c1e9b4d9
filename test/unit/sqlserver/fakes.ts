// Fakes that record every step into one shared log, so tests can assert the exact global order,
// and fail on demand at a chosen step.
import type { ChildDisk, DiskAttachment, DiskDriver, DiskResource, SealedDisk, StagingDisk } from "../../../packages/core/src/disk/types.js";
import type { Row, SqlExecutor, SqlValue } from "../../../packages/core/src/engine/sqlserver/executor.js";
import type { WindowsScriptRunner } from "../../../packages/core/src/runtime/powershell.js";

export class StepLog {
  readonly entries: string[] = [];
  /** Fail the step whose label includes this text (first match only). */
  failOn?: string;
  /** Fail the step with this index in entries. */
  failAt?: number;
  record(label: string): void {
    this.entries.push(label);
    const hit = this.failAt === this.entries.length - 1 || (this.failOn !== undefined && label.includes(this.failOn));
    if (hit) {
      this.failOn = undefined;
      this.failAt = undefined;
      throw new Error(`injected failure at: ${label}`);
    }
  }
}

/** A one-line label for a batch: its code without comments on one line, cut at 150 characters. */
export const batchLabel = (sql: string): string => {
  const flat = sql
    .split("\n")
    .filter((l) => !l.trim().startsWith("--"))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
  return `sql: ${flat.length > 150 ? `${flat.slice(0, 150)}…` : flat}`;
};

export class FakeExecutor implements SqlExecutor {
  readonly batches: { sql: string; params: Record<string, SqlValue> }[] = [];
  private readonly scripted: { match: (sql: string, params: Record<string, SqlValue>) => boolean; result: Row[][] }[] = [];
  constructor(private readonly log: StepLog) {}

  /** Answer batches that contain `text` (and whose @file param equals `file`, when given). */
  on(text: string, result: Row[][], file?: string): this {
    this.scripted.push({ match: (sql, p) => sql.includes(text) && (file === undefined || p.file === file), result });
    return this;
  }

  async execute(batch: string, params: Record<string, SqlValue> = {}): Promise<Row[][]> {
    this.batches.push({ sql: batch, params });
    this.log.record(batchLabel(batch) + (params.db !== undefined ? ` {db=${String(params.db)}}` : ""));
    return this.scripted.find((s) => s.match(batch, params))?.result ?? [[]];
  }
  async close(): Promise<void> {}
}

export class FakeDisk implements DiskDriver {
  readonly name = "fake";
  readonly format = "vhdx";
  constructor(private readonly log: StepLog) {}
  private attachment(file: string, mountPath: string): DiskAttachment {
    return { driver: "fake", file, mountPath, handles: {} };
  }
  async checkPrerequisites(): Promise<void> {}
  async createStaging(file: string, mountPath: string): Promise<StagingDisk> {
    this.log.record(`disk: createStaging ${file} at ${mountPath}`);
    return { file, mountPath, attachment: this.attachment(file, mountPath) };
  }
  async seal(staging: StagingDisk, outFile: string): Promise<SealedDisk> {
    this.log.record(`disk: seal ${staging.file} from ${staging.mountPath} -> ${outFile}`);
    return { file: outFile, digest: "sha256:00", sizeBytes: 1, virtualSizeBytes: 2 };
  }
  async createChild(parentFile: string, childFile: string): Promise<ChildDisk> {
    this.log.record(`disk: createChild ${childFile} over ${parentFile}`);
    return { file: childFile, parents: [parentFile] };
  }
  async mount(child: ChildDisk, mountPath: string): Promise<DiskAttachment> {
    this.log.record(`disk: mount ${child.file} at ${mountPath}`);
    return this.attachment(child.file, mountPath);
  }
  async unmount(a: DiskAttachment): Promise<void> {
    this.log.record(`disk: unmount ${a.file} from ${a.mountPath}`);
  }
  async destroy(file: string): Promise<void> {
    this.log.record(`disk: destroy ${file}`);
  }
  async list(): Promise<DiskResource[]> {
    return [];
  }
  async release(): Promise<void> {}
}

export class FakeRunner implements WindowsScriptRunner {
  readonly scripts: { kind: string; label: string; body: string; params?: Record<string, unknown> }[] = [];
  /** Results for powershell labels. */
  readonly results = new Map<string, unknown>();
  constructor(private readonly log: StepLog) {}
  async powershell<T>(label: string, body: string, params: Record<string, unknown>): Promise<T> {
    this.scripts.push({ kind: "powershell", label, body, params });
    this.log.record(`powershell: ${label}`);
    return this.results.get(label) as T;
  }
  async diskpart(label: string, script: string): Promise<void> {
    this.scripts.push({ kind: "diskpart", label, body: script });
    this.log.record(`diskpart: ${label}`);
  }
  async command(program: string, args: string[]): Promise<string> {
    this.log.record(`command: ${program} ${args.join(" ")}`);
    return "";
  }
}
