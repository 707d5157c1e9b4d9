// exists(): only "not there" is false; a path we may not look at is an error, never "absent".
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exists } from "../../../packages/core/src/util/exists.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-exists-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("exists", () => {
  it("answers for files and missing paths; a path under a regular file is an error (the audit log relies on it)", async () => {
    writeFileSync(path.join(dir, "f"), "x");
    expect(await exists(path.join(dir, "f"))).toBe(true);
    expect(await exists(path.join(dir, "missing"))).toBe(false);
    await expect(exists(path.join(dir, "f", "under"))).rejects.toMatchObject({ code: "ENOTDIR" });
  });

  it("a dangling link is there with noFollow, absent without", async () => {
    symlinkSync(path.join(dir, "nowhere"), path.join(dir, "link"));
    expect(await exists(path.join(dir, "link"))).toBe(false);
    expect(await exists(path.join(dir, "link"), { noFollow: true })).toBe(true);
  });

  it("throws what is not 'not there' (a name too long) instead of answering false", async () => {
    await expect(exists(path.join(dir, "x".repeat(300)))).rejects.toMatchObject({ code: "ENAMETOOLONG" });
  });
});
