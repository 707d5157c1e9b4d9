// A runner's share of the pool's audit record: after events are appended to the runner's local
// log, the new ones go to the registry as the next segment of the runner's chain (see
// audit-artifacts.ts). Publishing never fails the work it records: a registry that is down gets
// the events with the next segment.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { walkChain, GENESIS_HASH, type AuditLog } from "../../audit/index.js";
import { withFileLock } from "../../util/file-lock.js";
import { RepositoryError } from "../../errors.js";
import { writeFileAtomic } from "../../util/durable-write.js";
import type { OciAuditArtifacts } from "./audit-artifacts.js";

interface Published {
  seq: number;
  hash: string;
  tag?: string;
}

export class RunnerChainPublisher {
  constructor(
    private readonly logDir: string,
    private readonly audit: AuditLog,
    private readonly artifacts: () => Promise<OciAuditArtifacts>,
  ) {}

  /** This runner's id: 12 random hex characters, made once per cache directory and registry. */
  async runnerId(): Promise<string> {
    const file = path.join(this.logDir, "runner-id");
    const existing = (await readFile(file, "utf8").catch(() => "")).trim();
    if (/^[0-9a-f]{12}$/.test(existing)) return existing;
    await mkdir(this.logDir, { recursive: true });
    const id = randomBytes(6).toString("hex");
    // wx: of two first writers, one id wins and both use it.
    await writeFile(file, `${id}\n`, { flag: "wx", mode: 0o644 }).catch(() => undefined);
    return (await readFile(file, "utf8")).trim();
  }

  /** Publish the events not yet in the registry as one segment; returns how many. */
  async publish(): Promise<number> {
    await mkdir(this.logDir, { recursive: true });
    return withFileLock(path.join(this.logDir, "published.json"), async () => {
      const state = await this.readState();
      const lines: string[] = [];
      for await (const line of this.audit.rawLines()) {
        const seq = seqOf(line);
        if (seq !== undefined && seq > state.seq) lines.push(line);
      }
      if (lines.length === 0) return 0;
      const walk = await walkChain(lines, { from: { seq: state.seq, hash: state.hash } });
      if (!walk.ok || walk.events === 0) {
        throw new RepositoryError(
          `the local audit log ${this.audit.filePath} does not continue the chain this runner published ` +
            `(${walk.problem?.reason ?? "no events"}); run dbclone audit --verify`,
        );
      }
      const published = lines.slice(0, walk.events);
      const tag = await (await this.artifacts()).publishSegment(
        {
          runner: await this.runnerId(),
          fromSeq: state.seq + 1,
          toSeq: walk.last.seq,
          headHash: walk.last.hash,
          ...(state.tag ? { previous: state.tag } : {}),
        },
        Buffer.from(`${published.join("\n")}\n`),
      );
      await this.writeState({ seq: walk.last.seq, hash: walk.last.hash, tag });
      return published.length;
    });
  }

  private async readState(): Promise<Published> {
    try {
      const s = JSON.parse(await readFile(path.join(this.logDir, "published.json"), "utf8")) as Published;
      if (Number.isSafeInteger(s.seq) && typeof s.hash === "string") return s;
    } catch {
      /* nothing published yet */
    }
    return { seq: 0, hash: GENESIS_HASH };
  }

  private async writeState(s: Published): Promise<void> {
    const file = path.join(this.logDir, "published.json");
    await writeFileAtomic(file, `${JSON.stringify(s)}\n`, 0o644);
  }
}

function seqOf(line: string): number | undefined {
  try {
    const seq = (JSON.parse(line) as { seq?: unknown }).seq;
    return typeof seq === "number" ? seq : undefined;
  } catch {
    return undefined;
  }
}
