// Load the CLI bundle (main.cjs) with a V8 code cache kept beside it, so that `dbclone` does not
// compile ~1.3 MB of JavaScript at every start (Node 20 has no module.enableCompileCache).
//
// A code cache is compiled code: V8 checks only the source's length, not its text, so a cache made
// from other code of the same length would run that code. It is therefore trusted like the bundle
// itself: used only when it is a regular file (not followed through a link) owned by the bundle's
// owner, writable by nobody else, and headed by the SHA-256 of this exact bundle and this Node
// version. Anything else is ignored (and replaced by a fresh cache when we are the bundle's owner).
// Written at the exit of a run that had no usable cache, with the functions that run compiled, and
// again at the exit of the first run of each further command (the header lists the commands it
// covers): V8 compiles lazily, so a cache written by `images` leaves `clone` compiling ~25 ms of its
// own functions at every start. A rewrite keeps what the cache held and adds what this run compiled.
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
  /** Whether save() would write: no usable cache, or one that does not cover this command yet. */
  stale: boolean;
  /** Write a fresh cache beside the bundle (when we own it) covering this run's command too; never throws. */
  save(): void;
}

const KEY_BYTES = 32;
/** After the key: a 2-byte length, then the covered commands' names joined by newlines. */
const LIST_LENGTH_BYTES = 2;
/** Enough for every command; past it (odd argv) the cache stays as it is. */
const MAX_COMMANDS = 40;

export const codeCacheFileOf = (bundle: string): string => `${bundle}.v8cache`;

/** The name a run's cache coverage is kept under: its first argument when it looks like a command. */
export function commandOf(argv: readonly string[]): string {
  const first = argv[2] ?? "";
  return /^[a-z][a-z-]{0,31}$/.test(first) ? first : "-";
}

/** require(`bundle`) through vm.Script with its code cache (see the file's header for when one is used). */
export function loadWithCodeCache(bundle: string, command = "-"): CodeCacheLoad {
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
  const covered = cache === "used" ? found.commands : [];
  const stale = cache !== "used" || (!covered.includes(command) && covered.length < MAX_COMMANDS);
  const mod = new Module(file);
  mod.filename = file;
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  return { exports: mod.exports, cache, stale, save: () => (stale ? writeCache(file, owner, key, [...covered, command], script) : undefined) };
}

interface FoundCache {
  data?: Buffer;
  commands: string[];
  outcome: CodeCacheOutcome;
}

function readTrustedCache(cacheFile: string, owner: number, key: Buffer): FoundCache {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted as the cache must not hang the CLI (isFile() below then refuses it).
    fd = fs.openSync(cacheFile, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    return { commands: [], outcome: (e as NodeJS.ErrnoException).code === "ENOENT" ? "none" : "untrusted" };
  }
  try {
    const st = fs.fstatSync(fd);
    // nlink 1: the owner's own writes make a single-link file; a second link may be someone else's
    // hard link to an owner's file whose bytes they chose (a download, say).
    if (!st.isFile() || st.nlink !== 1 || st.uid !== owner || (st.mode & 0o022) !== 0) return { commands: [], outcome: "untrusted" };
    const bytes = fs.readFileSync(fd);
    if (bytes.length <= KEY_BYTES + LIST_LENGTH_BYTES || !bytes.subarray(0, KEY_BYTES).equals(key)) return { commands: [], outcome: "stale" };
    const listEnd = KEY_BYTES + LIST_LENGTH_BYTES + bytes.readUInt16BE(KEY_BYTES);
    if (listEnd >= bytes.length) return { commands: [], outcome: "stale" };
    const commands = bytes
      .toString("latin1", KEY_BYTES + LIST_LENGTH_BYTES, listEnd)
      .split("\n")
      .filter(Boolean);
    return { data: bytes.subarray(listEnd), commands, outcome: "used" };
  } catch {
    return { commands: [], outcome: "untrusted" };
  } finally {
    fs.closeSync(fd);
  }
}

/** Only the bundle's owner writes (so the file is theirs): a temp file, then a rename over the old cache. */
function writeCache(file: string, owner: number, key: Buffer, commands: string[], script: vm.Script): void {
  if (process.geteuid?.() !== owner) return;
  const tmp = `${codeCacheFileOf(file)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  try {
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o644);
    try {
      const list = Buffer.from(commands.join("\n"), "latin1");
      const length = Buffer.alloc(LIST_LENGTH_BYTES);
      length.writeUInt16BE(list.length);
      fs.writeSync(fd, Buffer.concat([key, length, list, script.createCachedData()]));
      fs.fchmodSync(fd, 0o644); // whatever the umask
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, codeCacheFileOf(file));
  } catch {
    fs.rmSync(tmp, { force: true }); // a read-only install: no cache, only a slower start
  }
}
