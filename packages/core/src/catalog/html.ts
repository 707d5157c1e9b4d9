// Safe HTML building for the catalog: every interpolated value is escaped unless it is already
// SafeHtml, so a hostile manifest string (label, description, rule field) can never become markup.

export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = SafeHtml | string | number | boolean | null | undefined | readonly Part[];

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

/** Escape text for element content and quoted attribute values. */
const SPECIAL = /[&<>"'`]/;

export function escapeHtml(value: string): string {
  // Most values (versions, digests, counts) hold nothing to escape: skip the replace for them.
  if (!SPECIAL.test(value)) return value;
  return value.replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);
}

// Plain loops and string appends: a 10,000-event audit page renders 100,000+ values.
function render(part: Part): string {
  if (typeof part === "string") return escapeHtml(part);
  if (part instanceof SafeHtml) return part.text;
  if (part === null || part === undefined || part === false) return "";
  if (Array.isArray(part)) {
    let out = "";
    for (const p of part as readonly Part[]) out += render(p);
    return out;
  }
  return escapeHtml(String(part));
}

/** Tagged template: `html\`<td>${value}</td>\`` escapes `value`; nested html`` stays markup. */
export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** 1234567 → "1,234,567" (toLocaleString goes through ICU and costs far more). */
export function groupDigits(n: number): string {
  if (!Number.isInteger(n)) return String(n);
  const s = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return n < 0 ? `-${s}` : s;
}

/** Only http(s) links become hrefs: a manifest's `javascript:` or `data:` URL stays plain text. */
export function safeHttpUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const u = new URL(value);
    if (u.protocol !== "https:" && u.protocol !== "http:") return undefined;
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return undefined;
  }
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** A table header row of column headings. */
export function headerRow(labels: string[]): SafeHtml {
  return html`<thead><tr>${labels.map((l) => html`<th scope="col">${l}</th>`)}</tr></thead>`;
}

export const shortDigest = (d: string | undefined): string => (d ? `${d.slice(0, 19)}…` : "-");
