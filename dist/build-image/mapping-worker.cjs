"use strict";
var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __esm = (fn, res, err) => function __init() {
  if (err) throw err[0];
  try {
    return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;
  } catch (e) {
    throw err = [e], e;
  }
};
var __commonJS = (cb, mod) => function __require() {
  try {
    return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
  } catch (e) {
    throw mod = 0, e;
  }
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key2 of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key2) && key2 !== except)
        __defProp(to, key2, { get: () => from[key2], enumerable: !(desc = __getOwnPropDesc(from, key2)) || desc.enumerable });
  }
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// scripts/import-meta-url.mjs
var importMetaUrl;
var init_import_meta_url = __esm({
  "scripts/import-meta-url.mjs"() {
    "use strict";
    importMetaUrl = require("node:url").pathToFileURL(__filename).href;
  }
});

// lazy-vendor:@faker-js/faker
var require_faker = __commonJS({
  "lazy-vendor:@faker-js/faker"(exports2, module2) {
    init_import_meta_url();
    var real;
    var load = () => real ??= require("./vendor/faker-js-faker.cjs");
    module2.exports = {};
    Object.defineProperty(module2.exports, "__esModule", { value: true });
    Object.defineProperty(module2.exports, "Faker", { enumerable: true, configurable: true, get: () => load()["Faker"] });
    Object.defineProperty(module2.exports, "base", { enumerable: true, configurable: true, get: () => load()["base"] });
    Object.defineProperty(module2.exports, "de", { enumerable: true, configurable: true, get: () => load()["de"] });
    Object.defineProperty(module2.exports, "de_AT", { enumerable: true, configurable: true, get: () => load()["de_AT"] });
    Object.defineProperty(module2.exports, "de_CH", { enumerable: true, configurable: true, get: () => load()["de_CH"] });
    Object.defineProperty(module2.exports, "en", { enumerable: true, configurable: true, get: () => load()["en"] });
    Object.defineProperty(module2.exports, "en_AU", { enumerable: true, configurable: true, get: () => load()["en_AU"] });
    Object.defineProperty(module2.exports, "en_CA", { enumerable: true, configurable: true, get: () => load()["en_CA"] });
    Object.defineProperty(module2.exports, "en_GB", { enumerable: true, configurable: true, get: () => load()["en_GB"] });
    Object.defineProperty(module2.exports, "en_IE", { enumerable: true, configurable: true, get: () => load()["en_IE"] });
    Object.defineProperty(module2.exports, "en_US", { enumerable: true, configurable: true, get: () => load()["en_US"] });
    Object.defineProperty(module2.exports, "es", { enumerable: true, configurable: true, get: () => load()["es"] });
    Object.defineProperty(module2.exports, "fr", { enumerable: true, configurable: true, get: () => load()["fr"] });
    Object.defineProperty(module2.exports, "it", { enumerable: true, configurable: true, get: () => load()["it"] });
    Object.defineProperty(module2.exports, "nl", { enumerable: true, configurable: true, get: () => load()["nl"] });
    Object.defineProperty(module2.exports, "pl", { enumerable: true, configurable: true, get: () => load()["pl"] });
    Object.defineProperty(module2.exports, "pt_BR", { enumerable: true, configurable: true, get: () => load()["pt_BR"] });
    Object.defineProperty(module2.exports, "pt_PT", { enumerable: true, configurable: true, get: () => load()["pt_PT"] });
    Object.defineProperty(module2.exports, "sv", { enumerable: true, configurable: true, get: () => load()["sv"] });
  }
});

// packages/core/src/masking/transformers/mapping-worker.ts
var mapping_worker_exports = {};
module.exports = __toCommonJS(mapping_worker_exports);
init_import_meta_url();
var import_node_worker_threads = require("node:worker_threads");

// packages/core/src/masking/leak-scan/batch-job.ts
init_import_meta_url();

// packages/core/src/masking/leak-scan/explain.ts
init_import_meta_url();

