// Faster, output-identical replacements for two faker helpers on our own keyed instances. Per
// value, faker's `helpers.fake` re-parses its template and re-resolves each `{{module.method}}`
// expression by name (string splits, property walks); for `location.streetAddress` that was about
// half of the value's cost. Here a template is split once and an expression's property walk is
// resolved once; every random draw (arrayElement along the walk, the method call) still happens
// at the same point, so the stream of draws, and so every output, is unchanged. Anything outside
// the cases proven equal below (a brace in a template's text or in a substituted value, calls in
// an expression, an array or function part-way along a walk) goes to faker's own implementation.
// test/unit/masking/fast-fake.test.ts compares every transformer and locale against plain faker.
import type { Faker } from "@faker-js/faker";

interface Compiled {
  /** Text between placeholders: literals[i] precedes exprs[i]; the last one ends the template. */
  literals: string[];
  exprs: string[];
  /** The template from the i-th placeholder on: what faker would see next if we hand back. */
  tails: string[];
  /** The template after the i-th placeholder. */
  afters: string[];
}

/** The last step of an expression's walk: its surviving values (arrays are drawn from, in order). */
type Plan = unknown[];

interface Helpers {
  fake(pattern: string | readonly string[]): string;
  multiple<T>(method: (v: unknown, i: number) => T, options?: { count?: number | { min: number; max: number } }): T[];
  arrayElement<T>(array: readonly T[]): T;
  rangeToNumber(n: number | { min: number; max: number }): number;
}

const BRACE = /[{}]/;
const CACHE_LIMIT = 4096; // templates are a locale's static definitions; a bound keeps odd inputs from growing it

