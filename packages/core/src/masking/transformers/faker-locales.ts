// Faker instances per locale, each driven by a KeyedRandomizer. A curated set keeps the bundles small.
import {
  base,
  de,
  de_AT,
  de_CH,
  en,
  en_AU,
  en_CA,
  en_GB,
  en_IE,
  en_US,
  es,
  fr,
  it,
  nl,
  pl,
  pt_BR,
  pt_PT,
  sv,
  Faker,
  type LocaleDefinition,
} from "@faker-js/faker";
import { UsageError } from "../../errors.js";
import { accelerateFaker } from "./fast-fake.js";
import { KeyedRandomizer } from "./keyed-randomizer.js";

const LOCALES: Record<string, LocaleDefinition> = { de, de_AT, de_CH, en, en_AU, en_CA, en_GB, en_IE, en_US, es, fr, it, nl, pl, pt_BR, pt_PT, sv };
export const SUPPORTED_LOCALES = Object.keys(LOCALES);

export interface KeyedFaker {
  faker: Faker;
  randomizer: KeyedRandomizer;
}

const cache = new Map<string, KeyedFaker>();

export function keyedFaker(locale: string): KeyedFaker {
  let found = cache.get(locale);
  if (!found) {
    found = newKeyedFaker(locale);
    accelerateFaker(found.faker, found.randomizer); // same outputs, fewer string operations per value (fast-fake.ts)
    cache.set(locale, found);
  }
  return found;
}

/** A fresh keyed faker of `locale`, not cached and as faker ships it (the tests' reference). */
export function newKeyedFaker(locale: string): KeyedFaker {
  const definition = LOCALES[locale];
  if (!definition) throw new UsageError(`masking locale '${locale}' is not available; use one of ${SUPPORTED_LOCALES.join(", ")}.`);
  const randomizer = new KeyedRandomizer();
  // Fall back to English, then base, for anything the locale lacks.
  return { faker: new Faker({ locale: [definition, en, base], randomizer }), randomizer };
}