// packages/core/src/masking/leak-scan/pattern-set.ts
init_import_meta_url();
var WINDOW = 6;
var BASE = 16777619;
var BASE_POW = powMod32(BASE, WINDOW - 1);
function powMod32(b, e) {
  let r = 1;
  for (let i = 0; i < e; i++) r = Math.imul(r, b);
  return r;
}
function mix(h) {
  return Math.imul(h ^ h >>> 15, 739982445) >>> 0;
}
function rawWindowHash(buf, at) {
  let h = 0;
  for (let k = 0; k < WINDOW; k++) h = Math.imul(h, BASE) + buf[at + k] | 0;
  return h;
}
var rollHash = (h, out, inn) => Math.imul(h - Math.imul(out, BASE_POW) | 0, BASE) + inn | 0;
var windowHash = (buf, at) => mix(rawWindowHash(buf, at));
var PatternSetBuilder = class {
  arena = new Uint8Array(1 << 16);
  used = 0;
  offsets = [];
  tags = [];
  get size() {
    return this.offsets.length;
  }
  /** Add a pattern (at least WINDOW bytes) carrying `tag`, a caller-defined non-negative integer. */
  add(bytes, tag) {
    if (bytes.length < WINDOW) throw new Error(`a leak-scan pattern needs at least ${WINDOW} bytes`);
    if (this.used + bytes.length > this.arena.length) {
      const bigger = new Uint8Array(Math.max(this.arena.length * 2, this.used + bytes.length));
      bigger.set(this.arena.subarray(0, this.used));
      this.arena = bigger;
    }
    this.arena.set(bytes, this.used);
    this.offsets.push(this.used);
    this.used += bytes.length;
    this.tags.push(tag);
  }
  /** The bytes of pattern `i` (a view into the arena: valid until the next add). */
  bytesAt(i) {
    return this.arena.subarray(this.offsets[i], i + 1 < this.offsets.length ? this.offsets[i + 1] : this.used);
  }
  build() {
    const { arena, offsets, tags } = this.parts();
    return new PatternSet(arena, offsets, tags);
  }
  /** The patterns as plain arrays (no tables built): what a worker thread needs to build the same set. */
  parts() {
    const n = this.offsets.length;
    const offsets = new Uint32Array(n + 1);
    offsets.set(this.offsets);
    offsets[n] = this.used;
    return { arena: this.arena.slice(0, this.used), offsets, tags: Int32Array.from(this.tags) };
  }
};
var patternSetOf = (p) => new PatternSet(p.arena, p.offsets, p.tags, p.indexAt);
var PatternSet = class {
  constructor(arena, offsets, tags, indexAt) {
    this.arena = arena;
    this.offsets = offsets;
    this.tags = tags;
    const n = tags.length;
    const tableBits = Math.max(4, Math.ceil(Math.log2(Math.max(2, n * 2))));
    const filterBits = Math.min(31, tableBits + 3);
    this.tableShift = 32 - tableBits;
    this.filterShift = 32 - filterBits;
    this.heads = new Int32Array(1 << tableBits).fill(-1);
    this.next = new Int32Array(n).fill(-1);
    this.hashes = new Uint32Array(n);
    this.gramAt = new Uint16Array(n);
    this.filter = new Uint32Array(Math.max(1, 1 << filterBits >>> 5));
    const load = new Uint16Array(indexAt ? 0 : 1 << tableBits);
    let maxLength = 0;
    for (let i = 0; i < n; i++) {
      const start = offsets[i];
      const len = offsets[i + 1] - start;
      maxLength = Math.max(maxLength, len);
      if (indexAt) {
        const at = indexAt[i];
        if (at > len - WINDOW) throw new Error("internal: a leak-scan pattern's indexed window lies outside it");
        this.file(i, windowHash(arena, start + at), at);
        continue;
      }
      let h = 0;
      for (let k = 0; k < WINDOW; k++) h = Math.imul(h, BASE) + arena[start + k] | 0;
      let best = mix(h);
      let bestAt = 0;
      const lastGram = Math.min(len - WINDOW, 65535);
      for (let at = 1; at <= lastGram && load[best >>> this.tableShift] > 0; at++) {
        h = Math.imul(h - Math.imul(arena[start + at - 1], BASE_POW) | 0, BASE) + arena[start + at + WINDOW - 1] | 0;
        const m = mix(h);
        if (load[m >>> this.tableShift] < load[best >>> this.tableShift]) {
          best = m;
          bestAt = at;
        }
      }
      const slot = best >>> this.tableShift;
      if (load[slot] < 65535) load[slot]++;
      this.file(i, best, bestAt);
    }
    this.maxLength = maxLength;
  }
  arena;
  offsets;
  tags;
  maxLength;
  hashes;
  /** Per pattern: offset of the window it is indexed by (its least crowded one). */
  gramAt;
  heads;
  next;
  filter;
  tableShift;
  filterShift;
  /** Pattern i indexed by its window at `at`, of hash `m`. */
  file(i, m, at) {
    this.hashes[i] = m;
    this.gramAt[i] = at;
    const slot = m >>> this.tableShift;
    this.next[i] = this.heads[slot];
    this.heads[slot] = i;
    const f = m >>> this.filterShift;
    this.filter[f >>> 5] |= 1 << (f & 31);
  }
  /**
   * The matches indexed by the window at buf[p] (of hash `m`, windowHash(buf, p)) that lie wholly
   * inside buf[lo, hi), verified byte for byte; offsets relative to `base` as scan() gives them.
   * Returns how many patterns are indexed by that hash (0: the candidate was a filter false positive).
   */
  matchesAt(buf, p, m, lo, hi, base2, onMatch) {
    const { arena, offsets, heads, next, hashes, gramAt, tags } = this;
    if (tags.length === 0) return 0;
    let sameHash = 0;
    for (let i = heads[m >>> this.tableShift]; i >= 0; i = next[i]) {
      if (hashes[i] !== m) continue;
      sameHash++;
      const start = offsets[i];
      const len = offsets[i + 1] - start;
      const at = p - gramAt[i];
      if (at < lo || at + len > hi) continue;
      let k = 0;
      while (k < len && arena[start + k] === buf[at + k]) k++;
      if (k === len) onMatch({ pattern: i, tag: tags[i], offset: base2 + at, length: len, anchor: base2 + p });
    }
    return sameHash;
  }
  get size() {
    return this.tags.length;
  }
  /** Bytes held by this set (arena and tables), for the memory report. */
  get bytes() {
    return this.arena.byteLength + this.offsets.byteLength + this.tags.byteLength + this.hashes.byteLength + this.gramAt.byteLength + this.heads.byteLength + this.next.byteLength + this.filter.byteLength;
  }
  pattern(i) {
    return this.arena.subarray(this.offsets[i], this.offsets[i + 1]);
  }
  /**
   * Every match whose indexed window starts at a position in [from, to] of `buf`; a match must lie
   * wholly inside `buf` (callers keep maxLength bytes of context on both sides). `base` is the
   * absolute offset of buf[0].
   */
  scan(buf, from, to, base2, onMatch) {
    this.scanWithin(buf, 0, buf.length, from, to, base2, onMatch);
  }
  /** Every match inside buf[lo, hi) (one record of a larger buffer: no view allocated per record); offsets relative to lo. */
  scanRange(buf, lo, hi, onMatch) {
    this.scanWithin(buf, lo, hi, lo, hi - WINDOW, -lo, onMatch);
  }
  scanWithin(buf, lo, hi, from, to, base2, onMatch) {
    const end = Math.min(to, hi - WINDOW);
    if (this.tags.length === 0 || from > end) return;
    const { arena, offsets, heads, next, hashes, gramAt, filter, tableShift, filterShift, tags } = this;
    let h = 0;
    for (let k = 0; k < WINDOW; k++) h = Math.imul(h, BASE) + buf[from + k] | 0;
    for (let p = from; p <= end; p++) {
      if (p > from) h = Math.imul(h - Math.imul(buf[p - 1], BASE_POW) | 0, BASE) + buf[p + WINDOW - 1] | 0;
      const m = mix(h);
      const f = m >>> filterShift;
      if ((filter[f >>> 5] & 1 << (f & 31)) === 0) continue;
      for (let i = heads[m >>> tableShift]; i >= 0; i = next[i]) {
        if (hashes[i] !== m) continue;
        const start = offsets[i];
        const len = offsets[i + 1] - start;
        const at = p - gramAt[i];
        if (at < lo || at + len > hi) continue;
        let k = 0;
        while (k < len && arena[start + k] === buf[at + k]) k++;
        if (k === len) onMatch({ pattern: i, tag: tags[i], offset: base2 + at, length: len, anchor: base2 + p });
      }
    }
  }
  /** Every match inside one whole buffer. */
  scanAll(buf, onMatch) {
    this.scan(buf, 0, buf.length - WINDOW, 0, onMatch);
  }
};
var StreamScanner = class {
  constructor(set, onMatch) {
    this.set = set;
    this.onMatch = onMatch;
  }
  set;
  onMatch;
  buf = new Uint8Array(0);
  /** Absolute offset of buf[0]. */
  base = 0;
  /** Index in buf of the next window to try. */
  from = 0;
  feed(chunk) {
    const buf = this.buf.length ? concat(this.buf, chunk) : chunk;
    const reach = Math.max(this.set.maxLength, WINDOW);
    const to = buf.length - reach;
    if (to >= this.from) {
      this.set.scan(buf, this.from, to, this.base, this.onMatch);
      const keepFrom = Math.max(0, to + 1 - reach);
      this.buf = new Uint8Array(buf.subarray(keepFrom));
      this.base += keepFrom;
      this.from = to + 1 - keepFrom;
    } else this.buf = new Uint8Array(buf);
  }
  /** End of stream: the remaining windows. */
  finish() {
    this.set.scan(this.buf, this.from, this.buf.length - WINDOW, this.base, this.onMatch);
    this.base += this.buf.length;
    this.buf = new Uint8Array(0);
    this.from = 0;
  }
};
function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// packages/core/src/masking/leak-scan/originals.ts
init_import_meta_url();

// packages/core/src/errors.ts
init_import_meta_url();
var DbcloneError = class extends Error {
  exitCode = 1;
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
};
var UsageError = class extends DbcloneError {
  exitCode = 2;
};
var BuildError = class extends DbcloneError {
};

// packages/core/src/masking/leak-scan/window-index.ts
init_import_meta_url();
var import_node_crypto = __toESM(require("node:crypto"), 1);
var import_node_fs2 = require("node:fs");
var import_node_path2 = __toESM(require("node:path"), 1);

// packages/core/src/util/private-temp-dir.ts
init_import_meta_url();
var import_node_fs = require("node:fs");
var import_node_os = __toESM(require("node:os"), 1);
var import_node_path = __toESM(require("node:path"), 1);
var live = /* @__PURE__ */ new Set();
var hooked = false;
function makePrivateTempDir(prefix, parent = import_node_os.default.tmpdir()) {
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const d of live) (0, import_node_fs.rmSync)(d, { recursive: true, force: true });
    });
  }
  const dir = (0, import_node_fs.mkdtempSync)(import_node_path.default.join(parent, prefix));
  live.add(dir);
  return {
    path: dir,
    remove() {
      (0, import_node_fs.rmSync)(dir, { recursive: true, force: true });
      live.delete(dir);
    }
  };
}

// packages/core/src/masking/leak-scan/window-filter.ts
init_import_meta_url();
var BITS_PER_PATTERN = 16;
var MAX_FILTER_BITS = 31;
var MAX_SKETCH_BITS = 25;
function secondHash(buf, at) {
  let g = 2166136261;
  for (let k = 0; k < WINDOW; k++) g = Math.imul(g ^ buf[at + k], 16777619);
  return Math.imul(g ^ g >>> 13, 1540483477) >>> 0;
}
var WindowFilter = class {
  bits;
  shift;
  /**
   * Per slot, high byte: how many windows of all patterns hash there (saturating: common
   * substrings score high); low byte: how many patterns are indexed by a window there. One array,
   * so choosing a window costs one memory access per window.
   */
  score;
  sketchShift;
  patterns = 0;
  /** `expected`: patterns it will hold (sizes the filter: ~16 bits each). */
  constructor(expected) {
    const filterBits = Math.min(MAX_FILTER_BITS, Math.max(10, Math.ceil(Math.log2(Math.max(2, expected * BITS_PER_PATTERN)))));
    this.shift = 32 - filterBits;
    this.bits = new Uint32Array(2 ** filterBits / 32);
    const sketchBits = Math.min(MAX_SKETCH_BITS, Math.max(8, Math.ceil(Math.log2(Math.max(2, expected * 2)))));
    this.sketchShift = 32 - sketchBits;
    this.score = new Uint16Array(2 ** sketchBits);
  }
  /**
   * Count every window of a pattern (call for all patterns before add()): a window many patterns
   * share ("person", "xample") is common in the scanned bytes too, and would make every occurrence
   * a candidate; add() indexes each pattern by its rarest window instead.
   */
  count(bytes) {
    const { score, sketchShift } = this;
    let h = rawWindowHash(bytes, 0);
    const lastGram = Math.min(bytes.length - WINDOW, 65535);
    for (let at = 0; ; ) {
      const s = mix(h) >>> sketchShift;
      if (score[s] < 65280) score[s] += 256;
      if (++at > lastGram) break;
      h = rollHash(h, bytes[at - 1], bytes[at + WINDOW - 1]);
    }
  }
  /**
   * Index a pattern: choose its window (the one fewest windows of all patterns share, then the
   * one fewest patterns are indexed by, then the first), set its bits, and return the window's
   * offset and hash.
   */
  add(bytes) {
    const { score, sketchShift } = this;
    let h = rawWindowHash(bytes, 0);
    let best = mix(h);
    let bestAt = 0;
    let bestScore = score[best >>> sketchShift];
    const lastGram = Math.min(bytes.length - WINDOW, 65535);
    for (let at = 1; at <= lastGram && bestScore > 0; at++) {
      h = rollHash(h, bytes[at - 1], bytes[at + WINDOW - 1]);
      const m = mix(h);
      const here = score[m >>> sketchShift];
      if (here < bestScore) {
        best = m;
        bestAt = at;
        bestScore = here;
      }
    }
    const s = best >>> sketchShift;
    if ((score[s] & 255) < 255) score[s]++;
    this.set(best, secondHash(bytes, bestAt));
    this.patterns++;
    return { at: bestAt, m: best };
  }
  /** The sketches are needed no more (every pattern added): their memory goes back. */
  dropSketches() {
    this.score = new Uint16Array(0);
  }
  set(m, g) {
    const { bits, shift } = this;
    const a = m >>> shift;
    const b = g >>> shift;
    const c = mix(g ^ m) >>> shift;
    bits[a >>> 5] |= 1 << (a & 31);
    bits[b >>> 5] |= 1 << (b & 31);
    bits[c >>> 5] |= 1 << (c & 31);
  }
  /** The second and third probes for a window whose first probe (m) passed. */
  passesRest(buf, at, m) {
    const { bits, shift } = this;
    const g = secondHash(buf, at);
    const b = g >>> shift;
    if ((bits[b >>> 5] & 1 << (b & 31)) === 0) return false;
    const c = mix(g ^ m) >>> shift;
    return (bits[c >>> 5] & 1 << (c & 31)) !== 0;
  }
  /** Bytes held (filter and sketches), for the memory report. */
  get bytes() {
    return this.bits.byteLength + this.score.byteLength;
  }
};