/** Split a template exactly where faker's fake() would substitute, or undefined when the shortcut is not proven equal. */
function compile(template: string): Compiled | undefined {
  const c: Compiled = { literals: [], exprs: [], tails: [], afters: [] };
  let rest = template;
  for (;;) {
    // The same search as faker: the first `{{` followed by a lower-case letter, then the next `}}`.
    const start = rest.search(/{{[a-z]/);
    const end = rest.indexOf("}}", start);
    if (start === -1 || end === -1) break;
    const literal = rest.substring(0, start);
    // With no brace in what precedes (text and substituted values), faker's next search over
    // "what precedes + the rest" finds its match inside the rest, where it is found here.
    if (BRACE.test(literal)) return undefined;
    c.literals.push(literal);
    c.exprs.push(
      rest
        .substring(start + 2, end + 2)
        .replace("}}", "")
        .replace("{{", ""),
    );
    c.tails.push(rest.substring(start));
    rest = rest.substring(end + 2);
    c.afters.push(rest);
  }
  if (BRACE.test(rest)) return undefined;
  c.literals.push(rest);
  return c;
}

type IntOptions = number | { min?: number; max?: number; multipleOf?: number; distributor?: unknown };

/**
 * Install the shortcuts on one faker instance (its modules' methods are bound own properties, so
 * faker's own calls, `this.faker.helpers.fake(…)`, `this.faker.number.int(…)` and fake's
 * recursion, reach them too). `random` is the instance's randomizer.
 */
export function accelerateFaker(faker: Faker, random: { next(): number }): void {
  const helpers = faker.helpers as unknown as Helpers;
  const numbers = faker.number as unknown as { int(options?: IntOptions): number };
  const fake = helpers.fake;
  const multiple = helpers.multiple;
  const int = numbers.int;
  const arrayElement = helpers.arrayElement;

  // faker's int() with multipleOf 1 and its default distributor (one draw of the randomizer's
  // next()): lo = ceil(min), hi = floor(max); lo when they are equal (no draw); else
  // floor(next() × (hi − lo + 1) + lo). Anything else, and its errors, is faker's own.
  numbers.int = (options: IntOptions = {}): number => {
    let min = 0;
    let max = 2 ** 53 - 1;
    if (typeof options === "number") max = options;
    else if (options.multipleOf === undefined && options.distributor === undefined) {
      if (options.min !== undefined) min = options.min;
      if (options.max !== undefined) max = options.max;
    } else return int(options);
    const lo = Math.ceil(min);
    const hi = Math.floor(max);
    if (lo === hi) return lo;
    if (!(hi > lo)) return int(options); // faker's error (or its NaN): it draws nothing first either
    return Math.floor(random.next() * (hi - lo + 1) + lo);
  };
  // faker's arrayElement: int({ max: length − 1 }) for more than one element, i.e. floor(next() × length).
  helpers.arrayElement = <T>(array: readonly T[]): T => {
    if (!Array.isArray(array) || array.length === 0) return arrayElement(array);
    return array[array.length > 1 ? Math.floor(random.next() * array.length) : 0] as T;
  };
  const templates = new Map<string, Compiled | null>();
  const plans = new Map<string, Plan | null>();

  // faker's expression evaluator with its default entry points (the instance and its raw locale
  // data): per `.` part, every entry point steps to its property; nulls drop out; arrays are
  // drawn from (one arrayElement each, in order); the first survivor is the result, called when a function.
  const planOf = (expr: string): Plan | null => {
    if (expr.length === 0 || expr.includes("(")) return null;
    const parts = expr.split(".");
    if (parts.some((p) => p.length === 0)) return null;
    let values: unknown[] = [faker, (faker.definitions as unknown as { raw: unknown }).raw];
    for (const [i, part] of parts.entries()) {
      // A function part-way would be called by faker (a draw we would skip): not planned.
      if (values.some((v) => typeof v === "function")) return null;
      values = values.map((v) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[part] : undefined)).filter((v) => v != null);
      if (values.length === 0) return null; // faker throws: let it
      if (i < parts.length - 1 && values.some((v) => Array.isArray(v))) return null; // a draw part-way
    }
    return values;
  };
  const evaluate = (plan: Plan): unknown => {
    let first: unknown;
    for (let i = 0; i < plan.length; i++) {
      const v = plan[i];
      const x = Array.isArray(v) ? helpers.arrayElement(v) : v;
      if (i === 0) first = x;
    }
    return typeof first === "function" ? (first as () => unknown)() : first;
  };
  const cached = <T>(map: Map<string, T | null>, key: string, make: () => T | undefined | null): T | null => {
    let found = map.get(key);
    if (found === undefined) {
      found = make() ?? null;
      if (map.size < CACHE_LIMIT) map.set(key, found);
    }
    return found;
  };

  helpers.fake = (pattern: string | readonly string[]): string => {
    const template = typeof pattern === "string" ? pattern : helpers.arrayElement(pattern);
    const c = cached(templates, template, () => compile(template));
    if (c === null) return fake(template);
    let out = c.literals[0]!;
    for (let i = 0; i < c.exprs.length; i++) {
      const plan = cached(plans, c.exprs[i]!, () => planOf(c.exprs[i]!));
      // `out` holds no brace, so faker resumes exactly here.
      if (plan === null) return fake(out + c.tails[i]!);
      const value = String(evaluate(plan));
      if (BRACE.test(value)) return fake(out + value + c.afters[i]!);
      out += value + c.literals[i + 1]!;
    }
    return out;
  };

  // Array.from({ length: n }, method) calls method(undefined, k) for k = 0 … n - 1: the same calls, in a plain loop.
  helpers.multiple = <T>(method: (v: unknown, i: number) => T, options: { count?: number | { min: number; max: number } } = {}): T[] => {
    const count = helpers.rangeToNumber(options.count ?? 3);
    // Only a plain non-integer count gets here (a range draws an integer), so faker's own call draws nothing twice.
    if (!Number.isInteger(count)) return multiple(method, options);
    if (count <= 0) return [];
    const out = new Array<T>(count);
    for (let i = 0; i < count; i++) out[i] = method(undefined, i);
    return out;
  };
}
