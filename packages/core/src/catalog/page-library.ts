// index.html: every image and version in one table, unmasked versions flagged loudly, with a
// search box and filters (plain JS in assets/catalog.js works on the data-* attributes).
import type { CatalogData, CatalogVersion, MaskingState } from "./collect.js";
import { formatBytes, headerRow, html, type SafeHtml } from "./html.js";
import { renderPage } from "./layout.js";
import { parentsOf } from "./lineage-graph.js";
import { redactSecrets } from "./redact.js";

export const MASKING_LABELS: Record<MaskingState, string> = {
  masked: "Masked, leak scan clean",
  "masked-unscanned": "Masked, leak scan not run",
  "leak-hits": "Masked, LEAK SCAN HITS",
  unmasked: "UNMASKED",
};

export function maskingBadge(state: MaskingState): SafeHtml {
  return html`<span class="badge badge-${state}">${state === "unmasked" ? html`<span aria-hidden="true">⚠ </span>` : ""}${MASKING_LABELS[state]}</span>`;
}

export function renderLibrary(data: CatalogData): string {
  const names = [...new Set(data.versions.map((v) => v.image.name))];
  const engines = [...new Set(data.versions.map((v) => v.image.manifest.engine.kind))].sort();
  const byDigest = new Map(data.versions.map((v) => [v.image.manifestDigest, v]));
  const unmasked = data.versions.filter((v) => v.masking === "unmasked");
  const body = html`
<h1>Image library</h1>
${maskingSummary(data.versions, unmasked)}
<p>${names.length} images, ${data.versions.length} versions.</p>
<form class="filters" role="search" data-filter-table="library-table">
<label>Search <input type="search" data-filter="text" placeholder="name, version, tag, actor, label"></label>
<label>Image <select data-filter="image"><option value="">all</option>${names.map((n) => html`<option>${n}</option>`)}</select></label>
<label>Engine <select data-filter="engine"><option value="">all</option>${engines.map((e) => html`<option>${e}</option>`)}</select></label>
<label>Masking <select data-filter="masking"><option value="">all</option>
${Object.entries(MASKING_LABELS).map(([k, l]) => html`<option value="${k}">${l}</option>`)}</select></label>
<output data-filter-count aria-live="polite"></output>
</form>
<table id="library-table" class="data">
<caption>Every published version, grouped by image, oldest first</caption>
${headerRow(["Image", "Version", "Tags", "Masking", "Engine", "Size (disk / virtual)", "Built", "By", "Made from"])}
<tbody>
${data.versions.map((v) => libraryRow(v, byDigest))}
</tbody>
</table>`;
  return renderPage(data, { title: "Library", root: "", current: "library", body });
}

function maskingSummary(versions: CatalogVersion[], unmasked: CatalogVersion[]): SafeHtml {
  if (!versions.length) return html`<p>No version has been published to this repository yet.</p>`;
  if (!unmasked.length) return html`<p class="ok">Every version is masked.</p>`;
  const items = unmasked.map((v) => html`<li><a href="${v.page}">${v.image.name}:${v.image.version}</a></li>`);
  return html`<div class="alert" role="alert"><h2>${unmasked.length} unmasked version${unmasked.length === 1 ? "" : "s"}</h2>
<p>These versions hold data exactly as the source had it:</p><ul>${items}</ul></div>`;
}

function libraryRow(v: CatalogVersion, byDigest: Map<string, CatalogVersion>): SafeHtml {
  const m = v.image.manifest;
  const search = [v.image.name, v.image.version, ...v.tags, m.build.actor ?? "", m.masking?.variant ?? "", ...Object.entries(m.labels).flat()];
  return html`<tr class="row-${v.masking}" data-image="${v.image.name}" data-engine="${m.engine.kind}" data-masking="${v.masking}"
 data-search="${redactSecrets(search.join(" ")).toLowerCase()}">
<td>${v.image.name}</td>
<th scope="row"><a href="${v.page}">${v.image.version}</a></th>
<td>${v.tags.map((t) => html`<span class="tag">${t}</span> `)}</td>
<td>${maskingBadge(v.masking)}${m.masking?.variant ? html` <span class="variant">variant ${m.masking.variant}</span>` : ""}</td>
<td>${m.engine.kind} ${m.engine.version}</td>
<td>${formatBytes(m.disk.sizeBytes)} / ${formatBytes(m.disk.virtualSizeBytes)}</td>
<td><time datetime="${m.created}">${m.created.replace("T", " ").slice(0, 16)}</time></td>
<td>${m.build.actor ? redactSecrets(m.build.actor) : "-"}</td>
<td>${derivedFrom(v, byDigest, "")}</td>
</tr>`;
}

/** The versions `v` was made from (layer parent, flattened promote), as links; "-" for a base. */
export function derivedFrom(v: CatalogVersion, byDigest: Map<string, CatalogVersion>, root: string): SafeHtml | string {
  const parents = parentsOf(v);
  if (!parents.length) return "-";
  return html`${parents.map((p, i) => {
    const found = byDigest.get(p.digest);
    const how = p.kind === "layer" ? "layer on" : "promoted from";
    const target = found
      ? html`<a href="${root}${found.page}">${found.image.name}:${found.image.version}</a>`
      : html`<code>${p.digest.slice(0, 19)}…</code> (not in this repository)`;
    return html`${i ? "; " : ""}${how} ${target}`;
  })}`;
}