// packages/core/src/masking/leak-scan/window-index.ts
var HEADER = 16;
var FLUSH_AT = 256 * 1024;
var WindowIndex = class {
  filter;
  dir;
  temp;
  key = import_node_crypto.default.randomBytes(32);
  parts;
  mask;
  /** The longest pattern (originals and containers): how far a scan must see around a window. */
  maxLength = 0;
  originalPatterns = 0;
  containerPatterns = 0;
  containersAdded = false;
  /**
   * `searched`: originals to come (sizes the filter); `partitions`: a power of two, enough that
   * one partition's set fits the memory budget; `parent`: where the private directory goes.
   */
  constructor(searched, partitions, parent) {
    if (partitions < 1 || (partitions & partitions - 1) !== 0) throw new Error("internal: leak-scan partitions must be a power of two");
    this.filter = new WindowFilter(2 * searched);
    this.mask = partitions - 1;
    this.temp = makePrivateTempDir("dbclone-leak-index-", parent);
    this.dir = this.temp.path;
    this.parts = Array.from({ length: partitions }, (_, i) => {
      const file = import_node_path2.default.join(this.dir, `p${i}`);
      (0, import_node_fs2.closeSync)((0, import_node_fs2.openSync)(file, "wx", 384));
      const iv = import_node_crypto.default.randomBytes(16);
      return {
        file,
        iv,
        cipher: import_node_crypto.default.createCipheriv("aes-256-ctr", this.key, iv),
        pending: Buffer.allocUnsafe(FLUSH_AT + HEADER + 65535),
        used: 0,
        records: 0,
        bytes: 0,
        containers: []
      };
    });
  }
  get partitions() {
    return this.parts.length;
  }
  /** The partition of a window hash: its low bits (the filter and a set's table use the high ones). */
  partitionOf(m) {
    return m & this.mask;
  }
  /** Every original from `read` (UTF-8 and UTF-16LE patterns, tagged by `tagOf`: OriginalSet's tags), once. */
  addOriginals(read, tagOf) {
    const { filter } = this;
    const scratch = Buffer.allocUnsafe(2 * 65535);
    read((utf8) => {
      filter.count(utf8);
      const utf16 = utf16Of(utf8, scratch);
      if (utf16.length >= 6) filter.count(utf16);
    });
    read((utf8, id, first, strongest) => {
      this.addOriginal(utf8, tagOf(id, false), first, strongest);
      const utf16 = utf16Of(utf8, scratch);
      if (utf16.length >= 6) this.addOriginal(utf16, tagOf(id, true), first, strongest);
    });
    for (const p of this.parts) {
      this.flush(p);
      p.cipher = void 0;
      p.pending = Buffer.alloc(0);
    }
  }
  addOriginal(bytes, tag, first, strongest) {
    const { at, m } = this.filter.add(bytes);
    const p = this.parts[this.partitionOf(m)];
    const b = p.pending;
    b.writeUInt16LE(bytes.length, p.used);
    b.writeUInt16LE(at, p.used + 2);
    b.writeInt32LE(tag, p.used + 4);
    b.writeInt32LE(first, p.used + 8);
    b.writeInt32LE(strongest, p.used + 12);
    b.set(bytes, p.used + HEADER);
    p.used += HEADER + bytes.length;
    p.records++;
    this.originalPatterns++;
    this.maxLength = Math.max(this.maxLength, bytes.length);
    if (p.used >= FLUSH_AT) this.flush(p);
  }
  flush(p) {
    if (p.used === 0) return;
    if (!p.cipher) throw new Error("internal: the leak-scan index was sealed");
    const out = p.cipher.update(p.pending.subarray(0, p.used));
    const fd = (0, import_node_fs2.openSync)(p.file, "a");
    try {
      let done = 0;
      while (done < out.length) done += (0, import_node_fs2.writeSync)(fd, out, done, out.length - done);
    } finally {
      (0, import_node_fs2.closeSync)(fd);
    }
    p.bytes += p.used;
    p.used = 0;
  }
  /** The published data's containers (after the published pass), searched in the data files beside the originals. */
  addContainers(c) {
    if (this.containersAdded) throw new Error("internal: the leak scan's containers were added to its index twice");
    this.containersAdded = true;
    for (let k = 0; k < c.tags.length; k++) this.filter.count(c.arena.subarray(c.offsets[k], c.offsets[k + 1]));
    for (let k = 0; k < c.tags.length; k++) {
      const bytes = c.arena.subarray(c.offsets[k], c.offsets[k + 1]);
      const { at, m } = this.filter.add(bytes);
      this.parts[this.partitionOf(m)].containers.push({ bytes, tag: c.tags[k], at });
      this.maxLength = Math.max(this.maxLength, bytes.length);
      this.containerPatterns++;
    }
    this.filter.dropSketches();
  }
  /** Partition k's originals (and its containers, when added), indexed by the windows chosen for them. */
  load(k) {
    const p = this.parts[k];
    let data;
    try {
      data = import_node_crypto.default.createDecipheriv("aes-256-ctr", this.key, p.iv).update((0, import_node_fs2.readFileSync)(p.file));
    } catch {
      throw damaged();
    }
    if (data.length !== p.bytes) throw damaged();
    const n = p.records + p.containers.length;
    let arenaBytes = data.length - p.records * HEADER;
    for (const c of p.containers) arenaBytes += c.bytes.length;
    const arena = new Uint8Array(arenaBytes);
    const offsets = new Uint32Array(n + 1);
    const tags = new Int32Array(n);
    const indexAt = new Uint16Array(n);
    const first = new Int32Array(n).fill(-1);
    const strongest = new Int32Array(n).fill(-1);
    let used = 0;
    let i = 0;
    for (let at = 0; at < data.length; i++) {
      if (i >= p.records || at + HEADER > data.length) throw damaged();
      const len = data.readUInt16LE(at);
      if (at + HEADER + len > data.length || data.readUInt16LE(at + 2) + 6 > len) throw damaged();
      indexAt[i] = data.readUInt16LE(at + 2);
      tags[i] = data.readInt32LE(at + 4);
      first[i] = data.readInt32LE(at + 8);
      strongest[i] = data.readInt32LE(at + 12);
      offsets[i] = used;
      arena.set(data.subarray(at + HEADER, at + HEADER + len), used);
      used += len;
      at += HEADER + len;
    }
    if (i !== p.records) throw damaged();
    for (const c of p.containers) {
      offsets[i] = used;
      tags[i] = c.tag;
      indexAt[i] = c.at;
      arena.set(c.bytes, used);
      used += c.bytes.length;
      i++;
    }
    offsets[n] = used;
    return { set: new PatternSet(arena, offsets, tags, indexAt), first, strongest };
  }
  /** Remove the partitions (idempotent). */
  dispose() {
    this.temp.remove();
  }
};
function utf16Of(utf8, scratch) {
  let ascii = utf8.length * 2 <= scratch.length;
  for (let i = 0; ascii && i < utf8.length; i++) ascii = utf8[i] < 128;
  if (!ascii) return Buffer.from(Buffer.from(utf8.buffer, utf8.byteOffset, utf8.length).toString("utf8"), "utf16le");
  for (let i = 0; i < utf8.length; i++) {
    scratch[2 * i] = utf8[i];
    scratch[2 * i + 1] = 0;
  }
  return scratch.subarray(0, 2 * utf8.length);
}
function damaged() {
  return new BuildError(
    "a partition of the leak scan's originals was cut short or changed on disk, so nothing was published. Check the free space of the build's work directory and build again."
  );
}

