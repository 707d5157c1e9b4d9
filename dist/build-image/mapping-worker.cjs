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
var import_node_crypto = __toESM(require("node:crypto"), 1);
var DIGEST_DOMAIN = "dbclone/mask/v1";
function keyedDigest(key2, family, value, attempt = 0) {
  const h = import_node_crypto.default.createHmac("sha256", key2);
  h.update(`${DIGEST_DOMAIN}\0${family}\0${value}`, "utf8");
  if (attempt > 0) h.update(`\0${attempt}`, "utf8");
  return h.digest();
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
  const outputs = m.values.map((v) => maskValue(key, m.family, m.rule, v));
  import_node_worker_threads.parentPort.postMessage({ id: m.id, outputs });
});
