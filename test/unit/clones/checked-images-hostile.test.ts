// The record that an image version's catalogs were checked (clones/checked-images.ts) skips the
// check for every later clone of that version, so it must be one dbclone wrote for this check: a
// stamp an older, weaker check wrote, another user's file or a link counts as none (the check runs),
// and a stamp is never written through a link planted at its name.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkImageOnce, stampFile } from "../../../packages/core/src/clones/checked-images.js";
import type { CloneEngine, RunningServer } from "../../../packages/core/src/engine/types.js";
import type { PublishedImage } from "../../../packages/core/src/repository/types.js";

let home: string;
let checks: number;
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), "dbclone-checked-hostile-"));
  mkdirSync(path.join(home, "state", "checked-images"), { recursive: true, mode: 0o700 });
  checks = 0;
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const hex = "ab".repeat(32);
const image = { name: "shop", version: "v1", manifestDigest: `sha256:${hex}` } as unknown as PublishedImage;
const engine = {
  imageFindings: async () => {
    checks++;
    return [];
  },
} as unknown as CloneEngine;
const server = { pid: 0, host: "127.0.0.1", port: 1, socketDir: "/nonexistent", adminUser: "x" } as RunningServer;
const check = () => checkImageOnce(home, engine, server, image);
const isRoot = process.getuid?.() === 0;

describe("a checked-image stamp", () => {
  it("written by the check is honoured: the next clone of the version does not check again", async () => {
    await check();
    await check();
    expect(checks).toBe(1);
    expect(existsSync(stampFile(home, image.manifestDigest))).toBe(true);
  });

  it("written by an older check (the bare digest) does not skip this check", async () => {
    writeFileSync(path.join(home, "state", "checked-images", hex), "", { mode: 0o600 });
    await check();
    expect(checks).toBe(1);
  });

  it("writable by other users does not skip the check", async () => {
    writeFileSync(stampFile(home, image.manifestDigest), "");
    chmodSync(stampFile(home, image.manifestDigest), 0o666);
    await check();
    expect(checks).toBe(1);
  });

  it.skipIf(!isRoot)("owned by another user does not skip the check", async () => {
    writeFileSync(stampFile(home, image.manifestDigest), "", { mode: 0o600 });
    chownSync(stampFile(home, image.manifestDigest), 65534, 65534);
    await check();
    expect(checks).toBe(1);
  });

  it("planted as a link is not honoured, and the stamp is never written through it", async () => {
    const own = path.join(home, "own");
    writeFileSync(own, "", { mode: 0o600 });
    symlinkSync(own, stampFile(home, image.manifestDigest));
    await check();
    expect(checks).toBe(1);
    rmSync(stampFile(home, image.manifestDigest));
    const victim = path.join(home, "victim");
    symlinkSync(victim, stampFile(home, image.manifestDigest)); // dangling: a write through it would create the victim
    await check();
    expect(checks).toBe(2);
    expect(existsSync(victim)).toBe(false);
    writeFileSync(victim, "keep");
    await check();
    expect(readFileSync(victim, "utf8")).toBe("keep");
  });
});