// packages/core/src/masking/leak-scan/originals.ts
var tagOfOriginal = (index, utf16) => index << 1 | (utf16 ? 1 : 0);
var originalOfTag = (tag) => ({ index: tag >>> 1, utf16: (tag & 1) === 1 });
var OriginalSet = class {
  constructor(sources, patterns, sourceOf, strongest, distinctTotal, firstId = 0, spill) {
    this.sources = sources;
    this.firstId = firstId;
    this.spill = spill;
    this.#patterns = patterns;
    this.#distinctTotal = distinctTotal;
    this.sourceOf = Int32Array.from(sourceOf);
    this.strongestSourceOf = Int32Array.from(strongest);
  }
  sources;
  firstId;
  spill;
  /** Per original of this set (index − firstId): index into `sources` of the first column it came from. */
  sourceOf;
  /** Per original of this set (index − firstId): the highest-cardinality column it came from (copies of it count by that column). */
  strongestSourceOf;
  #patterns;
  #distinctTotal;
  /** The patterns of an in-memory set; a spilled set has none in memory (read batches()), and says so rather than searching nothing. */
  get patterns() {
    if (this.spill) throw new BuildError("internal: the leak scan's originals were spilled to disk; read them with batches()");
    return this.#patterns;
  }
  get distinctTotal() {
    return this.spill ? this.spill.distinctTotal : this.#distinctTotal;
  }
  /** Originals searched (all batches). */
  get searched() {
    return this.spill ? this.spill.searched : this.sourceOf.length;
  }
  /** How many passes a scan makes: 1 in memory, one per batch when spilled. */
  get batchCount() {
    return this.spill ? this.spill.batchCount : 1;
  }
  /** Every original, one bounded batch at a time (ids global, in tags; per-original arrays local to the batch). */
  async *batches() {
    if (!this.spill) {
      yield this;
      return;
    }
    for (let i = 0; i < this.spill.batchCount; i++) yield this.spill.load(i);
  }
  /** Whether batches can be sent to worker threads as parts (batchParts()). */
  get inParts() {
    return this.spill?.loadParts !== void 0;
  }
  /** Batch i as plain arrays, `extra` patterns after its own (spilled sets only: an in-memory set is one batch, this set). */
  batchParts(i, extra) {
    const spill = this.spill;
    if (!spill?.loadParts) throw new BuildError("internal: these originals are scanned as one batch on this thread, not in parts");
    return spill.loadParts(i, extra);
  }
  /** The first column of original `id` while its batch is loaded (this set). */
  sourceOfId(id) {
    return this.sourceOf[id - this.firstId];
  }
  #index;
  /** Whether windowIndex() was built (and not yet disposed). */
  get hasWindowIndex() {
    return this.#index !== void 0;
  }
  /** Whether the spilled originals can be scanned in one pass (windowIndex()). */
  get onePass() {
    return this.spill?.forEachOriginal !== void 0 && this.spill.loadedBytes !== void 0;
  }
  /**
   * The one-pass scan's index of all spilled originals (built on first use, kept until dispose()):
   * partitions of about `budget` loaded bytes each, in a private directory under `parent`.
   */
  windowIndex(budget, parent) {
    if (this.#index) return this.#index;
    const spill = this.spill;
    if (!spill?.forEachOriginal || spill.loadedBytes === void 0)
      throw new BuildError("internal: these originals are not spilled, so they have no one-pass index");
    const partitions = 2 ** Math.max(0, Math.ceil(Math.log2(Math.max(1, spill.loadedBytes / Math.max(1, budget)))));
    const index = new WindowIndex(spill.searched, partitions, parent);
    try {
      index.addOriginals((each) => spill.forEachOriginal(each), tagOfOriginal);
    } catch (e) {
      index.dispose();
      throw e;
    }
    this.#index = index;
    return index;
  }
  /** Remove spilled originals and their index (idempotent; an in-memory set has nothing to remove). */
  dispose() {
    this.#index?.dispose();
    this.#index = void 0;
    this.spill?.dispose();
  }
  /** Per original: 1 when a masked output holds it (used where the published data cannot be read back). */
  insideOutputs = new Uint8Array(0);
  markInsideOutput(output) {
    if (this.insideOutputs.length !== this.searched) this.insideOutputs = new Uint8Array(this.searched);
    this.patterns.scanAll(output, (m) => {
      if (!originalOfTag(m.tag).utf16) this.insideOutputs[originalOfTag(m.tag).index] = 1;
    });
  }
};
function batchSet(p) {
  return new OriginalSet(p.sources, patternSetOf(p.patterns), p.sourceOf, p.strongest, p.distinctTotal, p.firstId);
}

// packages/core/src/masking/leak-scan/explain.ts
function storedForm(raw) {
  if (raw.length + 1 <= 127) return { bytes: Buffer.concat([Buffer.from([raw.length + 1 << 1 | 1]), raw]), header: 1 };
  const h = Buffer.alloc(4);
  h.writeUInt32LE(raw.length + 4 << 2 >>> 0);
  return { bytes: Buffer.concat([h, raw]), header: 4 };
}
var CONTAINER_KINDS = [
  "length-header",
  "masked-value",
  "unmasked-value",
  "catalog",
  "toast-chunk",
  "published-value",
  "compressed",
  "live-tuple"
];
var KINDS = CONTAINER_KINDS.length;
var tagOfContainer = (index, kind) => -1 - (index * KINDS + CONTAINER_KINDS.indexOf(kind));
var containerKindOfTag = (tag) => CONTAINER_KINDS[(-1 - tag) % KINDS];
var containerKindOf = {
  masked: "masked-value",
  unmasked: "unmasked-value",
  catalog: "catalog",
  toast: "toast-chunk"
};
var LogicalContent = class {
  /**
   * `total`: originals over all batches (default: this set's); a scan in batches reads the
   * published data once per batch (useOriginals), keeping containers, copies and whole values.
   */
  constructor(originals, total = originals.searched) {
    this.originals = originals;
    this.wholeValues = new Uint8Array(total);
  }
  originals;
  containers = new PatternSetBuilder();
  seen = /* @__PURE__ */ new Set();
  copies = /* @__PURE__ */ new Map();
  /** Per original: 1 when some published value is exactly that original (see ScanPlan). */
  wholeValues;
  valuesRead = 0;
  /** The next batch of originals (ids past the previous batch's). */
  useOriginals(batch) {
    this.originals = batch;
  }
  /** One published value (already split into its text leaves); an unmasked column's may be a copy. */
  addValue(leaves, origin) {
    this.valuesRead++;
    for (const raw of leaves) {
      if (raw.length === 0) continue;
      const form = storedForm(raw);
      this.addStored(form.bytes, 0, form.bytes.length, form.header, origin);
    }
  }
  /**
   * One leaf in its stored form (`header` length byte(s), then the value), at buf[lo, hi): what
   * addValue does per leaf, on bytes read back from the published-data cache (no copy per leaf).
   */
  addStored(buf, lo, hi, header, origin) {
    const { patterns, strongestSourceOf, firstId } = this.originals;
    this.addStoredMatches(
      buf,
      lo,
      hi,
      header,
      origin,
      (found) => patterns.scanRange(buf, lo, hi, (m) => found(m.offset, m.length, m.tag, strongestSourceOf[originalOfTag(m.tag).index - firstId]))
    );
  }
  /**
   * One leaf in its stored form with its matches (offset in the leaf, length, tag, the original's
   * strongest column), given by `matches`: addStored's matching, or the one-pass scan's verified
   * matches of this leaf (all partitions), which carry the column with them.
   */
  addStoredMatches(buf, lo, hi, header, origin, matches) {
    const copyOf = origin.kind === "unmasked" || origin.kind === "catalog" ? origin.column : void 0;
    const rawLength = hi - lo - header;
    let inside = false;
    let acrossHeader = false;
    matches((offset, length, tag, strongest) => {
      if (offset >= header) {
        inside = true;
        if (offset === header && length === rawLength) this.wholeValues[originalOfTag(tag).index] = 1;
        if (copyOf) this.recordCopy(copyOf, originalOfTag(tag).index, strongest);
      } else acrossHeader = true;
    });
    if (inside) this.addContainer(Buffer.from(buf.subarray(lo + header, hi)), containerKindOf[origin.kind]);
    else if (acrossHeader) this.addContainer(Buffer.from(buf.subarray(lo, hi)), "length-header");
  }
  addContainer(bytes, kind) {
    const key2 = bytes.toString("latin1");
    if (this.seen.has(key2)) return;
    this.seen.add(key2);
    this.containers.add(bytes, tagOfContainer(this.containers.size, kind));
  }
  recordCopy(col, original, source) {
    const key2 = [col.database, col.schema, col.table, col.column].join("\0");
    let f = this.copies.get(key2);
    if (!f) {
      f = { ...col, bySource: /* @__PURE__ */ new Map() };
      this.copies.set(key2, f);
    }
    let set = f.bySource.get(source);
    if (!set) {
      set = /* @__PURE__ */ new Set();
      f.bySource.set(source, set);
    }
    set.add(original);
  }
  /** This batch's findings as plain arrays (batch-job.ts, on a worker thread): containers in order, copies, whole values. */
  exportBatch() {
    const set = this.containers.build();
    const containers = [];
    for (let i = 0; i < set.size; i++) containers.push({ bytes: set.pattern(i), kind: containerKindOfTag(set.tags[i]) });
    const copies = [];
    const columns = {};
    for (const [key2, f] of this.copies) {
      columns[key2] = { database: f.database, schema: f.schema, table: f.table, column: f.column };
      for (const [source, ids] of f.bySource) for (const id of ids) copies.push([key2, source, id]);
    }
    const whole = [];
    for (let i = 0; i < this.wholeValues.length; i++) if (this.wholeValues[i]) whole.push(i);
    return { kind: "published", containers, copies, columns, whole };
  }
  /** A batch matched elsewhere (exportBatch), added as if it had been matched here: merged in batch order. */
  mergeBatch(r) {
    for (const c of r.containers) this.addContainer(Buffer.from(c.bytes), c.kind);
    for (const [key2, source, id] of r.copies) {
      let f = this.copies.get(key2);
      if (!f) {
        f = { ...r.columns[key2], bySource: /* @__PURE__ */ new Map() };
        this.copies.set(key2, f);
      }
      let set = f.bySource.get(source);
      if (!set) {
        set = /* @__PURE__ */ new Set();
        f.bySource.set(source, set);
      }
      set.add(id);
    }
    for (const id of r.whole) this.wholeValues[id] = 1;
  }
  /** Every container so far, as one set's parts (for a data-file batch on a worker thread). */
  containerParts() {
    return this.containers.parts();
  }
  get containerCount() {
    return this.containers.size;
  }
  /** Originals and containers in one set, for the raw-byte scan. */
  scanSet() {
    const all = new PatternSetBuilder();
    const { patterns } = this.originals;
    for (let i = 0; i < patterns.size; i++) all.add(patterns.pattern(i), patterns.tags[i]);
    const containers = this.containers.build();
    for (let i = 0; i < containers.size; i++) all.add(containers.pattern(i), containers.tags[i]);
    return all.build();
  }
};

// packages/core/src/masking/leak-scan/published-cache.ts
init_import_meta_url();
var import_node_fs3 = require("node:fs");
var RECORD_HEADER = 8;
var BUFFER = 4 * 1024 * 1024;
function replayCacheFile(cache2, sink) {
  const fd = (0, import_node_fs3.openSync)(cache2.file, "r");
  try {
    let buf = Buffer.allocUnsafe(BUFFER);
    let have = 0;
    let at = 0;
    let read = 0;
    let records = 0;
    for (; ; ) {
      if (at > 0) {
        buf.copy(buf, 0, at, have);
        have -= at;
        at = 0;
      }
      const n = (0, import_node_fs3.readSync)(fd, buf, have, buf.length - have, null);
      have += n;
      read += n;
      while (have - at >= RECORD_HEADER) {
        const length = buf.readUInt32LE(at + 4);
        if (have - at < RECORD_HEADER + length) break;
        const origin = cache2.origins[buf.readUInt32LE(at)];
        if (!origin) throw damaged2();
        const lo = at + RECORD_HEADER;
        sink.addStored(buf, lo, lo + length, length <= 127 ? 1 : 4, origin);
        at = lo + length;
        records++;
      }
      if (n === 0) break;
      if (at === 0 && have === buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, RECORD_HEADER + buf.readUInt32LE(4)));
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
    }
    if (at !== have || read !== cache2.bytes || records !== cache2.records) throw damaged2();
  } finally {
    (0, import_node_fs3.closeSync)(fd);
  }
}
function damaged2() {
  return new BuildError(
    "the leak scan's copy of the published data was cut short or changed while it was read, so nothing was published. Check the free space of the temporary directory and build again."
  );
}

