// What the catalog may show of a manifest's free-form strings and records: passwords in
// connection strings are cut out, and fields that could hold sampled data values are withheld.
// Manifests are written by builds, but the catalog treats them as hostile input all the same.

const REDACTED = "***";
const MAY_HOLD_SECRET = /pass|pwd|secret|token|api[_-]?key/i;

/** Field names whose value is a secret or may be a data value (samples, originals, previews). */
const WITHHELD_KEY = /pass(word|wd)?|pwd|secret|token|credential|api[-_]?key|private|sample|example|original|preview|before|after|plaintext|^values?$/i;

/**
 * Remove passwords from any connection string inside `text`: URL user-info
 * (`postgres://u:p@h` → `postgres://u:***@h`), `password=` query parameters and key=value
 * pairs (libpq `password=…`, ADO `Password=…;`, `PWD=…`).
 */
export function redactSecrets(text: string): string {
  // Cheap pre-checks: the full patterns only run on text that could hold a secret at all.
  if (!text.includes("://") && !MAY_HOLD_SECRET.test(text)) return text;
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*):[^\s@/]*@/gi, `$1:${REDACTED}@`)
    .replace(/([?&;\s]|^)(password|passwd|pwd|pass|secret|token|access[_-]?token|api[_-]?key)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,]*)/gi, `$1$2$3${REDACTED}`);
}

/** Counts (`sampleSize`, `sampledRows`, a number of `values`) are figures, not data: those stay visible. */
const FIGURE_KEY = /(count|size|rows|bytes|seconds)$|^values$/i;

export function isWithheldKey(key: string, value?: unknown): boolean {
  if (typeof value === "number" && FIGURE_KEY.test(key)) return false;
  return WITHHELD_KEY.test(key);
}

export type DisplayValue = string | number | boolean;

/**
 * A record (rule, PII finding, leak-scan section, future field) as label → display value:
 * numbers and booleans as they are, strings redacted, nested values summarised by their size,
 * withheld keys named but never shown.
 */
export function displayFields(record: Record<string, unknown>): Array<[string, DisplayValue]> {
  const out: Array<[string, DisplayValue]> = [];
  for (const [key, value] of Object.entries(record)) {
    if (isWithheldKey(key, value)) {
      out.push([key, "(withheld: may hold a secret or a data value)"]);
      continue;
    }
    out.push([key, displayValue(value)]);
  }
  return out;
}

function displayValue(value: unknown): DisplayValue {
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "string") return redactSecrets(value);
  if (value === null || value === undefined) return "-";
  if (Array.isArray(value)) {
    // Short lists of plain words (kinds, reasons) are shown; anything else only by its length.
    if (value.length <= 12 && value.every((v) => typeof v === "string" || typeof v === "number")) {
      return value.map((v) => redactSecrets(String(v))).join(", ");
    }
    // Lists of records (copies by column, findings): each as "key: value; …", never their raw values.
    if (value.length <= 50 && value.every((v) => v !== null && typeof v === "object" && !Array.isArray(v))) {
      return value
        .map((v) =>
          displayFields(v as Record<string, unknown>)
            .map(([k, x]) => `${k}: ${x}`)
            .join("; "),
        )
        .join(" | ");
    }
    return `${value.length} item${value.length === 1 ? "" : "s"}`;
  }
  if (typeof value === "object") {
    const fields = displayFields(value as Record<string, unknown>);
    return fields.map(([k, v]) => `${k}: ${v}`).join("; ");
  }
  return "-";
}

/** "bytesScanned" → "bytes scanned" for labels of fields the catalog does not know by name. */
export function humanizeKey(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .toLowerCase();
}
