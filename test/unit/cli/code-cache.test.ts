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
import { codeCacheFileOf, loadWithCodeCache } from "../../../packages/cli/src/code-cache.js";

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

/** A cache for `bundle` (right header) whose code is `code`'s. */
function plant(code: string, mode = 0o644): string {
  const script = new vm.Script(Module.wrap(`//${code.slice(2)}`), { filename: bundle });
  const file = codeCacheFileOf(bundle);
  fs.writeFileSync(file, Buffer.concat([keyOf(genuine(String(n))), script.createCachedData()]), { mode });
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

  it("ignores a cache of another bundle (an older build), and replaces it on save", () => {
    plant(evil(String(n)));
    fs.writeFileSync(bundle, genuine(`${n}b`)); // rebuilt: other text
    const load = loadWithCodeCache(bundle);
    expect(load).toMatchObject({ exports: `genuine-${n}b`, cache: "stale" });
    load.save();
    expect(loadWithCodeCache(bundle)).toMatchObject({ exports: `genuine-${n}b`, cache: "used" });
  });
});
