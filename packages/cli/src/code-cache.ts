// Load the CLI bundle (main.cjs) with a V8 code cache kept beside it, so that `dbclone` does not
// compile ~1.3 MB of JavaScript at every start (Node 20 has no module.enableCompileCache).
//
// A code cache is compiled code: V8 checks only the source's length, not its text, so a cache made
// from other code of the same length would run that code. It is therefore trusted like the bundle
// itself: used only when it is a regular file (not followed through a link) owned by the bundle's
// owner, writable by nobody else, and headed by the SHA-256 of this exact bundle and this Node
// version. Anything else is ignored (and replaced by a fresh cache when we are the bundle's owner).
// Written once, at exit of a run that had no usable cache, with the functions that run compiled.
import crypto from "node:crypto";
import fs from "node:fs";
import Module, { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";

/** How the cache was found: used, none, untrusted (owner, mode, link), stale (another bundle or Node), rejected (by V8). */
export type CodeCacheOutcome = "used" | "none" | "untrusted" | "stale" | "rejected";

export interface CodeCacheLoad {
  exports: unknown;
  cache: CodeCacheOutcome;
  /** Write a fresh cache beside the bundle when this run had no usable one and we own the bundle; never throws. */
  save(): void;
}

const KEY_BYTES = 32;

export const codeCacheFileOf = (bundle: string): string => `${bundle}.v8cache`;

/** require(`bundle`) through vm.Script with its code cache (see the file's header for when one is used). */
export function loadWithCodeCache(bundle: string): CodeCacheLoad {
  const file = path.resolve(bundle);
  const source = fs.readFileSync(file, "utf8");
  const owner = fs.statSync(file).uid;
  const key = crypto.createHash("sha256").update(source).update(`\0${process.version}\0${process.arch}`).digest();
  const found = readTrustedCache(codeCacheFileOf(file), owner, key);
  const script = new vm.Script(Module.wrap(source.startsWith("#!") ? `//${source.slice(2)}` : source), {
    filename: file,
    // No importModuleDynamically: on Node 20 it is experimental (a warning, or a flag), so the bundle
    // must not use import() (test/integration/cli/lazy-chunks.test.ts checks it has none).
    cachedData: found.data,
  });
  const cache: CodeCacheOutcome = found.data ? (script.cachedDataRejected ? "rejected" : "used") : found.outcome;
  const mod = new Module(file);
  mod.filename = file;
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  return { exports: mod.exports, cache, save: () => (cache === "used" ? undefined : writeCache(file, owner, key, script)) };
}

function readTrustedCache(cacheFile: string, owner: number, key: Buffer): { data?: Buffer; outcome: CodeCacheOutcome } {
  let fd: number;
  try {
    fd = fs.openSync(cacheFile, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    return { outcome: (e as NodeJS.ErrnoException).code === "ENOENT" ? "none" : "untrusted" };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.uid !== owner || (st.mode & 0o022) !== 0) return { outcome: "untrusted" };
    const bytes = fs.readFileSync(fd);
    if (bytes.length <= KEY_BYTES || !bytes.subarray(0, KEY_BYTES).equals(key)) return { outcome: "stale" };
    return { data: bytes.subarray(KEY_BYTES), outcome: "used" };
  } catch {
    return { outcome: "untrusted" };
  } finally {
    fs.closeSync(fd);
  }
}

/** Only the bundle's owner writes (so the file is theirs): a temp file, then a rename over the old cache. */
function writeCache(file: string, owner: number, key: Buffer, script: vm.Script): void {
  if (process.geteuid?.() !== owner) return;
  const tmp = `${codeCacheFileOf(file)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  try {
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o644);
    try {
      fs.writeSync(fd, Buffer.concat([key, script.createCachedData()]));
      fs.fchmodSync(fd, 0o644); // whatever the umask
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, codeCacheFileOf(file));
  } catch {
    fs.rmSync(tmp, { force: true }); // a read-only install: no cache, only a slower start
  }
}
