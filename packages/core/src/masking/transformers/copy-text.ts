// PostgreSQL's COPY text format for one field, here so that the mapping workers can write the
// rows of a mapping table themselves (mapping-worker.ts) instead of the main thread.

/** One field of COPY's text format: backslash, tab, newline and carriage return escaped; NULL is \N. */
export function copyField(value: string | null): string {
  if (value === null) return "\\N";
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c]!) : value;
}
