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

// packages/core/src/masking/leak-scan/bucket-dedupe.ts
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

// packages/core/src/masking/leak-scan/bucket-dedupe.ts
var bytesPerOriginal = (utf8Length) => 3 * utf8Length + 96;
var RECORD_HEADER = 9;
function dedupeBucket(records) {
  const data = Buffer.from(records.buffer, records.byteOffset, records.byteLength);
  const seen = /* @__PURE__ */ new Map();
  for (let at2 = 0; at2 < data.length; ) {
    const len = data[at2];
    const first = data.readInt32LE(at2 + 1);
    const high = data.readInt32LE(at2 + 5);
    const k = data.toString("latin1", at2 + RECORD_HEADER, at2 + RECORD_HEADER + len);
    at2 += RECORD_HEADER + len;
    const known = seen.get(k);
    if (!known) seen.set(k, [first, high]);
    else {
      if (first < known[0]) known[0] = first;
      if (high >= 0 && (known[1] < 0 || high < known[1])) known[1] = high;
    }
  }
  const keys = [...seen.keys()].filter((k) => k.length >= WINDOW).sort();
  const out = Buffer.allocUnsafeSlow(keys.reduce((n, k) => n + RECORD_HEADER + k.length, 0));
  let at = 0;
  let bytes = 0;
  for (const k of keys) {
    const [first, high] = seen.get(k);
    out[at] = k.length;
    out.writeInt32LE(first, at + 1);
    out.writeInt32LE(high, at + 5);
    out.write(k, at + RECORD_HEADER, "latin1");
    at += RECORD_HEADER + k.length;
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

// packages/core/src/masking/keyed-digest.ts
init_import_meta_url();

// packages/core/src/masking/hmac-sha256.ts
init_import_meta_url();
var import_node_crypto = __toESM(require("node:crypto"), 1);
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
    (key2.length > 64 ? import_node_crypto.default.createHash("sha256").update(key2).digest() : key2).copy(k);
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

// packages/core/src/masking/transformers/fast-fake.ts
init_import_meta_url();
var BRACE = /[{}]/;
var CACHE_LIMIT = 4096;
function compile(template) {
  const c = { literals: [], exprs: [], tails: [], afters: [] };
  let rest = template;
  for (; ; ) {
    const start = rest.search(/{{[a-z]/);
    const end = rest.indexOf("}}", start);
    if (start === -1 || end === -1) break;
    const literal = rest.substring(0, start);
    if (BRACE.test(literal)) return void 0;
    c.literals.push(literal);
    c.exprs.push(
      rest.substring(start + 2, end + 2).replace("}}", "").replace("{{", "")
    );
    c.tails.push(rest.substring(start));
    rest = rest.substring(end + 2);
    c.afters.push(rest);
  }
  if (BRACE.test(rest)) return void 0;
  c.literals.push(rest);
  return c;
}
function accelerateFaker(faker, random) {
  const helpers = faker.helpers;
  const numbers = faker.number;
  const fake = helpers.fake;
  const multiple = helpers.multiple;
  const int = numbers.int;
  const arrayElement = helpers.arrayElement;
  numbers.int = (options = {}) => {
    let min = 0;
    let max = 2 ** 53 - 1;
    if (typeof options === "number") max = options;
    else if (options.multipleOf === void 0 && options.distributor === void 0) {
      if (options.min !== void 0) min = options.min;
      if (options.max !== void 0) max = options.max;
    } else return int(options);
    const lo = Math.ceil(min);
    const hi = Math.floor(max);
    if (lo === hi) return lo;
    if (!(hi > lo)) return int(options);
    return Math.floor(random.next() * (hi - lo + 1) + lo);
  };
  helpers.arrayElement = (array) => {
    if (!Array.isArray(array) || array.length === 0) return arrayElement(array);
    return array[array.length > 1 ? Math.floor(random.next() * array.length) : 0];
  };
  const templates = /* @__PURE__ */ new Map();
  const plans = /* @__PURE__ */ new Map();
  const planOf = (expr) => {
    if (expr.length === 0 || expr.includes("(")) return null;
    const parts = expr.split(".");
    if (parts.some((p) => p.length === 0)) return null;
    let values = [faker, faker.definitions.raw];
    for (const [i, part] of parts.entries()) {
      if (values.some((v) => typeof v === "function")) return null;
      values = values.map((v) => typeof v === "object" && v !== null ? v[part] : void 0).filter((v) => v != null);
      if (values.length === 0) return null;
      if (i < parts.length - 1 && values.some((v) => Array.isArray(v))) return null;
    }
    return values;
  };
  const evaluate = (plan) => {
    let first;
    for (let i = 0; i < plan.length; i++) {
      const v = plan[i];
      const x = Array.isArray(v) ? helpers.arrayElement(v) : v;
      if (i === 0) first = x;
    }
    return typeof first === "function" ? first() : first;
  };
  const cached = (map, key2, make) => {
    let found = map.get(key2);
    if (found === void 0) {
      found = make() ?? null;
      if (map.size < CACHE_LIMIT) map.set(key2, found);
    }
    return found;
  };
  helpers.fake = (pattern) => {
    const template = typeof pattern === "string" ? pattern : helpers.arrayElement(pattern);
    const c = cached(templates, template, () => compile(template));
    if (c === null) return fake(template);
    let out = c.literals[0];
    for (let i = 0; i < c.exprs.length; i++) {
      const plan = cached(plans, c.exprs[i], () => planOf(c.exprs[i]));
      if (plan === null) return fake(out + c.tails[i]);
      const value = String(evaluate(plan));
      if (BRACE.test(value)) return fake(out + value + c.afters[i]);
      out += value + c.literals[i + 1];
    }
    return out;
  };
  helpers.multiple = (method, options = {}) => {
    const count = helpers.rangeToNumber(options.count ?? 3);
    if (!Number.isInteger(count)) return multiple(method, options);
    if (count <= 0) return [];
    const out = new Array(count);
    for (let i = 0; i < count; i++) out[i] = method(void 0, i);
    return out;
  };
}

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
    found = newKeyedFaker(locale);
    accelerateFaker(found.faker, found.randomizer);
    cache.set(locale, found);
  }
  return found;
}
function newKeyedFaker(locale) {
  const definition = LOCALES[locale];
  if (!definition) throw new UsageError(`masking locale '${locale}' is not available; use one of ${SUPPORTED_LOCALES.join(", ")}.`);
  const randomizer = new KeyedRandomizer();
  return { faker: new import_faker.Faker({ locale: [definition, import_faker.en, import_faker.base], randomizer }), randomizer };
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
var ASCII = /^[\x00-\x7f]*$/;
var slug = (s) => {
  const lower = s.toLowerCase();
  return (ASCII.test(lower) ? lower : lower.normalize("NFKD")).replace(/[^a-z0-9]+/g, "");
};
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
