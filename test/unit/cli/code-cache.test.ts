// The CLI bundle's V8 code cache is compiled code: V8 itself checks only the source's length, so a
// cache made from other code of the same length runs that code. These tests plant such a cache and
// check it runs only when it is trusted like the bundle (its owner's, writable by nobody else, a
// regular file, headed by this bundle's hash), and that a stale or missing one is replaced.
import crypto from "node:crypto";
import fs from "node:fs";
import Module from "node:module";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { codeCacheFileOf, commandOf, loadWithCodeCache } from "../../../packages/cli/src/code-cache.js";

let dir: string;
let bundle: string;
let n = 0;

// Same length, other behaviour: what a planted cache could make the bundle do.
const genuine = (tag: string) => `#!/usr/bin/env node\nmodule.exports = "genuine-${tag}";\n`;
const evil = (tag: string) => `#!/usr/bin/env node\nmodule.exports = "EVIL!!!-${tag}";\n`;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-code-cache-"));
  // A fresh source text per test: V8's in-process compilation cache must not answer for the file cache.
  n++;
  bundle = path.join(dir, "main.cjs");
  fs.writeFileSync(bundle, genuine(String(n)));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const keyOf = (source: string) => crypto.createHash("sha256").update(source).update(`\0${process.version}\0${process.arch}`).digest();

/** A cache for `bundle` (right header, covering `commands`) whose code is `code`'s. */
function plant(code: string, mode = 0o644, commands = ["-"]): string {
  const script = new vm.Script(Module.wrap(`//${code.slice(2)}`), { filename: bundle });
  const file = codeCacheFileOf(bundle);
  const list = Buffer.from(commands.join("\n"));
  const length = Buffer.alloc(2);
  length.writeUInt16BE(list.length);
  fs.writeFileSync(file, Buffer.concat([keyOf(genuine(String(n))), length, list, script.createCachedData()]), { mode });
  fs.chmodSync(file, mode);
  return file;
}

