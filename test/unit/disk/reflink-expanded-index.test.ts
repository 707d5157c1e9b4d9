// The pool's record of expanded versions: LRU order for eviction, never an image a live clone
// was copied from (its owner file names the image) nor one the caller keeps.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExpandedIndex } from "../../../packages/core/src/disk/reflink/expanded-index.js";
import { imageFile, poolLayout, type PoolLayout } from "../../../packages/core/src/disk/reflink/pool-layout.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";

const key = (c: string) => c.repeat(64);
let layout: PoolLayout;
let index: ExpandedIndex;

beforeEach(() => {
  layout = poolLayout(mkdtempSync(path.join(os.tmpdir(), "dbclone-pool-index-")));
  mkdirSync(layout.imagesDir, { recursive: true });
  mkdirSync(layout.clonesDir, { recursive: true });
  index = new ExpandedIndex(layout);
});

afterEach(() => rmSync(layout.home, { recursive: true, force: true }));

async function expanded(k: string, lastUsedMs: number): Promise<void> {
  writeFileSync(imageFile(layout, k), "raw", { mode: 0o444 });
  // The file's access time is the other record of a use (a clone's fast path sets it).
  utimesSync(imageFile(layout, k), lastUsedMs / 1000, lastUsedMs / 1000);
  // As an expansion records it: the read-only file's mtime and size, so a later change shows.
  const s = statSync(imageFile(layout, k));
  await index.update((e) => {
    e[k] = { layers: [`sha256:${k}`], bytes: 3, lastUsedMs, mtimeMs: Math.trunc(s.mtimeMs), size: s.size };
  });
}

describe("ExpandedIndex", () => {
  it("offers unused images least recently used first, never one a clone uses or the caller keeps", async () => {
    await expanded(key("a"), 3000);
    await expanded(key("b"), 1000);
    await expanded(key("c"), 2000);
    await expanded(key("d"), 500);
    writeFileSync(path.join(layout.clonesDir, "c-x1.json"), JSON.stringify({ ownerDir: "/h/clones/c-x1", key: key("d") }));
    expect(await index.evictionOrder(new Set([key("c")]))).toEqual([key("b"), key("a")]);
  });

  it("evicts an image: its file and its entry go", async () => {
    await expanded(key("e"), 1);
    expect(await index.evict(key("e"), silentReporter)).toBe(true);
    expect(existsSync(imageFile(layout, key("e")))).toBe(false);
    expect(await index.read()).toEqual({});
  });

  it("a use marked on the file (the lock-free clone path) moves an image to the back of the line", async () => {
    await expanded(key("a"), 1000);
    await expanded(key("b"), 2000);
    expect(await index.markUsed(imageFile(layout, key("a")))).toBe(true);
    expect(await index.markUsed(imageFile(layout, key("z")))).toBe(false);
    expect(await index.evictionOrder(new Set())).toEqual([key("b"), key("a")]);
  });

  it("an image changed, made writable or unrecorded since its expansion is not used as it is", async () => {
    await expanded(key("a"), 1000);
    const file = imageFile(layout, key("a"));
    expect(await index.untrusted(file)).toBeUndefined();
    utimesSync(file, 5, 5); // a write: the mtime moves
    expect(await index.untrusted(file)).toBe("modified since it was expanded");
    await expanded(key("b"), 1000);
    chmodSync(imageFile(layout, key("b")), 0o644);
    expect(await index.untrusted(imageFile(layout, key("b")))).toBe("writable (mode 644)");
    writeFileSync(imageFile(layout, key("c")), "raw", { mode: 0o444 });
    expect(await index.untrusted(imageFile(layout, key("c")))).toBe("not recorded as expanded in the pool's index");
    expect(await index.markUsed(imageFile(layout, key("c")))).toBe(false);
  });

  it("never evicts an image a clone's owner record names, even one written after the eviction order was taken", async () => {
    await expanded(key("f"), 1);
    expect(await index.evictionOrder(new Set())).toEqual([key("f")]);
    writeFileSync(path.join(layout.clonesDir, "c-late.json"), JSON.stringify({ ownerDir: "/h/clones/c-late", key: key("f") }));
    // Said, so gc's count and the pool's free-space wait skip it.
    expect(await index.evict(key("f"), silentReporter)).toBe(false);
    expect(existsSync(imageFile(layout, key("f")))).toBe(true);
  });

  it("ignores index keys that are not digests (a path there never names a file to list or delete)", async () => {
    const outside = path.join(layout.home, "victim.raw");
    writeFileSync(outside, "x");
    await index.update((e) => {
      e["../../victim"] = { layers: [], bytes: 1, lastUsedMs: 0 };
    });
    expect(await index.read()).toEqual({});
    expect(await index.evict("../../victim", silentReporter)).toBe(false);
    expect(existsSync(outside)).toBe(true);
  });
});
