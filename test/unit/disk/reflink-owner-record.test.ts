// A pool clone's owner record (<clone>.json) names the expanded image it was copied from, and
// promote diffs the clone against that image's file: a key that is not a digest ("../../x", an
// absolute path) must not name a file, so such a record counts as none.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readOwner } from "../../../packages/core/src/disk/reflink/expanded-index.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-owner-record-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const owner = (key: string) => {
  const f = path.join(dir, "c-1.json");
  writeFileSync(f, JSON.stringify({ ownerDir: "/home/x/clones/c-1", key }));
  return readOwner(f);
};

describe("a pool clone's owner record", () => {
  it("names its image by digest", async () => {
    expect(await owner("a".repeat(64))).toEqual({ ownerDir: "/home/x/clones/c-1", key: "a".repeat(64) });
  });

  it.each(["../../../etc/shadow", "/etc/shadow", `${"a".repeat(64)}/../x`, "A".repeat(64), ""])("with the key %j counts as none", async (key) => {
    expect(await owner(key)).toBeUndefined();
  });
});