// packages/core/src/masking/leak-scan/residue-scan.ts
init_import_meta_url();
var import_node_fs4 = require("node:fs");
var import_promises2 = require("node:fs/promises");
var import_node_path4 = __toESM(require("node:path"), 1);

// packages/core/src/masking/leak-scan/pg-page.ts
init_import_meta_url();
var import_promises = require("node:fs/promises");
var import_node_path3 = __toESM(require("node:path"), 1);
var PAGE = 8192;
function isRelationFile(rel) {
  const parts = rel.split(import_node_path3.default.sep);
  const at = parts.findIndex((p) => p === "base" || p === "global");
  return at >= 0 && /^\d+(\.\d+)?$/.test(parts[parts.length - 1]);
}
async function channelOfFile(full, rel, offset) {
  const parts = rel.split(import_node_path3.default.sep);
  const dataAt = parts.findIndex((p) => p === "pg_wal" || p === "base" || p === "global");
  const inner = dataAt >= 0 ? parts.slice(dataAt) : parts;
  if (inner[0] === "pg_wal") return `a kept WAL segment (${inner.join("/")})`;
  if ((inner[0] === "base" || inner[0] === "global") && /^\d+(\.\d+)?$/.test(inner[inner.length - 1])) {
    const page = await pageKind(full, offset);
    return `${page} in relation file ${inner.join("/")}`;
  }
  return `file ${inner.join("/")}`;
}
async function pageKind(full, offset) {
  const fh = await (0, import_promises.open)(full, "r");
  try {
    const header = Buffer.alloc(24);
    await fh.read(header, 0, 24, offset - offset % PAGE);
    const special = header.readUInt16LE(16);
    if (special === 8192) return "a table page (dead tuple or a row no longer published)";
    if (special > 0 && special < 8192) return "an index page (old or extra index entry)";
    return "an unrecognised page";
  } finally {
    await fh.close();
  }
}
async function insideCompressedDatum(full, offset, length) {
  const fh = await (0, import_promises.open)(full, "r");
  try {
    const page = Buffer.alloc(PAGE);
    const pageStart = offset - offset % PAGE;
    const { bytesRead } = await fh.read(page, 0, PAGE, pageStart);
    if (bytesRead < PAGE) return false;
    const at = offset - pageStart;
    const lower = page.readUInt16LE(12);
    const special = page.readUInt16LE(16);
    if (lower < 24 || lower > PAGE || special > PAGE) return false;
    for (let lp = 24; lp + 4 <= lower; lp += 4) {
      const word = page.readUInt32LE(lp);
      const lpOff = word & 32767;
      const lpLen = word >>> 17;
      if (lpLen === 0 || lpOff < at - PAGE || lpOff > at || lpOff + lpLen < at + length || lpOff + lpLen > PAGE) continue;
      const dataStart = special === PAGE ? lpOff + page[lpOff + 22] : lpOff + 8;
      for (let q = dataStart + (4 - dataStart % 4) % 4; q + 8 <= at; q += 4) {
        const header = page.readUInt32LE(q);
        if ((header & 3) !== 2) continue;
        const size = header >>> 2;
        const rawSize = page.readUInt32LE(q + 4) & 1073741823;
        if (q + size >= at + length && q + size <= lpOff + lpLen && rawSize > size - 8) return true;
      }
    }
    return false;
  } finally {
    await fh.close();
  }
}
var LP_NORMAL = 1;
var HEAP_XMIN_COMMITTED = 256;
var HEAP_XMIN_INVALID = 512;
var HEAP_XMAX_INVALID = 2048;
var HEAP_XMAX_LOCK_ONLY = 128;
async function explainInPage(full, offset, length, window) {
  const fh = await (0, import_promises.open)(full, "r");
  let page;
  try {
    page = Buffer.alloc(PAGE);
    const { bytesRead } = await fh.read(page, 0, PAGE, offset - offset % PAGE);
    if (bytesRead < PAGE) return void 0;
  } finally {
    await fh.close();
  }
  const at = offset % PAGE;
  const lower = page.readUInt16LE(12);
  const special = page.readUInt16LE(16);
  if (special === PAGE && lower >= 24 && lower <= PAGE) {
    let covered = 0;
    for (let lp = 24; lp + 4 <= lower; lp += 4) {
      const word = page.readUInt32LE(lp);
      const lpOff = word & 32767;
      const lpLen = word >>> 17;
      if ((word >>> 15 & 3) !== LP_NORMAL || lpLen < 24 || lpOff + lpLen > PAGE) continue;
      const infomask = page.readUInt16LE(lpOff + 20);
      const xmax = page.readUInt32LE(lpOff + 4);
      const xminAborted = (infomask & (HEAP_XMIN_COMMITTED | HEAP_XMIN_INVALID)) === HEAP_XMIN_INVALID;
      const live2 = !xminAborted && (xmax === 0 || (infomask & HEAP_XMAX_INVALID) !== 0 || (infomask & HEAP_XMAX_LOCK_ONLY) !== 0);
      if (!live2) continue;
      covered += Math.max(0, Math.min(lpOff + lpLen, at + length) - Math.max(lpOff, at));
    }
    return length - covered < window ? "live-tuple" : void 0;
  }
  return await insideCompressedDatum(full, offset, length) ? "compressed" : void 0;
}

