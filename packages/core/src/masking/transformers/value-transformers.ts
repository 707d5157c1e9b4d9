// Value transformers: original text → masked text, from a faker seeded by the value's keyed digest.
// Each must be a pure function of (value, digest): that is what makes masking consistent.
import type { Faker } from "@faker-js/faker";
import type { ColumnRule, ValueTransformerName } from "../policy/types.js";
import { ibanCheckDigits, luhnCheckDigit } from "./checksums.js";

export interface ValueContext {
  faker: Faker;
  digest: Buffer;
  rule: ColumnRule;
}

/** How the database applies a mapped value: replace the column, shift it by days, or scale it. */
export type ApplyMode = "replace" | "shift-days" | "scale";

export interface ValueTransformer {
  map(value: string, ctx: ValueContext): string;
  apply: ApplyMode;
  /** Text-like output that a leak scan can compare with the original bytes. */
  textual: boolean;
}

const ASCII = /^[\x00-\x7f]*$/;
// NFKD leaves ASCII as it is: skipped for the (common) ASCII name.
const slug = (s: string) => {
  const lower = s.toLowerCase();
  return (ASCII.test(lower) ? lower : lower.normalize("NFKD")).replace(/[^a-z0-9]+/g, "");
};

function email(value: string, { faker, digest, rule }: ValueContext): string {
  const at = value.lastIndexOf("@");
  const domain = rule.keepDomain && at >= 0 ? value.slice(at + 1) : faker.helpers.arrayElement(["example.com", "example.net", "example.org"]);
  // The digest suffix keeps distinct inputs distinct without a collision retry in almost all cases.
  return `${slug(faker.person.firstName())}.${slug(faker.person.lastName())}.${digest.toString("hex", 20, 23)}@${domain}`;
}

function address({ faker, rule }: ValueContext): string {
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

/** Same length and separators as the original, same first digit (card network), valid Luhn digit. */
function creditCard(value: string, { faker }: ValueContext): string {
  const digits = value.replace(/\D/g, "");
  if (digits.length < 12) return faker.finance.creditCardNumber();
  let payload = digits[0]!;
  while (payload.length < digits.length - 1) payload += String(faker.number.int(9));
  const out = `${payload}${luhnCheckDigit(payload)}`;
  let i = 0;
  return value.replace(/\d/g, () => out[i++]!);
}

function iban(value: string, { faker, rule }: ValueContext): string {
  const original = value.replace(/\s+/g, "").toUpperCase();
  const country = rule.country ?? (/^[A-Z]{2}\d{2}/.test(original) ? original.slice(0, 2) : undefined);
  let generated: string;
  try {
    generated = faker.finance.iban({ formatted: false, ...(country ? { countryCode: country } : {}) });
  } catch {
    generated = faker.finance.iban({ formatted: false }); // a country faker has no format for
  }
  // Recompute the check digits ourselves: mod-97 validity is a promise of this transformer.
  const bban = generated.slice(4);
  const out = `${generated.slice(0, 2)}${ibanCheckDigits(generated.slice(0, 2), bban)}${bban}`;
  return /\s/.test(value) ? out.replace(/(.{4})(?=.)/g, "$1 ") : out;
}

function nationalId(value: string, { faker, rule }: ValueContext): string {
  if ((rule.format ?? "us-ssn") === "us-ssn") {
    let area = faker.number.int({ min: 1, max: 899 });
    if (area === 666) area = 667;
    const parts = [
      String(area).padStart(3, "0"),
      String(faker.number.int({ min: 1, max: 99 })).padStart(2, "0"),
      String(faker.number.int({ min: 1, max: 9999 })).padStart(4, "0"),
    ];
    return value.includes("-") || !/^\d{9}$/.test(value) ? parts.join("-") : parts.join("");
  }
  return value.replace(/\d/g, () => String(faker.number.int(9)));
}

/** Lorem text of exactly the original's length in characters. */
function freeText(value: string, { faker }: ValueContext): string {
  const length = [...value].length;
  let text = "";
  while (text.length < length) text += (text ? " " : "") + faker.lorem.sentence();
  return text.slice(0, length);
}

function redact(value: string, { rule }: ValueContext): string {
  const chars = [...value];
  const keep = rule.keep ?? 4;
  const mask = rule.maskChar ?? "*";
  return chars.map((c, i) => (i >= chars.length - keep || !/[\p{L}\p{N}]/u.test(c) ? c : mask)).join("");
}

/** Days to add, in ±days and never 0 (an unshifted date would leak). */
function dateShiftDays(_: string, { digest, rule }: ValueContext): string {
  const days = rule.days ?? 30;
  const u = digest.readUInt32BE(0) % (2 * days);
  return String(u < days ? u - days : u - days + 1);
}

/** A factor in [1 - p, 1 + p], never exactly 1. */
function noiseFactor(_: string, { digest, rule }: ValueContext): string {
  const p = (rule.percent ?? 10) / 100;
  const unit = digest.readUInt32BE(0) / 0xffffffff; // [0, 1]
  const factor = 1 + (unit * 2 - 1) * p;
  return (factor === 1 ? 1 + p / 2 : factor).toFixed(8);
}

export const valueTransformers: Record<ValueTransformerName, ValueTransformer> = {
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
  noise: { map: noiseFactor, apply: "scale", textual: false },
};
