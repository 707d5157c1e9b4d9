// A pool of worker threads that maps chunks of values (HMAC + seeded faker) on every core.
// The worker script is the bundle `mapping-worker.cjs` beside the running bundle (dist/cli,
// dist/build-image); from source (tests, bench) the TypeScript entry is bundled once per process.
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { BuildError } from "../../errors.js";
import type { ColumnRule } from "../policy/types.js";
import type { DedupedBucket } from "../leak-scan/bucket-dedupe.js";
import type { DedupeRequest, MapRequest, MapResponse } from "./mapping-worker.js";

export interface MappingPool {
  readonly size: number;
  /** Attempt-0 outputs of `values` for the family, in order; the chunk is split over the workers. */
  map(family: string, rule: ColumnRule, values: string[]): Promise<string[]>;
  /** The same mapping as COPY text rows (`f \t value \t output \n`, in order), written by the workers. */
  mapToCopyText(family: string, rule: ColumnRule, values: string[]): Promise<string[]>;
  /** One spilled bucket of the leak scan's originals deduplicated and sorted on a worker (bucket-dedupe.ts). */
  dedupe(records: Uint8Array): Promise<DedupedBucket>;
  close(): Promise<void>;
}

/** Workers by default: one per core the process may use. */
export const defaultJobs = (): number => Math.max(1, os.availableParallelism());

const MIN_SLICE = 512;

interface Task {
  request: MapRequest | DedupeRequest;
  /** Buffers moved to the worker, not copied (this thread does not use them again). */
  transfer?: ArrayBuffer[];
  resolve(response: MapResponse): void;
  reject(e: Error): void;
}

export async function startMappingPool(key: Buffer, size: number): Promise<MappingPool> {
  const script = await workerScript();
  const idle: Worker[] = [];
  const queue: Task[] = [];
  const running = new Map<Worker, Task>();
  let failure: Error | undefined;
  let closing = false;
  let nextId = 0;

  const fail = (e: Error) => {
    if (failure) return;
    failure = e;
    for (const t of [...running.values(), ...queue]) t.reject(e);
    queue.length = 0;
    running.clear();
  };
  const dispatch = () => {
    while (!failure && idle.length && queue.length) {
      const w = idle.pop()!;
      const t = queue.shift()!;
      running.set(w, t);
      w.postMessage(t.request, t.transfer);
    }
  };
  const workers = Array.from({ length: Math.max(1, size) }, () => {
    // The key goes in workerData (in-process memory), never in argv or the environment.
    const w = new Worker(script.code ?? script.file!, { eval: script.code !== undefined, workerData: { key: new Uint8Array(key) } });
    w.on("message", (m: MapResponse) => {
      const t = running.get(w);
      running.delete(w);
      idle.push(w);
      t?.resolve(m);
      dispatch();
    });
    // No message text: an exception from a transformer could quote the value it was mapping.
    w.on("error", (e) =>
      fail(new BuildError(`a masking worker thread failed (${e.name}); nothing was published. Run again; if it persists, report it with --debug output.`)),
    );
    w.on("exit", (code) => {
      if (!closing)
        fail(
          new BuildError(
            `a masking worker thread stopped unexpectedly (exit code ${code}); nothing was published. Run again; if it persists, check the runner's memory.`,
          ),
        );
    });
    idle.push(w);
    return w;
  });

  const run = (request: MapRequest | DedupeRequest, transfer?: ArrayBuffer[]) =>
    new Promise<MapResponse>((resolve, reject) => {
      if (failure) return reject(failure);
      queue.push({ request, transfer, resolve, reject });
      dispatch();
    });
  /** The chunk split over the workers, each slice sent as one NUL-joined string; the replies in order. */
  const split = (family: string, rule: ColumnRule, values: string[], reply: MapRequest["reply"]) => {
    const slice = Math.max(MIN_SLICE, Math.ceil(values.length / workers.length));
    const parts: Promise<string>[] = [];
    for (let at = 0; at < values.length; at += slice) {
      parts.push(run({ id: nextId++, family, rule, values: values.slice(at, at + slice).join("\u0000"), reply }).then((r) => r.text));
    }
    return Promise.all(parts);
  };

  return {
    size: workers.length,
    async map(family, rule, values) {
      const outputs = (await split(family, rule, values, "outputs")).flatMap((text) => text.split("\u0000"));
      // A NUL inside a value or an output would shift every later pair: refuse rather than mismatch.
      if (outputs.length !== values.length)
        throw new BuildError(`masking family '${family}': a value or a masked value holds a NUL character, which a database text value cannot hold.`);
      return outputs;
    },
    mapToCopyText(family, rule, values) {
      if (values.some((v) => v.includes("\u0000")))
        return Promise.reject(new BuildError(`masking family '${family}': a value holds a NUL character, which a database text value cannot hold.`));
      return split(family, rule, values, "copy");
    },
    async dedupe(records) {
      const { deduped } = await run({ id: nextId++, dedupe: records });
      if (!deduped) throw new BuildError("internal: a masking worker thread answered a dedupe request without its result");
      return { ...deduped, data: Buffer.from(deduped.data.buffer, deduped.data.byteOffset, deduped.data.byteLength) };
    },
    async close() {
      closing = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

let sourceBundle: Promise<{ code: string }> | undefined;

/** The worker's script: beside the bundle in dist/, else the TypeScript source bundled in memory (no file left behind). */
async function workerScript(): Promise<{ file?: string; code?: string }> {
  const here = typeof import.meta.url === "string" ? fileURLToPath(import.meta.url) : undefined;
  if (here?.endsWith(".cjs")) {
    const bundled = path.join(path.dirname(here), "mapping-worker.cjs");
    if (!fs.existsSync(bundled))
      throw new BuildError(
        `the masking worker bundle ${bundled} is missing; reinstall dbclone (dist/ must hold mapping-worker.cjs beside ${path.basename(here)}).`,
      );
    return { file: bundled };
  }
  sourceBundle ??= bundleFromSource(
    here ? path.join(path.dirname(here), "mapping-worker.ts") : path.resolve("packages/core/src/masking/transformers/mapping-worker.ts"),
  );
  return sourceBundle;
}

async function bundleFromSource(entry: string): Promise<{ code: string }> {
  if (!fs.existsSync(entry)) throw new BuildError(`the masking worker source ${entry} is missing`);
  // esbuild is a dev dependency, resolved from the source tree: only reached when running from source.
  const { build } = createRequire(entry)("esbuild") as typeof import("esbuild");
  const out = await build({ entryPoints: [entry], write: false, bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "error" });
  return { code: out.outputFiles[0]!.text };
}
