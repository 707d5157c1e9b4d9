// The pool's record of expanded versions: LRU order for eviction, never an image a live clone
// was copied from (its owner file names the image) nor one the caller keeps.
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
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
  writeFileSync(imageFile(layout, k), "raw");
  // The file's access time is the other record of a use (a clone's fast path sets it).
  utimesSync(imageFile(layout, k), lastUsedMs / 1000, lastUsedMs / 1000);
  await index.update((e) => {
    e[k] = { layers: [`sha256:${k}`], bytes: 3, lastUsedMs };
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
    await index.evict(key("e"), silentReporter);
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
});