// packages/core/src/masking/leak-scan/residue-scan.ts
var emptyTally = () => ({
  bytesScanned: 0,
  hits: 0,
  explained: Object.fromEntries(CONTAINER_KINDS.map((k) => [k, 0])),
  unexplained: [],
  unexplainedCount: 0,
  counts: /* @__PURE__ */ new Map()
});
var EXAMPLES = 20;
var planOf = (p) => "set" in p ? p : { set: p };
function coverOf(h, containers) {
  const overlapping = containers.filter((c) => c.s < h.e && c.e > h.s).map((c) => ({ s: Math.max(c.s, h.s), e: Math.min(c.e, h.e), kind: c.kind }));
  if (overlapping.length === 0) return void 0;
  overlapping.sort((a, b) => a.s - b.s);
  let covered = 0;
  let at = h.s;
  for (const c of overlapping) {
    if (c.e <= at) continue;
    covered += c.e - Math.max(c.s, at);
    at = c.e;
  }
  if (h.e - h.s - covered >= WINDOW) return void 0;
  return overlapping.reduce((best, c) => c.e - c.s > best.e - best.s ? c : best).kind;
}
async function scanStream(chunks, plan, tally, source) {
  const { set, wholeValues } = planOf(plan);
  const judge = new HitJudge(tally, set.maxLength, wholeValues);
  const scanner = new StreamScanner(set, (m) => judge.onMatch(m));
  for await (const chunk of chunks) {
    scanner.feed(chunk);
    tally.bytesScanned += chunk.length;
  }
  scanner.finish();
  await judge.finish(source);
}
var HitJudge = class {
  constructor(tally, reach, wholeValues) {
    this.tally = tally;
    this.reach = reach;
    this.wholeValues = wholeValues;
  }
  tally;
  reach;
  wholeValues;
  containers = [];
  pending = [];
  unexplainedHere = [];
  pruneAt = 64;
  /** One match; `source`: its original's first column, when the caller knows it (examples name it). */
  onMatch(m) {
    if (this.pending.length) this.settle(m.anchor);
    if (this.containers.length > this.pruneAt) this.prune(m.anchor);
    if (m.tag < 0) this.containers.push({ s: m.offset, e: m.offset + m.length, kind: containerKindOfTag(m.tag) });
    else this.pending.push({ tag: m.tag, s: m.offset, e: m.offset + m.length, ...m.source !== void 0 ? { source: m.source } : {} });
  }
  settle(anchor) {
    const { tally, pending, reach } = this;
    let kept = 0;
    for (const h of pending) {
      if (h.e + reach >= anchor) {
        pending[kept++] = h;
        continue;
      }
      tally.hits++;
      const o = originalOfTag(h.tag).index;
      tally.counts.set(o, (tally.counts.get(o) ?? 0) + 1);
      const cover = coverOf(h, this.containers);
      if (cover) tally.explained[cover]++;
      else if (this.wholeValues?.[o]) tally.explained["published-value"]++;
      else this.unexplainedHere.push({ tag: h.tag, offset: h.s, length: h.e - h.s, ...h.source !== void 0 ? { source: h.source } : {} });
    }
    pending.length = kept;
  }
  prune(anchor) {
    let needed = anchor - this.reach;
    for (const h of this.pending) needed = Math.min(needed, h.s);
    this.containers = this.containers.filter((c) => c.e >= needed);
    this.pruneAt = Math.max(64, this.containers.length * 2);
  }
  /** End of the stream: every hit settled; those nothing explains counted, the first few named. */
  async finish(source) {
    const { tally } = this;
    this.settle(Number.MAX_SAFE_INTEGER);
    for (const h of this.unexplainedHere) {
      const kind = await source.explainByStructure?.(h.offset, h.length);
      if (kind) {
        tally.explained[kind]++;
        continue;
      }
      tally.unexplainedCount++;
      if (tally.unexplained.length >= EXAMPLES) continue;
      const { index, utf16 } = originalOfTag(h.tag);
      tally.unexplained.push({
        original: index,
        utf16,
        file: source.file,
        offset: h.offset,
        channel: await source.channelOf(h.offset),
        ...h.source !== void 0 ? { source: h.source } : {}
      });
    }
    this.unexplainedHere.length = 0;
  }
};
var CHUNK = 4 * 1024 * 1024;
async function scanDataFiles(root, set, tally) {
  for (const f of await dataFileSources(root)) await scanStream((0, import_node_fs4.createReadStream)(f.path, { highWaterMark: CHUNK }), set, tally, f);
}
async function dataFileSources(root) {
  return (await listFiles(root, "")).map((rel) => {
    const full = import_node_path4.default.join(root, rel);
    return {
      path: full,
      file: rel,
      channelOf: (offset) => channelOfFile(full, rel, offset),
      ...isRelationFile(rel) ? { explainByStructure: (offset, length) => explainInPage(full, offset, length, WINDOW) } : {}
    };
  });
}
async function listFiles(root, rel) {
  const out = [];
  for (const e of (await (0, import_promises2.readdir)(import_node_path4.default.join(root, rel), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const r = import_node_path4.default.join(rel, e.name);
    if (e.isDirectory()) out.push(...await listFiles(root, r));
    else if (e.isFile() && (await (0, import_promises2.lstat)(import_node_path4.default.join(root, r))).isFile()) out.push(r);
  }
  return out;
}

// packages/core/src/masking/leak-scan/batch-job.ts
async function runLeakBatch(job) {
  if (job.kind === "published") {
    const content = new LogicalContent(batchSet(job.batch), job.searched);
    replayCacheFile(job.cache, content);
    return content.exportBatch();
  }
  const tally = emptyTally();
  await scanDataFiles(job.root, { set: patternSetOf(job.batch.patterns), wholeValues: job.wholeValues }, tally);
  for (const h of tally.unexplained) h.source = job.batch.sourceOf[h.original - job.batch.firstId];
  return { kind: "files", tally: { ...tally, counts: [...tally.counts] } };
}

// packages/core/src/masking/leak-scan/bucket-dedupe.ts
init_import_meta_url();
var bytesPerOriginal = (utf8Length) => 3 * utf8Length + 96;
var RECORD_HEADER2 = 9;
function dedupeBucket(records) {
  const data = Buffer.from(records.buffer, records.byteOffset, records.byteLength);
  const seen = /* @__PURE__ */ new Map();
  for (let at2 = 0; at2 < data.length; ) {
    const len = data[at2];
    const first = data.readInt32LE(at2 + 1);
    const high = data.readInt32LE(at2 + 5);
    const k = data.toString("latin1", at2 + RECORD_HEADER2, at2 + RECORD_HEADER2 + len);
    at2 += RECORD_HEADER2 + len;
    const known = seen.get(k);
    if (!known) seen.set(k, [first, high]);
    else {
      if (first < known[0]) known[0] = first;
      if (high >= 0 && (known[1] < 0 || high < known[1])) known[1] = high;
    }
  }
  const keys = [...seen.keys()].filter((k) => k.length >= WINDOW).sort();
  const out = Buffer.allocUnsafeSlow(keys.reduce((n, k) => n + RECORD_HEADER2 + k.length, 0));
  let at = 0;
  let bytes = 0;
  for (const k of keys) {
    const [first, high] = seen.get(k);
    out[at] = k.length;
    out.writeInt32LE(first, at + 1);
    out.writeInt32LE(high, at + 5);
    out.write(k, at + RECORD_HEADER2, "latin1");
    at += RECORD_HEADER2 + k.length;
    bytes += bytesPerOriginal(k.length);
  }
  return { data: out, count: keys.length, bytes, shorts: seen.size - keys.length };
}

// packages/core/src/masking/transformers/copy-text.ts
init_import_meta_url();
function copyField(value) {
  if (value === null) return "\\N";
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ({ "\\": "\\\\", "	": "\\t", "\n": "\\n", "\r": "\\r" })[c]) : value;
}

// packages/core/src/masking/transformers/family-mapping.ts
init_import_meta_url();

// packages/core/src/masking/keyed-digest.ts
init_import_meta_url();

// packages/core/src/masking/hmac-sha256.ts
init_import_meta_url();
var import_node_crypto2 = __toESM(require("node:crypto"), 1);
var K = new Int32Array([
  1116352408,
  1899447441,
  3049323471,
  3921009573,
  961987163,
  1508970993,
  2453635748,
  2870763221,
  3624381080,
  310598401,
  607225278,
  1426881987,
  1925078388,
  2162078206,
  2614888103,
  3248222580,
  3835390401,
  4022224774,
  264347078,
  604807628,
  770255983,
  1249150122,
  1555081692,
  1996064986,
  2554220882,
  2821834349,
  2952996808,
  3210313671,
  3336571891,
  3584528711,
  113926993,
  338241895,
  666307205,
  773529912,
  1294757372,
  1396182291,
  1695183700,
  1986661051,
  2177026350,
  2456956037,
  2730485921,
  2820302411,
  3259730800,
  3345764771,
  3516065817,
  3600352804,
  4094571909,
  275423344,
  430227734,
  506948616,
  659060556,
  883997877,
  958139571,
  1322822218,
  1537002063,
  1747873779,
  1955562222,
  2024104815,
  2227730452,
  2361852424,
  2428436474,
  2756734187,
  3204031479,
  3329325298
]);
var IV = [1779033703, 3144134277, 1013904242, 2773480762, 1359893119, 2600822924, 528734635, 1541459225];
var W = new Int32Array(64);
function compress(state, buf, at) {
  for (let i = 0; i < 16; i++, at += 4) W[i] = buf[at] << 24 | buf[at + 1] << 16 | buf[at + 2] << 8 | buf[at + 3];
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15];
    const y = W[i - 2];
    const s0 = (x >>> 7 | x << 25) ^ (x >>> 18 | x << 14) ^ x >>> 3;
    const s1 = (y >>> 17 | y << 15) ^ (y >>> 19 | y << 13) ^ y >>> 10;
    W[i] = W[i - 16] + s0 + W[i - 7] + s1 | 0;
  }
  let a = state[0];
  let b = state[1];
  let c = state[2];
  let d = state[3];
  let e = state[4];
  let f = state[5];
  let g = state[6];
  let h = state[7];
  for (let i = 0; i < 64; i++) {
    const S1 = (e >>> 6 | e << 26) ^ (e >>> 11 | e << 21) ^ (e >>> 25 | e << 7);
    const t1 = h + S1 + (e & f ^ ~e & g) + K[i] + W[i] | 0;
    const S0 = (a >>> 2 | a << 30) ^ (a >>> 13 | a << 19) ^ (a >>> 22 | a << 10);
    const t2 = S0 + (a & b ^ a & c ^ b & c) | 0;
    h = g;
    g = f;
    f = e;
    e = d + t1 | 0;
    d = c;
    c = b;
    b = a;
    a = t1 + t2 | 0;
  }
  state[0] = state[0] + a | 0;
  state[1] = state[1] + b | 0;
  state[2] = state[2] + c | 0;
  state[3] = state[3] + d | 0;
  state[4] = state[4] + e | 0;
  state[5] = state[5] + f | 0;
  state[6] = state[6] + g | 0;
  state[7] = state[7] + h | 0;
}
function finish(state, absorbed, buf, len) {
  const bits = (absorbed + len) * 8;
  buf[len] = 128;
  const end = len + 9 <= 64 ? 64 : 128;
  buf.fill(0, len + 1, end - 4);
  const high = Math.floor(bits / 4294967296);
  buf[end - 8] = high >>> 24;
  buf[end - 7] = high >>> 16;
  buf[end - 6] = high >>> 8;
  buf[end - 5] = high;
  buf[end - 4] = bits >>> 24;
  buf[end - 3] = bits >>> 16;
  buf[end - 2] = bits >>> 8;
  buf[end - 1] = bits;
  compress(state, buf, 0);
  if (end === 128) compress(state, buf, 64);
}
var PrefixedHmac = class {
  inner = new Int32Array(8);
  outer = new Int32Array(8);
  absorbed;
  tail;
  state = new Int32Array(8);
  scratch = Buffer.alloc(256);
  outerBlock = new Uint8Array(64);
  constructor(key2, prefix) {
    const k = Buffer.alloc(64);
    (key2.length > 64 ? import_node_crypto2.default.createHash("sha256").update(key2).digest() : key2).copy(k);
    const pad = Buffer.alloc(64);
    this.inner.set(IV);
    for (let i = 0; i < 64; i++) pad[i] = k[i] ^ 54;
    compress(this.inner, pad, 0);
    this.outer.set(IV);
    for (let i = 0; i < 64; i++) pad[i] = k[i] ^ 92;
    compress(this.outer, pad, 0);
    let at = 0;
    for (; at + 64 <= prefix.length; at += 64) compress(this.inner, prefix, at);
    this.absorbed = 64 + at;
    this.tail = Buffer.from(prefix.subarray(at));
  }
  /** The digest of prefix ‖ utf8(message) ‖ suffix (suffix: ASCII), as a new 32-byte Buffer. */
  digest(message, suffix = "") {
    const need = this.tail.length + message.length * 3 + suffix.length + 72;
    if (need > this.scratch.length) this.scratch = Buffer.alloc(Math.max(need, this.scratch.length * 2));
    const buf = this.scratch;
    let len = this.tail.copy(buf, 0);
    len += writeUtf8(buf, len, message);
    for (let i = 0; i < suffix.length; i++) buf[len++] = suffix.charCodeAt(i);
    const s = this.state;
    s.set(this.inner);
    let at = 0;
    for (; len - at >= 64; at += 64) compress(s, buf, at);
    if (at > 0) buf.copyWithin(0, at, len);
    finish(s, this.absorbed + at, buf, len - at);
    const o = this.outerBlock;
    for (let i = 0; i < 8; i++) {
      const w = s[i];
      o[i * 4] = w >>> 24;
      o[i * 4 + 1] = w >>> 16;
      o[i * 4 + 2] = w >>> 8;
      o[i * 4 + 3] = w;
    }
    s.set(this.outer);
    finish(s, 64, o, 32);
    const out = Buffer.allocUnsafe(32);
    for (let i = 0; i < 8; i++) out.writeInt32BE(s[i], i * 4);
    return out;
  }
};
function writeUtf8(buf, at, s) {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 128) return buf.write(s, at, "utf8");
    buf[at + i] = s.charCodeAt(i);
  }
  return s.length;
}

