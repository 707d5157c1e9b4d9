// The faker shortcuts (fast-fake.ts) must not change one output: every transformer, in every
// supported locale, against a faker instance as faker ships it, fed the same digests. After each
// value both randomizers must also be in the same state, so no draw was skipped or added.
import { describe, expect, it } from "vitest";
import type { ColumnRule } from "../../../packages/core/src/masking/index.js";
import { keyedDigest } from "../../../packages/core/src/masking/keyed-digest.js";
import { defaultFamily, maskValue } from "../../../packages/core/src/masking/transformers/family-mapping.js";
import { accelerateFaker } from "../../../packages/core/src/masking/transformers/fast-fake.js";
import { keyedFaker, newKeyedFaker, SUPPORTED_LOCALES } from "../../../packages/core/src/masking/transformers/faker-locales.js";
import { valueTransformers } from "../../../packages/core/src/masking/transformers/value-transformers.js";

const key = Buffer.from("fast-fake-test-key-0123456789");

const rules: ColumnRule[] = [
  ...Object.keys(valueTransformers).map((t) => ({ transformer: t }) as ColumnRule),
  ...(["city", "postcode", "country", "full"] as const).map((part) => ({ transformer: "address", part }) as ColumnRule),
  { transformer: "nationalId", format: "digits" },
  { transformer: "iban", country: "FR" },
  { transformer: "email", keepDomain: true },
];

const sample = (i: number) =>
  [`person.${i}@mail${i % 97}.example`, `+1 555 ${String(i).padStart(7, "0")}`, `${i} Main Street`, `4111 1111 1111 ${1000 + (i % 9000)}`][i % 4]!;

/** The output and the randomizer's next word after it, from faker as shipped. */
function reference(locale: string, rule: ColumnRule, value: string): [string, number] {
  const plain = newKeyedFaker(locale);
  const family = defaultFamily({ ...rule, locale });
  const digest = keyedDigest(key, family, value);
  plain.randomizer.seedFromDigest(digest);
  const out = valueTransformers[rule.transformer as keyof typeof valueTransformers].map(value, { faker: plain.faker, digest, rule: { ...rule, locale } });
  return [out, plain.randomizer.nextUint32()];
}

describe("faker shortcuts (fast-fake.ts)", () => {
  it("every transformer in every locale gives faker's own output and leaves the same random state", () => {
    let compared = 0;
    for (const locale of SUPPORTED_LOCALES) {
      const fast = keyedFaker(locale);
      for (const rule of rules) {
        const family = defaultFamily({ ...rule, locale });
        for (let i = 0; i < 60; i++) {
          const value = sample(i);
          const [out, next] = reference(locale, rule, value);
          expect(maskValue(key, family, { ...rule, locale }, value), `${locale} ${family} #${i}`).toBe(out);
          expect(fast.randomizer.nextUint32(), `${locale} ${family} #${i}: random state`).toBe(next);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(SUPPORTED_LOCALES.length * 20 * 50);
  });

  it("many street addresses, emails and phones in English match faker's own", () => {
    for (const rule of [{ transformer: "address" }, { transformer: "email" }, { transformer: "phone" }, { transformer: "lastName" }] as ColumnRule[]) {
      const family = defaultFamily(rule);
      for (let i = 0; i < 3000; i++) expect(maskValue(key, family, rule, `${i} Main Street`)).toBe(reference("en", rule, `${i} Main Street`)[0]);
    }
  });

  it("emails slug names as before (NFKD skipped only for ASCII), in every locale", () => {
    const oldSlug = (s: string) =>
      s
        .toLowerCase()
        .normalize("NFKD")
        .replace(/[^a-z0-9]+/g, "");
    let accented = 0;
    for (const locale of SUPPORTED_LOCALES) {
      const rule = { transformer: "email", locale } as ColumnRule;
      const family = defaultFamily(rule);
      for (let i = 0; i < 300; i++) {
        const value = `p${i}@x.test`;
        const plain = newKeyedFaker(locale);
        const digest = keyedDigest(key, family, value);
        plain.randomizer.seedFromDigest(digest);
        const domain = plain.faker.helpers.arrayElement(["example.com", "example.net", "example.org"]);
        const [first, last] = [plain.faker.person.firstName(), plain.faker.person.lastName()];
        if (/[^\x00-\x7f]/.test(first + last)) accented++;
        expect(maskValue(key, family, rule, value)).toBe(`${oldSlug(first)}.${oldSlug(last)}.${digest.toString("hex", 20, 23)}@${domain}`);
      }
    }
    expect(accented).toBeGreaterThan(50); // the NFKD path is exercised too
  });

  it("hands back to faker where the shortcut is not proven equal, with the same result", () => {
    const fast = newKeyedFaker("en");
    accelerateFaker(fast.faker, fast.randomizer);
    const plain = newKeyedFaker("en");
    const templates = [
      "{{location.buildingNumber}} {{location.street}}", // compiled
      "x{{{location.city}}", // a brace before the placeholder: faker's own
      "{{location.city}} {{person.firstName}}", // compiled
      "{{helpers.arrayElement(['a','b'])}}-{{location.city}}", // a call: faker's own
      "{{person.first_name.generic}} {{location.city_name}}", // an array at the end of the walk: drawn here
      "no placeholder",
      "{{location.street_suffix}}!",
    ];
    for (const t of templates) {
      for (let i = 0; i < 50; i++) {
        const digest = keyedDigest(key, "t", `${t}${i}`);
        fast.randomizer.seedFromDigest(digest);
        plain.randomizer.seedFromDigest(digest);
        expect(fast.faker.helpers.fake(t), t).toBe(plain.faker.helpers.fake(t));
        expect(fast.faker.helpers.multiple(() => fast.faker.number.int(9), { count: { min: 1, max: 5 } })).toEqual(
          plain.faker.helpers.multiple(() => plain.faker.number.int(9), { count: { min: 1, max: 5 } }),
        );
        expect(fast.randomizer.nextUint32(), t).toBe(plain.randomizer.nextUint32());
      }
    }
    const ints = [
      9,
      0,
      1,
      2.5,
      2 ** 40,
      { min: 2, max: 9 },
      { min: 1.5, max: 3.5 },
      { min: 5, max: 5 },
      { max: 99 },
      { min: -10, max: -2 },
      { max: 20, multipleOf: 5 },
      {},
    ];
    for (let i = 0; i < 200; i++) {
      const digest = keyedDigest(key, "int", String(i));
      fast.randomizer.seedFromDigest(digest);
      plain.randomizer.seedFromDigest(digest);
      for (const o of ints) expect(fast.faker.number.int(o as never), JSON.stringify(o)).toBe(plain.faker.number.int(o as never));
      for (const a of [["x"], ["a", "b"], "abcdef".split(""), Array.from({ length: 1000 }, (_, k) => k)])
        expect(fast.faker.helpers.arrayElement(a as unknown[])).toBe(plain.faker.helpers.arrayElement(a as unknown[]));
      expect(fast.randomizer.nextUint32()).toBe(plain.randomizer.nextUint32());
    }
    for (const bad of [-3, { min: 5, max: 2 }, { max: -1 }, { min: 1.2, max: 1.8 }]) {
      expect(() => fast.faker.number.int(bad)).toThrow();
      expect(() => plain.faker.number.int(bad)).toThrow();
    }
    expect(() => fast.faker.helpers.arrayElement([])).toThrow();
    // An invalid expression still throws as faker does.
    expect(() => fast.faker.helpers.fake("{{location.}}")).toThrow();
    expect(() => fast.faker.helpers.fake("{{nothing.here}}")).toThrow();
  });
});
