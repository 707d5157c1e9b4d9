// Label/value lists shared by the version page's sections.
import { html, type SafeHtml } from "./html.js";
import { displayFields, humanizeKey, type DisplayValue } from "./redact.js";

export function definitionList(rows: Array<[string, SafeHtml | DisplayValue]>): SafeHtml {
  return html`<dl class="fields">${rows.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
}

export function fieldsAsRows(record: Record<string, unknown>): Array<[string, DisplayValue]> {
  return displayFields(record).map(([k, v]) => [humanizeKey(k), v]);
}
