// Read a masking policy from YAML: the `masking:` section of dbclone.yml, or a file of its own.
// Validated by the published JSON Schema (ajv); errors point at file:line:column via yaml's positions.
import { readFile } from "node:fs/promises";
import { Ajv, type ErrorObject } from "ajv";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { PolicyError, policyErrorAt, positionKey } from "./policy-error.js";
import { maskingPolicySchema } from "./schema.js";
import type { ColumnRule, DatabasePolicy, DefaultRule, MaskingPolicy, PolicyOrigin, SourcePosition, VariantPolicy } from "./types.js";

const validate = new Ajv({ allErrors: true, strict: false }).compile(maskingPolicySchema);

export async function loadPolicyFile(file: string): Promise<MaskingPolicy> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new PolicyError(`cannot read the policy file (${(e as Error).message}); check the path`, file);
  }
  return parsePolicy(text, file);
}

/** Parse policy YAML text; `file` names it in errors. */
export function parsePolicy(text: string, file: string): MaskingPolicy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: false });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const pos = err.linePos?.[0];
    throw new PolicyError(`not valid YAML: ${err.message.split("\n")[0]}`, file, pos?.line, pos?.col);
  }
  const positions = new Map<string, SourcePosition>();
  const at = (node: Node | null | undefined): SourcePosition | undefined => {
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const walk = (node: unknown, segments: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const next = [...segments, String(pair.key.value)];
        const pos = at(pair.key as Node);
        if (pos) positions.set(positionKey(next), pos);
        walk(pair.value, next);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const pos = at(item as Node);
        if (pos) positions.set(positionKey([...segments, i]), pos);
        walk(item, [...segments, i]);
      });
    }
  };
  const root = toPlainValue(doc, file);
  // dbclone.yml holds other sections too: then only `masking:` is the policy.
  const inDbcloneYml = isObject(root) && "masking" in root;
  const value = inDbcloneYml ? (root as Record<string, unknown>).masking : root;
  const base = inDbcloneYml ? ["masking"] : [];
  walk(doc.contents, []);
  const rootPos = positions.get(positionKey(base)) ?? { line: 1, column: 1 };
  // Positions are stored relative to the policy root, so callers never see the prefix.
  const relative = new Map<string, SourcePosition>();
  const prefix = base.length ? positionKey(base) : "";
  for (const [k, v] of positions) {
    if (!prefix) relative.set(k, v);
    else if (k === prefix) relative.set("", v);
    else if (k.startsWith(`${prefix}\u0000`)) relative.set(k.slice(prefix.length + 1), v);
  }
  relative.set("", relative.get("") ?? rootPos);
  const origin: PolicyOrigin = { file, positions: relative };

  if (!isObject(value)) throw new PolicyError("the masking policy must be a mapping (databases:, defaults:, …)", file, rootPos.line, rootPos.column);
  if (!validate(value)) throw schemaError(validate.errors ?? [], value, origin);
  return normalise(value, origin);
}

/**
 * The document as plain values. yaml refuses documents whose aliases expand past its resource
 * limit (a "billion laughs" alias bomb): that is a policy error, not an unexpected one.
 */
function toPlainValue(doc: ReturnType<typeof parseDocument>, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const reason = (e as Error).message.split("\n")[0];
    throw new PolicyError(`the YAML is refused by a resource limit (${reason}); write the policy without deeply nested aliases`, file);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The most telling of ajv's errors: the deepest, and not a branch that did not apply. */
function schemaError(errors: ErrorObject[], value: unknown, origin: PolicyOrigin): PolicyError {
  const pathOf = (e: ErrorObject) =>
    e.instancePath
      .split("/")
      .slice(1)
      .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  const dataAt = (segments: string[]) =>
    segments.reduce<unknown>((d, s) => (isObject(d) || Array.isArray(d) ? (d as Record<string, unknown>)[s] : undefined), value);
  const useful = errors.filter((e) => {
    if (["oneOf", "anyOf", "if"].includes(e.keyword)) return false;
    // A rule written as a mapping failed its mapping branch: the shorthand-branch complaint is noise.
    if ((e.keyword === "enum" || e.keyword === "type") && isObject(dataAt(pathOf(e))) && e.schemaPath.includes("oneOf/0")) return false;
    return true;
  });
  const chosen = [...(useful.length ? useful : errors)].sort((a, b) => pathOf(b).length - pathOf(a).length)[0]!;
  const segments: (string | number)[] = pathOf(chosen);
  let message = chosen.message ?? "is not valid";
  if (chosen.keyword === "additionalProperties") {
    const extra = String((chosen.params as { additionalProperty: string }).additionalProperty);
    segments.push(extra);
    message = `unknown field '${extra}'`;
  } else if (chosen.keyword === "enum") {
    message = `must be one of: ${((chosen.params as { allowedValues: unknown[] }).allowedValues ?? []).join(", ")}`;
  } else if (chosen.keyword === "required") {
    message = `needs '${(chosen.params as { missingProperty: string }).missingProperty}'`;
  }
  return policyErrorAt(origin, segments, message);
}

function rule(spec: unknown): ColumnRule {
  return typeof spec === "string" ? { transformer: spec as ColumnRule["transformer"] } : { ...(spec as ColumnRule) };
}

function databases(raw: unknown): Record<string, DatabasePolicy> {
  const out: Record<string, DatabasePolicy> = {};
  for (const [name, db] of Object.entries((raw ?? {}) as Record<string, Record<string, unknown>>)) {
    const tables: DatabasePolicy["tables"] = {};
    for (const [t, spec] of Object.entries(
      (db.tables ?? {}) as Record<string, { where?: string; columns: Record<string, unknown>; notPersonal?: Record<string, string> }>,
    )) {
      const columns: Record<string, ColumnRule> = {};
      for (const [c, r] of Object.entries(spec.columns ?? {})) columns[c] = rule(r);
      tables[t] = { ...(spec.where ? { where: spec.where } : {}), columns, ...(spec.notPersonal ? { notPersonal: { ...spec.notPersonal } } : {}) };
    }
    out[name] = { tables, truncate: (db.truncate as string[]) ?? [], exclude: (db.exclude as string[]) ?? [] };
  }
  return out;
}

function normalise(raw: Record<string, unknown>, origin: PolicyOrigin): MaskingPolicy {
  const variants: Record<string, VariantPolicy> = {};
  for (const [name, v] of Object.entries((raw.variants ?? {}) as Record<string, Record<string, unknown>>)) {
    const access = v.access as { users?: string[]; teams?: string[] } | undefined;
    variants[name] = {
      ...(access ? { access: { users: access.users ?? [], teams: access.teams ?? [] } } : {}),
      ...(v.locale ? { locale: v.locale as string } : {}),
      defaults: (v.defaults as DefaultRule[] | undefined) ?? [],
      databases: databases(v.databases),
    };
  }
  return {
    version: 1,
    locale: (raw.locale as string) ?? "en",
    onUnmaskedPii: (raw.onUnmaskedPii as "warn" | "fail") ?? "fail",
    leakScan: (raw.leakScan as MaskingPolicy["leakScan"] | undefined) ?? { mode: "exhaustive" },
    defaults: (raw.defaults as DefaultRule[] | undefined) ?? [],
    databases: databases(raw.databases),
    variants,
    origin,
  };
}
