// Engine-neutral PII detection for one column: its name, its type and a sample of its values.
import { en } from "@faker-js/faker";
import { isLuhnValid, isValidIban } from "../transformers/checksums.js";

export type PiiKind = "email" | "phone" | "person-name" | "address" | "national-id" | "iban" | "card" | "birth-date" | "ip-address";

const NAME_PATTERNS: [PiiKind, RegExp][] = [
  ["email", /e_?mail/i],
  ["phone", /phone|mobile|(^|_)tel(_|$)|fax/i],
  ["person-name", /(first|last|given|family|middle|full|maiden|sur|user)_?name|surname|forename/i],
  ["address", /address|street|(^|_)city(_|$)|zip|post_?code|postal/i],
  ["national-id", /ssn|social_?security|national_?id|passport|tax_?id|(^|_)nin(o)?(_|$)/i],
  ["iban", /iban|account_?(no|num)/i],
  ["card", /card_?(no|num)|(^|_)pan(_|$)|cc_?num|credit_?card/i],
  ["birth-date", /birth|(^|_)dob(_|$)/i],
  ["ip-address", /(^|_)ip(_?addr(ess)?)?(_|$)/i],
];

const EMAIL = /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i;
const PHONE = /^\+?[\d\s().-]{7,20}$/;
const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;

// Faker's English name lists (data, not a dictionary of ours): a value made of such words reads as a person's name.
const NAMES = new Set<string>(
  [
    ...Object.values((en.person?.first_name ?? {}) as Record<string, string[]>).flat(),
    ...Object.values((en.person?.last_name ?? {}) as Record<string, string[]>).flat(),
  ].map((n) => n.toLowerCase()),
);

function valueKind(v: string): PiiKind | undefined {
  const s = v.trim();
  if (EMAIL.test(s)) return "email";
  const digits = s.replace(/[\s-]/g, "");
  if (/^\d{13,19}$/.test(digits) && isLuhnValid(digits)) return "card";
  if (/^[A-Z]{2}\d{2}/i.test(digits) && isValidIban(digits)) return "iban";
  if (IPV4.test(s)) return "ip-address";
  if (PHONE.test(s) && (s.match(/\d/g)?.length ?? 0) >= 7 && /[\s().+-]/.test(s)) return "phone";
  const words = s.split(/\s+/);
  if (words.length >= 1 && words.length <= 3 && words.every((w) => NAMES.has(w.toLowerCase().replace(/[.,]$/, "")))) return "person-name";
  return undefined;
}

export interface PiiCandidate {
  database: string;
  schema: string;
  table: string;
  column: string;
  type: string;
  kinds: PiiKind[];
  /** Why: the column name, and/or how many sampled values looked like PII. */
  reasons: string[];
  [key: string]: unknown;
}

/** Share of sampled values that must look like one kind before the column is reported. */
const VALUE_THRESHOLD = 0.3;

export function detectPii(column: { name: string; type: string }, sample: string[]): { kinds: PiiKind[]; reasons: string[] } {
  const kinds = new Set<PiiKind>();
  const reasons: string[] = [];
  for (const [kind, re] of NAME_PATTERNS) {
    if (re.test(column.name)) {
      kinds.add(kind);
      reasons.push(`name looks like ${kind}`);
      break;
    }
  }
  if (sample.length > 0) {
    const counts = new Map<PiiKind, number>();
    for (const v of sample) {
      const k = valueKind(v);
      if (k) counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const [k, n] of counts) {
      if (n / sample.length >= VALUE_THRESHOLD) {
        kinds.add(k);
        reasons.push(`${n}/${sample.length} sampled values look like ${k}`);
      }
    }
  }
  return { kinds: [...kinds], reasons };
}
