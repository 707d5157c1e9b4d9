import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TEMP_PREFIX, writeFileAtomic } from "../../../packages/core/src/util/durable-write.js";

describe("writeFileAtomic", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-durable-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("replaces the file with the new content and the given mode, leaving no temp behind", async () => {
    const file = path.join(dir, "state.json");
    writeFileSync(file, "old", { mode: 0o644 });
    await writeFileAtomic(file, "new", 0o600);
    expect(readFileSync(file, "utf8")).toBe("new");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["state.json"]);
  });

  it("removes its temp and keeps the target when the rename fails", async () => {
    // A non-empty directory where the target should be: the temp is written, the rename fails.
    const blocked = path.join(dir, "blocked");
    mkdirSync(path.join(blocked, "x"), { recursive: true });
    await expect(writeFileAtomic(blocked, "data", 0o600)).rejects.toThrow();
    expect(readdirSync(dir).filter((n) => n.startsWith(TEMP_PREFIX))).toEqual([]);
    expect(statSync(blocked).isDirectory()).toBe(true);
  });

  it("fails when the directory does not exist, creating nothing", async () => {
    await expect(writeFileAtomic(path.join(dir, "missing", "f.json"), "x", 0o600)).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