// packages/core/src/masking/keyed-digest.ts
var DIGEST_DOMAIN = "dbclone/mask/v1";
var hmacs = /* @__PURE__ */ new WeakMap();
function hmacFor(key2, family) {
  let byFamily = hmacs.get(key2);
  if (!byFamily) {
    byFamily = /* @__PURE__ */ new Map();
    hmacs.set(key2, byFamily);
  }
  let hmac = byFamily.get(family);
  if (!hmac) {
    hmac = new PrefixedHmac(key2, Buffer.from(`${DIGEST_DOMAIN}\0${family}\0`, "utf8"));
    byFamily.set(family, hmac);
  }
  return hmac;
}
function keyedDigest(key2, family, value, attempt = 0) {
  return hmacFor(key2, family).digest(value, attempt > 0 ? `\0${attempt}` : "");
}

// packages/core/src/masking/transformers/faker-locales.ts
init_import_meta_url();
var import_faker = __toESM(require_faker(), 1);

// packages/core/src/masking/transformers/keyed-randomizer.ts
init_import_meta_url();
var KeyedRandomizer = class {
  a = 0;
  b = 0;
  c = 0;
  d = 1;
  /** Seed from the first 16 bytes of a digest. */
  seedFromDigest(digest) {
    this.a = digest.readUInt32LE(0);
    this.b = digest.readUInt32LE(4);
    this.c = digest.readUInt32LE(8);
    this.d = digest.readUInt32LE(12) | 1;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }
  seed(seed) {
    const words = Array.isArray(seed) ? seed : [seed];
    [this.a, this.b, this.c, this.d] = [words[0] ?? 0, words[1] ?? 0, words[2] ?? 0, (words[3] ?? 0) | 1].map((w) => w >>> 0);
    for (let i = 0; i < 12; i++) this.nextUint32();
  }
  // Arrow fields: faker calls next() detached from the object.
  nextUint32 = () => {
    const t = (this.a + this.b >>> 0) + this.d >>> 0;
    this.d = this.d + 1 >>> 0;
    this.a = this.b ^ this.b >>> 9;
    this.b = this.c + (this.c << 3) >>> 0;
    this.c = (this.c << 21 | this.c >>> 11) >>> 0;
    this.c = this.c + t >>> 0;
    return t;
  };
  next = () => {
    return ((this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6)) / 9007199254740992;
  };
};

