// The clone registry's writes: durable (fsync of file and directory) unless a caller says the change
// holds only while the clone's processes live (WriteOptions.durable false): then atomic, no fsync.
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const durableWrites = vi.hoisted(() => ({ files: [] as string[] }));
vi.mock("../../../packages/core/src/util/durable-write.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../../packages/core/src/util/durable-write.js")>();
  return {
    ...real,
    writeFileAtomic: async (file: string, data: string | Uint8Array, mode: number) => {
      durableWrites.files.push(file);
      return real.writeFileAtomic(file, data, mode);
    },
  };
});

const { CloneRegistry } = await import("../../../packages/core/src/clones/registry.js");

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), "dbclone-registry-durability-"));
  durableWrites.files.length = 0;
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const draft = {
  image: { name: "orders", version: "1", manifestDigest: `sha256:${"a".repeat(64)}`, diskDigest: `sha256:${"b".repeat(64)}` },
  engine: "postgres" as const,
  host: "127.0.0.1",
  runtime: "host" as const,
  password: "s3cret-pw",
  databases: ["orders"],
  labels: {},
  repository: "/repo",
};

describe("registry write durability", () => {
  it("reserves durably, and patches with durable: false atomically without the durable write", async () => {
    const registry = new CloneRegistry(home);
    const record = await registry.reserve(draft);
    expect(durableWrites.files).toEqual([registry.file]);
    const inode = statSync(registry.file).ino;
    await registry.patch(record.id, { serverPid: 4242 }, { durable: false });
    expect(durableWrites.files).toEqual([registry.file]); // no second durable write
    // Replaced by a rename (a new file, never rewritten in place), mode 0600, no temp file left.
    expect(statSync(registry.file).ino).not.toBe(inode);
    expect(statSync(registry.file).mode & 0o777).toBe(0o600);
    expect(readdirSync(registry.dir).filter((f) => f.startsWith(".tmp-"))).toEqual([]);
    expect((await new CloneRegistry(home).get(record.id))?.serverPid).toBe(4242);
    await registry.patch(record.id, { state: "ready" });
    expect(durableWrites.files).toEqual([registry.file, registry.file]); // the default stays durable
  });
});
