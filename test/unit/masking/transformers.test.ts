import { describe, expect, it } from "vitest";
import {
  defaultFamily,
  isLuhnValid,
  isValidIban,
  mapFamily,
  maskValue,
  keyedDigest,
  type ColumnRule,
  VALUE_TRANSFORMERS,
} from "../../../packages/core/src/masking/index.js";

const key = Buffer.from("unit-test-key-0123456789abcdef");
const otherKey = Buffer.from("another-key-0123456789abcdefgh");
const samples: Record<string, string> = {
  firstName: "Alice",
  lastName: "Johnson",
  fullName: "Alice Johnson",
  email: "alice.johnson@acme.io",
  phone: "+1 (555) 010-2030",
  address: "742 Evergreen Terrace",
  company: "Acme Corp",
  iban: "DE89370400440532013000",
  creditCard: "4111 1111 1111 1111",
  nationalId: "123-45-6789",
  text: "Called about the invoice twice.",
  hash: "secret-value",
  redact: "4111111111111111",
  dateShift: "1990-05-04",
  noise: "123.45",
};

describe("value transformers", () => {
  for (const name of VALUE_TRANSFORMERS) {
    const rule: ColumnRule = { transformer: name };
    const family = defaultFamily(rule);
    it(`${name}: same value and key give the same output`, () => {
      expect(maskValue(key, family, rule, samples[name]!)).toBe(maskValue(key, family, rule, samples[name]!));
    });
    if (name !== "redact") {
      it(`${name}: another key gives another output`, () => {
        const outs = ["a1", "b2", "c3", "d4", "e5"].map((s) => [
          maskValue(key, family, rule, samples[name]! + s),
          maskValue(otherKey, family, rule, samples[name]! + s),
        ]);
        expect(outs.some(([a, b]) => a !== b)).toBe(true);
      });
    }
  }

  it("card numbers keep length, separators and first digit and pass Luhn", () => {
    for (let i = 0; i < 200; i++) {
      const out = maskValue(key, "creditCard", { transformer: "creditCard" }, `4111 1111 1111 ${String(1000 + i)}`);
      expect(out).toMatch(/^4\d{3} \d{4} \d{4} \d{4}$/);
      expect(isLuhnValid(out.replace(/\s/g, ""))).toBe(true);
    }
  });

  it("IBANs pass mod-97 and keep the original's country", () => {
    for (let i = 0; i < 200; i++) {
      const out = maskValue(key, "iban", { transformer: "iban" }, `DE8937040044053201${String(1000 + i)}`);
      expect(out.slice(0, 2)).toBe("DE");
      expect(isValidIban(out)).toBe(true);
    }
    expect(isValidIban("DE89370400440532013000")).toBe(true);
    expect(isValidIban("DE88370400440532013000")).toBe(false);
  });

  it("emails look like emails; keepDomain keeps the domain", () => {
    expect(maskValue(key, "email", { transformer: "email" }, "bob@corp.example")).toMatch(/^[a-z0-9]+\.[a-z0-9]+\.[0-9a-f]{6}@example\.(com|net|org)$/);
    expect(maskValue(key, "e", { transformer: "email", keepDomain: true }, "bob@corp.example")).toMatch(/@corp\.example$/);
  });

  it("national ids are US SSNs with a valid area; free text keeps its length; redaction keeps the last 4", () => {
    expect(maskValue(key, "n", { transformer: "nationalId" }, "123-45-6789")).toMatch(/^(?!000|666|9)\d{3}-\d{2}-\d{4}$/);
    const text = "Called about the invoice twice. Very angry ☹ customer.";
    expect([...maskValue(key, "t", { transformer: "text" }, text)]).toHaveLength([...text].length);
    expect(maskValue(key, "r", { transformer: "redact" }, "4111-1111-1111-1234")).toBe("****-****-****-1234");
  });

  it("date shifts stay within ±days and are never 0; noise stays within ±percent and is never 1", () => {
    for (let i = 0; i < 500; i++) {
      const d = Number(maskValue(key, "d", { transformer: "dateShift", days: 7 }, `v${i}`));
      expect(Math.abs(d)).toBeGreaterThanOrEqual(1);
      expect(Math.abs(d)).toBeLessThanOrEqual(7);
      const f = Number(maskValue(key, "n", { transformer: "noise", percent: 5 }, `v${i}`));
      expect(f).not.toBe(1);
      expect(Math.abs(f - 1)).toBeLessThanOrEqual(0.05);
    }
  });

  it("the keyed hash is the documented HMAC", async () => {
    const { createHmac } = await import("node:crypto");
    const expected = createHmac("sha256", key).update("dbclone/mask/v1\u0000hash\u0000secret-value").digest("hex").slice(0, 32);
    expect(maskValue(key, "hash", { transformer: "hash" }, "secret-value")).toBe(expected);
    expect(keyedDigest(key, "hash", "secret-value").toString("hex").slice(0, 32)).toBe(expected);
  });

  it("a unique family gets distinct outputs, none equal to an input, even when the output space is tiny", () => {
    const inputs = new Set(Array.from({ length: 3000 }, (_, i) => `person-${i}`));
    const out = mapFamily(key, "firstName", { transformer: "firstName" }, inputs, true);
    const values = [...out.values()];
    expect(new Set(values).size).toBe(inputs.size);
    expect(values.some((v) => inputs.has(v))).toBe(false);
    // And the same inputs in another order give the same mapping (consistency across tables).
    const again = mapFamily(key, "firstName", { transformer: "firstName" }, new Set([...inputs].reverse()), true);
    expect([...inputs].every((v) => again.get(v) === out.get(v))).toBe(true);
  });

  it("families: email columns share one mapping; options that change output change the family", () => {
    expect(defaultFamily({ transformer: "email" })).toBe("email");
    expect(defaultFamily({ transformer: "email", keepDomain: true })).toBe("email[keepDomain=true]");
    expect(defaultFamily({ transformer: "firstName", locale: "en" })).toBe("firstName");
    expect(defaultFamily({ transformer: "firstName", locale: "de" })).toBe("firstName[locale=de]");
  });

  it("a locale changes the fake data", () => {
    const en = Array.from({ length: 20 }, (_, i) => maskValue(key, "a", { transformer: "address", part: "city" }, `c${i}`));
    const de = Array.from({ length: 20 }, (_, i) => maskValue(key, "a", { transformer: "address", part: "city", locale: "de" }, `c${i}`));
    expect(en).not.toEqual(de);
  });
});