// packages/core/src/masking/transformers/faker-locales.ts
var LOCALES = { de: import_faker.de, de_AT: import_faker.de_AT, de_CH: import_faker.de_CH, en: import_faker.en, en_AU: import_faker.en_AU, en_CA: import_faker.en_CA, en_GB: import_faker.en_GB, en_IE: import_faker.en_IE, en_US: import_faker.en_US, es: import_faker.es, fr: import_faker.fr, it: import_faker.it, nl: import_faker.nl, pl: import_faker.pl, pt_BR: import_faker.pt_BR, pt_PT: import_faker.pt_PT, sv: import_faker.sv };
var SUPPORTED_LOCALES = Object.keys(LOCALES);
var cache = /* @__PURE__ */ new Map();
function keyedFaker(locale) {
  let found = cache.get(locale);
  if (!found) {
    const definition = LOCALES[locale];
    if (!definition) throw new UsageError(`masking locale '${locale}' is not available; use one of ${SUPPORTED_LOCALES.join(", ")}.`);
    const randomizer = new KeyedRandomizer();
    found = { faker: new import_faker.Faker({ locale: [definition, import_faker.en, import_faker.base], randomizer }), randomizer };
    cache.set(locale, found);
  }
  return found;
}

// packages/core/src/masking/transformers/value-transformers.ts
init_import_meta_url();

// packages/core/src/masking/transformers/checksums.ts
init_import_meta_url();
function luhnCheckDigit(payload) {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let d = payload.charCodeAt(payload.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - sum % 10) % 10;
}
function mod97(text) {
  let r = 0;
  for (const ch of text) {
    const v = /[A-Z]/.test(ch) ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    r = v > 9 ? (r * 100 + v) % 97 : (r * 10 + v) % 97;
  }
  return r;
}
function ibanCheckDigits(country, bban) {
  return String(98 - mod97(`${bban}${country}00`)).padStart(2, "0");
}

// packages/core/src/masking/transformers/value-transformers.ts
var slug = (s) => s.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "");
function email(value, { faker, digest, rule }) {
  const at = value.lastIndexOf("@");
  const domain = rule.keepDomain && at >= 0 ? value.slice(at + 1) : faker.helpers.arrayElement(["example.com", "example.net", "example.org"]);
  return `${slug(faker.person.firstName())}.${slug(faker.person.lastName())}.${digest.toString("hex", 20, 23)}@${domain}`;
}
function address({ faker, rule }) {
  switch (rule.part ?? "street") {
    case "city":
      return faker.location.city();
    case "postcode":
      return faker.location.zipCode();
    case "country":
      return faker.location.country();
    case "full":
      return `${faker.location.streetAddress()}, ${faker.location.zipCode()} ${faker.location.city()}`;
    default:
      return faker.location.streetAddress();
  }
}
function creditCard(value, { faker }) {
  const digits = value.replace(/\D/g, "");
  if (digits.length < 12) return faker.finance.creditCardNumber();
  let payload = digits[0];
  while (payload.length < digits.length - 1) payload += String(faker.number.int(9));
  const out = `${payload}${luhnCheckDigit(payload)}`;
  let i = 0;
  return value.replace(/\d/g, () => out[i++]);
}
function iban(value, { faker, rule }) {
  const original = value.replace(/\s+/g, "").toUpperCase();
  const country = rule.country ?? (/^[A-Z]{2}\d{2}/.test(original) ? original.slice(0, 2) : void 0);
  let generated;
  try {
    generated = faker.finance.iban({ formatted: false, ...country ? { countryCode: country } : {} });
  } catch {
    generated = faker.finance.iban({ formatted: false });
  }
  const bban = generated.slice(4);
  const out = `${generated.slice(0, 2)}${ibanCheckDigits(generated.slice(0, 2), bban)}${bban}`;
  return /\s/.test(value) ? out.replace(/(.{4})(?=.)/g, "$1 ") : out;
}
function nationalId(value, { faker, rule }) {
  if ((rule.format ?? "us-ssn") === "us-ssn") {
    let area = faker.number.int({ min: 1, max: 899 });
    if (area === 666) area = 667;
    const parts = [
      String(area).padStart(3, "0"),
      String(faker.number.int({ min: 1, max: 99 })).padStart(2, "0"),
      String(faker.number.int({ min: 1, max: 9999 })).padStart(4, "0")
    ];
    return value.includes("-") || !/^\d{9}$/.test(value) ? parts.join("-") : parts.join("");
  }
  return value.replace(/\d/g, () => String(faker.number.int(9)));
}
function freeText(value, { faker }) {
  const length = [...value].length;
  let text = "";
  while (text.length < length) text += (text ? " " : "") + faker.lorem.sentence();
  return text.slice(0, length);
}
function redact(value, { rule }) {
  const chars = [...value];
  const keep = rule.keep ?? 4;
  const mask = rule.maskChar ?? "*";
  return chars.map((c, i) => i >= chars.length - keep || !/[\p{L}\p{N}]/u.test(c) ? c : mask).join("");
}
function dateShiftDays(_, { digest, rule }) {
  const days = rule.days ?? 30;
  const u = digest.readUInt32BE(0) % (2 * days);
  return String(u < days ? u - days : u - days + 1);
}
function noiseFactor(_, { digest, rule }) {
  const p = (rule.percent ?? 10) / 100;
  const unit = digest.readUInt32BE(0) / 4294967295;
  const factor = 1 + (unit * 2 - 1) * p;
  return (factor === 1 ? 1 + p / 2 : factor).toFixed(8);
}
var valueTransformers = {
  firstName: { map: (_, c) => c.faker.person.firstName(), apply: "replace", textual: true },
  lastName: { map: (_, c) => c.faker.person.lastName(), apply: "replace", textual: true },
  fullName: { map: (_, c) => `${c.faker.person.firstName()} ${c.faker.person.lastName()}`, apply: "replace", textual: true },
  email: { map: email, apply: "replace", textual: true },
  phone: { map: (_, c) => c.faker.phone.number(), apply: "replace", textual: true },
  address: { map: (_, c) => address(c), apply: "replace", textual: true },
  company: { map: (_, c) => c.faker.company.name(), apply: "replace", textual: true },
  iban: { map: iban, apply: "replace", textual: true },
  creditCard: { map: creditCard, apply: "replace", textual: true },
  nationalId: { map: nationalId, apply: "replace", textual: true },
  text: { map: freeText, apply: "replace", textual: true },
  hash: { map: (_, c) => c.digest.toString("hex").slice(0, c.rule.length ?? 32), apply: "replace", textual: true },
  redact: { map: redact, apply: "replace", textual: true },
  dateShift: { map: dateShiftDays, apply: "shift-days", textual: false },
  noise: { map: noiseFactor, apply: "scale", textual: false }
};

// packages/core/src/masking/transformers/family-mapping.ts
function maskValue(key2, family, rule, value, attempt = 0) {
  const digest = keyedDigest(key2, family, value, attempt);
  const { faker, randomizer } = keyedFaker(rule.locale ?? "en");
  randomizer.seedFromDigest(digest);
  return valueTransformers[rule.transformer].map(value, { faker, digest, rule });
}

// packages/core/src/masking/transformers/mapping-worker.ts
var key = Buffer.from(import_node_worker_threads.workerData.key);
import_node_worker_threads.parentPort.on("message", (m) => {
  if (process.env.DBCLONE_TEST_CRASH_AT === "mapping-worker") process.exit(70);
  if ("leakBatch" in m) {
    runLeakBatch(m.leakBatch).then(
      (leak) => import_node_worker_threads.parentPort.postMessage({ id: m.id, text: "", leak }),
      (e) => import_node_worker_threads.parentPort.postMessage({ id: m.id, text: "", error: e instanceof Error ? e.message : "failed" })
    );
    return;
  }
  if ("dedupe" in m) {
    const deduped = dedupeBucket(m.dedupe);
    const data = new Uint8Array(deduped.data.buffer, deduped.data.byteOffset, deduped.data.byteLength);
    import_node_worker_threads.parentPort.postMessage({ id: m.id, text: "", deduped: { ...deduped, data } }, [data.buffer]);
    return;
  }
  const values = m.values.split("\0");
  let text = "";
  if (m.reply === "copy") {
    for (const v of values) text += `f	${copyField(v)}	${copyField(maskValue(key, m.family, m.rule, v))}
`;
  } else {
    text = values.map((v) => maskValue(key, m.family, m.rule, v)).join("\0");
  }
  import_node_worker_threads.parentPort.postMessage({ id: m.id, text });
});