describe("loadWithCodeCache", () => {
  it("runs the bundle and, on save, writes a cache only its owner can change, which the next load uses", () => {
    const first = loadWithCodeCache(bundle);
    expect(first).toMatchObject({ exports: `genuine-${n}`, cache: "none" });
    first.save();
    const st = fs.statSync(codeCacheFileOf(bundle));
    expect(st.mode & 0o777).toBe(0o644);
    expect(st.uid).toBe(fs.statSync(bundle).uid);
    expect(
      fs
        .readFileSync(codeCacheFileOf(bundle))
        .subarray(0, 32)
        .equals(keyOf(genuine(String(n)))),
    ).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(["main.cjs", "main.cjs.v8cache"]); // no temp file left
    const second = loadWithCodeCache(bundle);
    expect(second).toMatchObject({ exports: `genuine-${n}`, cache: "used" });
  });

  it("uses a trusted cache as compiled code (why it must be trusted like the bundle)", () => {
    plant(evil(String(n)));
    expect(loadWithCodeCache(bundle)).toMatchObject({ exports: `EVIL!!!-${n}`, cache: "used" });
  });

  it("ignores a cache that others may write (group or world writable), and replaces it on save", () => {
    const file = plant(evil(String(n)), 0o664);
    const load = loadWithCodeCache(bundle);
    expect(load).toMatchObject({ exports: `genuine-${n}`, cache: "untrusted" });
    load.save();
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    expect(loadWithCodeCache(bundle)).toMatchObject({ exports: `genuine-${n}`, cache: "used" });
    fs.chmodSync(file, 0o646);
    expect(loadWithCodeCache(bundle)).toMatchObject({ exports: `genuine-${n}`, cache: "untrusted" });
  });

  it.skipIf(process.geteuid?.() !== 0)("ignores a cache owned by another user than the bundle's", () => {
    const file = plant(evil(String(n)));
    fs.chownSync(file, 65534, 65534);
    expect(loadWithCodeCache(bundle)).toMatchObject({ exports: `genuine-${n}`, cache: "untrusted" });
  });

  it("does not follow a link to a cache", () => {
    const real = plant(evil(String(n)));
    const elsewhere = path.join(dir, "elsewhere.v8cache");
    fs.renameSync(real, elsewhere);
    fs.symlinkSync(elsewhere, codeCacheFileOf(bundle));
    expect(loadWithCodeCache(bundle)).toMatchObject({ exports: `genuine-${n}`, cache: "untrusted" });
  });

  it("ignores a cache with a second hard link (an owner's file whose bytes someone else chose)", () => {
    const real = plant(evil(String(n)));
    fs.linkSync(real, path.join(dir, "download.bin"));
    expect(loadWithCodeCache(bundle)).toMatchObject({ exports: `genuine-${n}`, cache: "untrusted" });
  });

  it("ignores a cache of another bundle (an older build), and replaces it on save", () => {
    plant(evil(String(n)));
    fs.writeFileSync(bundle, genuine(`${n}b`)); // rebuilt: other text
    const load = loadWithCodeCache(bundle);
    expect(load).toMatchObject({ exports: `genuine-${n}b`, cache: "stale" });
    load.save();
    expect(loadWithCodeCache(bundle)).toMatchObject({ exports: `genuine-${n}b`, cache: "used" });
  });

  it("rewrites a trusted cache once for each command it does not cover yet, keeping the commands it did", () => {
    const file = codeCacheFileOf(bundle);
    const first = loadWithCodeCache(bundle, "images");
    expect(first).toMatchObject({ cache: "none", stale: true });
    first.save();
    const covered = () =>
      fs
        .readFileSync(file)
        .toString("latin1", 34, 34 + fs.readFileSync(file).readUInt16BE(32))
        .split("\n");
    expect(covered()).toEqual(["images"]);
    const again = loadWithCodeCache(bundle, "images");
    expect(again).toMatchObject({ cache: "used", stale: false });
    const before = fs.statSync(file);
    again.save(); // covered: nothing written
    expect(fs.statSync(file).ino).toBe(before.ino);
    const other = loadWithCodeCache(bundle, "clone");
    expect(other).toMatchObject({ exports: `genuine-${n}`, cache: "used", stale: true });
    other.save();
    expect(fs.statSync(file).ino).not.toBe(before.ino);
    expect(covered()).toEqual(["images", "clone"]);
    expect(loadWithCodeCache(bundle, "clone")).toMatchObject({ exports: `genuine-${n}`, cache: "used", stale: false });
    expect(loadWithCodeCache(bundle, "images")).toMatchObject({ cache: "used", stale: false });
  });

  it("stops adding commands at its bound (odd argv cannot grow the header without end)", () => {
    plant(
      genuine(String(n)),
      0o644,
      Array.from({ length: 40 }, (_, i) => `c${String.fromCharCode(97 + (i % 26))}${i}`),
    );
    expect(loadWithCodeCache(bundle, "clone")).toMatchObject({ cache: "used", stale: false });
  });

  it("ignores a cache whose command list runs past its end", () => {
    const file = plant(evil(String(n)));
    const bytes = fs.readFileSync(file);
    bytes.writeUInt16BE(0xffff, 32);
    fs.writeFileSync(file, bytes);
    expect(loadWithCodeCache(bundle, "clone")).toMatchObject({ exports: `genuine-${n}`, cache: "stale", stale: true });
  });

  it("names a run's command by its first argument only when it looks like one", () => {
    expect(commandOf(["node", "dbclone", "clone", "x"])).toBe("clone");
    expect(commandOf(["node", "dbclone", "gc-github"])).toBe("gc-github");
    expect(commandOf(["node", "dbclone", "--home", "/h", "clone"])).toBe("-");
    expect(commandOf(["node", "dbclone", "Evil\nname"])).toBe("-");
    expect(commandOf(["node", "dbclone"])).toBe("-");
  });
});
