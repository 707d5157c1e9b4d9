import { mkdtempSync, promises as fs, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import lockfile from "proper-lockfile";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloneRegistry, type CloneDraft } from "../../../packages/core/src/clones/registry.js";
import { CLONE_ID_PATTERN, cloneIdForIdentifier, newCloneId } from "../../../packages/core/src/clones/clone-id.js";
import { allocatePort } from "../../../packages/core/src/clones/ports.js";
import { freePort } from "../../../packages/core/src/util/net.js";

const draft = (over: Partial<CloneDraft> = {}): CloneDraft => ({
  image: { name: "orders", version: "1", manifestDigest: `sha256:${"a".repeat(64)}`, diskDigest: `sha256:${"b".repeat(64)}` },
  engine: "postgres",
  host: "127.0.0.1",
  runtime: "host",
  password: "s3cret-pw",
  databases: ["orders"],
  labels: {},
  repository: "/repo",
  ...over,
});

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), "dbclone-registry-"));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe("clone ids", () => {
  it("are c- plus 10 lowercase base32 characters, usable in SQL identifiers once '-' becomes '_'", () => {
    const ids = new Set(Array.from({ length: 2000 }, newCloneId));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(CLONE_ID_PATTERN);
    expect(cloneIdForIdentifier("c-abcdefgh23")).toMatch(/^[a-z_][a-z0-9_]*$/);
  });
});

describe("CloneRegistry", () => {
  it("starts empty when the file does not exist and creates it with mode 0600 on first write", async () => {
    const reg = new CloneRegistry(home);
    expect(await reg.list()).toEqual([]);
    expect(await reg.get("c-nothere000")).toBeUndefined();
    const rec = await reg.reserve(draft({ name: "pr-42", labels: { pr: "42" } }));
    expect(statSync(reg.file).mode & 0o777).toBe(0o600);
    expect(rec.state).toBe("creating");
    expect(rec.id).toMatch(CLONE_ID_PATTERN);
    expect(rec.dir).toBe(path.join(home, "clones", rec.id));
    expect(rec.childFile).toBe(path.join(rec.dir, "child.qcow2"));
    expect(rec.user).toBe(`clone_${cloneIdForIdentifier(rec.id)}`);
    expect(rec.port).toBeGreaterThanOrEqual(15432);
    expect(rec.port).toBeLessThanOrEqual(16431);
    expect(await reg.get(rec.id)).toEqual(rec);
    expect(await reg.get("pr-42")).toEqual(rec);
    expect(await reg.findByName("pr-42")).toEqual(rec);
    expect(await reg.findByLabels({ pr: "42" })).toEqual([rec]);
    expect(await reg.findByLabels({ pr: "43" })).toEqual([]);
    expect(await reg.findByLabels({})).toEqual([]);
  });

  it("patches and removes records; removing a missing record is not an error", async () => {
    const reg = new CloneRegistry(home);
    const rec = await reg.reserve(draft());
    const ready = await reg.patch(rec.id, { state: "ready", serverPid: 1234 });
    expect(ready).toMatchObject({ id: rec.id, state: "ready", serverPid: 1234, port: rec.port });
    expect((await reg.get(rec.id))?.state).toBe("ready");
    await reg.remove(rec.id);
    await reg.remove(rec.id);
    expect(await reg.list()).toEqual([]);
    await expect(reg.patch(rec.id, { state: "ready" })).rejects.toThrow(/not in the registry/);
  });

  it("refuses a second reservation under a name that is already live", async () => {
    const reg = new CloneRegistry(home);
    await reg.reserve(draft({ name: "feature-x" }));
    await expect(reg.reserve(draft({ name: "feature-x" }))).rejects.toThrow(/already exists.*teardown --name feature-x/);
    expect(await reg.list()).toHaveLength(1);
  });

  it("never hands out a port that is in use on the host or held by a record", async () => {
    const reg = new CloneRegistry(home);
    // Ports the OS chose (port 0), so parallel runs never collide: one held by a listener, one free.
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const busy = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(reg.reserve(draft(), { range: [busy, busy] })).rejects.toThrow(new RegExp(`no free port in ${busy}-${busy}`));
      const free = await freePort();
      const a = await reg.reserve(draft(), { range: [free, free] });
      expect(a.port).toBe(free);
      await expect(reg.reserve(draft(), { range: [free, free] })).rejects.toThrow(/no free port .*1 are held by clones/);
      await expect(allocatePort(reg, { range: [free, free] })).rejects.toThrow(/no free port/);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it("writes nothing when a transaction throws", async () => {
    const reg = new CloneRegistry(home);
    const rec = await reg.reserve(draft());
    await expect(
      reg.update((records) => {
        records.length = 0;
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await reg.list()).toEqual([rec]);
  });

  it("holds no async context once its locked sections end: work a section left behind takes the lock itself", async () => {
    // The storage that makes withLock re-entrant is disabled when the last section ends (it would
    // otherwise hook every promise the process makes after it); a continuation started inside a
    // section and run after it must then queue on the lock, not write as if it still held it.
    const reg = new CloneRegistry(home);
    const rec = await reg.reserve(draft());
    let later: Promise<unknown> = Promise.resolve();
    await reg.update(() => {
      later = new Promise((r) => setTimeout(r, 50)).then(() => reg.patch(rec.id, { labels: { late: "yes" } }));
    });
    const release = await lockfile.lock(reg.file, { lockfilePath: `${reg.file}.lock`, realpath: false });
    let patched = false;
    const done = later.then(() => {
      patched = true;
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(patched).toBe(false);
    await release();
    await done;
    expect((await reg.get(rec.id))?.labels).toEqual({ late: "yes" });
  });

  it("reports a corrupt registry file clearly instead of overwriting it", async () => {
    const reg = new CloneRegistry(home);
    await fs.mkdir(reg.dir, { recursive: true });
    writeFileSync(reg.file, "{not json");
    await expect(reg.list()).rejects.toThrow(/not valid JSON.*fix or move it aside/);
    await expect(reg.reserve(draft())).rejects.toThrow(/not valid JSON/);
  });
});
