// The masking evidence of a version page: policy digest, the rules applied per column, the PII
// scan's findings and the leak scan's figures. Sections render whatever fields the manifest has,
// known ones under their own names and newer ones generically, never a sampled value.
import type { ImageManifest } from "../image/manifest.js";
import { groupDigits, html, type SafeHtml } from "./html.js";
import { definitionList, fieldsAsRows } from "./definition-list.js";
import { displayFields, humanizeKey, isWithheldKey, type DisplayValue } from "./redact.js";

const RULE_COLUMNS = ["database", "table", "column", "transformer", "family", "origin", "distinctValues"];
const PII_CAPTION = "Columns the PII scan flagged (names, types and reasons only; sampled values are never recorded here)";
const PII_COLUMNS = ["database", "schema", "table", "column", "type", "kinds", "reasons"];

/** Leak-scan figures under the names a compliance reviewer knows them by. */
const LEAK_LABELS: Record<string, string> = {
  probes: "Values searched",
  valuesSearched: "Values searched",
  searched: "Values searched",
  excluded: "Values excluded",
  valuesExcluded: "Values excluded",
  hits: "Hits",
  explained: "Hits explained by published data",
  hitsExplained: "Hits explained by published data",
  copies: "Copies in unmasked columns",
  bytesScanned: "Bytes scanned",
};

export function maskingSection(m: ImageManifest): SafeHtml {
  const k = m.masking;
  if (!k) {
    return html`<section aria-labelledby="s-masking"><h2 id="s-masking">Masking</h2>
<p class="alert">No masking policy was applied: this version is <strong>UNMASKED</strong>.</p></section>`;
  }
  const { policyDigest, variant, rules, rowsChanged, scan, leakScan: _leak, ...rest } = k as typeof k & Record<string, unknown>;
  const { piiCandidates: _pii, ...scanRest } = (scan ?? {}) as Record<string, unknown>;
  return html`<section aria-labelledby="s-masking"><h2 id="s-masking">Masking</h2>
${definitionList([
  ["Policy digest", html`<code>${policyDigest}</code>`],
  ["Variant", variant ?? "default"],
  ["Rows changed", rowsChanged],
  ...displayFields(rest).map(([key, v]): [string, DisplayValue] => [humanizeKey(key), v]),
])}
<h3 id="s-rules">Rules applied per column</h3>
${recordTable(rules, RULE_COLUMNS, "Masking rules applied, one row per column", "No column rules (the policy masked nothing).")}
<h3 id="s-pii">PII scan findings</h3>
${Object.keys(scanRest).length ? definitionList(fieldsAsRows(scanRest)) : ""}
${scan ? recordTable(scan.piiCandidates, PII_COLUMNS, PII_CAPTION, "The PII scan found no unmasked candidates.") : html`<p>No PII scan was recorded.</p>`}
</section>`;
}

export function leakScanSection(m: ImageManifest): SafeHtml {
  const scan = m.masking?.leakScan as Record<string, unknown> | undefined;
  const notRun = m.labels["dbclone.leak-scan"];
  let content: SafeHtml;
  if (!scan) {
    content = html`<p>${m.masking ? `No leak scan was recorded${notRun ? ` (${notRun})` : ""}.` : "Unmasked versions are not leak-scanned."}</p>`;
  } else {
    content = html`<table class="data leak-scan"><caption>Raw-byte scan of the published disk for the original values of masked columns</caption>
<thead><tr><th scope="col">Figure</th><th scope="col">Value</th></tr></thead>
<tbody>${Object.entries(scan).map(([key, value]) => leakRow(key, value))}</tbody></table>`;
  }
  return html`<section aria-labelledby="s-leak"><h2 id="s-leak">Leak scan</h2>${content}</section>`;
}

function leakRow(key: string, value: unknown): SafeHtml {
  const shown = isWithheldKey(key, value) ? "(withheld)" : displayFields({ [key]: value })[0]![1];
  const alarm = (key === "hits" || key === "copies") && typeof value === "number" && value > 0;
  const label = LEAK_LABELS[key] ?? humanizeKey(key);
  const text = typeof shown === "number" ? groupDigits(shown) : shown;
  return html`<tr data-leak-field="${key}"${alarm ? html` class="alarm"` : ""}><th scope="row">${label}</th><td>${text}</td></tr>`;
}

/** Records as a table: the known columns first, then whatever else any record carries. */
function recordTable(records: Array<Record<string, unknown>>, known: string[], caption: string, empty: string): SafeHtml {
  if (!records.length) return html`<p>${empty}</p>`;
  const extra = [...new Set(records.flatMap((r) => Object.keys(r)))].filter((k) => !known.includes(k));
  const columns = [...known.filter((k) => records.some((r) => k in r)), ...extra];
  return html`<table class="data"><caption>${caption}</caption>
<thead><tr>${columns.map((c) => html`<th scope="col">${humanizeKey(c)}</th>`)}</tr></thead>
<tbody>${records.map((r) => {
    const cells = new Map(displayFields(r));
    return html`<tr>${columns.map((c) => html`<td>${cells.has(c) ? cells.get(c) : ""}</td>`)}</tr>`;
  })}</tbody></table>`;
}
