// versions/<name>@<version>.html: one manifest in readable form. Every string is escaped and
// passed through redactSecrets; record fields a newer build adds are shown generically, and
// fields that could hold data values (samples, previews) are withheld by name.
import type { ImageManifest } from "../image/manifest.js";
import type { CatalogData, CatalogVersion } from "./collect.js";
import { formatBytes, headerRow, html, safeHttpUrl, shortDigest, type SafeHtml } from "./html.js";
import { renderPage } from "./layout.js";
import { derivedFrom, maskingBadge } from "./page-library.js";
import { definitionList, fieldsAsRows } from "./definition-list.js";
import { parentsOf } from "./lineage-graph.js";
import { redactSecrets } from "./redact.js";
import { leakScanSection, maskingSection } from "./version-masking.js";

const KNOWN_TOP_LEVEL = new Set([
  "schemaVersion",
  "name",
  "version",
  "created",
  "engine",
  "platform",
  "databases",
  "disk",
  "parent",
  "source",
  "masking",
  "git",
  "build",
  "access",
  "labels",
]);

/** Versions by manifest digest, and the versions made from each (computed once per site). */
const UNMASKED_ALERT = html`<div class="alert" role="alert"><p><strong>This version is not masked.</strong>
It holds the source's data as it was; share it only where the source itself may go.</p></div>`;

export interface VersionLinks {
  byDigest: Map<string, CatalogVersion>;
  children: Map<string, CatalogVersion[]>;
}

export function versionLinks(versions: CatalogVersion[]): VersionLinks {
  const byDigest = new Map(versions.map((v) => [v.image.manifestDigest, v]));
  const children = new Map<string, CatalogVersion[]>();
  for (const c of versions) {
    for (const p of parentsOf(c)) children.set(p.digest, [...(children.get(p.digest) ?? []), c]);
  }
  return { byDigest, children };
}

export function renderVersion(data: CatalogData, v: CatalogVersion, links: VersionLinks): string {
  const { byDigest } = links;
  const m = v.image.manifest;
  const label = `${v.image.name}:${v.image.version}`;
  const children = links.children.get(v.image.manifestDigest) ?? [];
  const body = html`
<h1>${label} ${maskingBadge(v.masking)}</h1>
${v.masking === "unmasked" ? UNMASKED_ALERT : ""}
<section aria-labelledby="s-summary"><h2 id="s-summary">Summary</h2>
${definitionList([
  ["Image id (manifest digest)", html`<code>${v.image.manifestDigest}</code>`],
  ["Created", m.created],
  ["Tags", v.tags.length ? v.tags.join(", ") : "-"],
  ["Engine", `${m.engine.kind} ${m.engine.version}`],
  ["Platform", `${m.platform.os}, ${m.platform.diskFormat}${m.platform.filesystem ? `, ${m.platform.filesystem}` : ""}`],
  ["Disk", html`${formatBytes(m.disk.sizeBytes)} blob, ${formatBytes(m.disk.virtualSizeBytes)} virtual · <code>${shortDigest(m.disk.digest)}</code>`],
  ["Made from", m.parent || m.labels["dbclone.promoted-from"] ? derivedFrom(v, byDigest, "../") : "nothing (a base version)"],
  ["Children", children.length ? html`${children.map((c, i) => html`${i ? ", " : ""}<a href="../${c.page}">${c.image.name}:${c.image.version}</a>`)}` : "none"],
])}
</section>
<section aria-labelledby="s-source"><h2 id="s-source">Source</h2>
${definitionList([
  ["Kind", m.source.kind],
  ["Description", redactSecrets(m.source.description)],
  ["Captured", m.source.capturedAt],
  ...(m.source.backupChain ? fieldsAsRows(m.source.backupChain) : []),
])}
</section>
${databasesSection(m)}
${maskingSection(m)}
${leakScanSection(m)}
${accessSection(m)}
${buildSection(m)}
${labelsSection(m)}
${otherFieldsSection(m)}
<p><a href="../audit.html?image=${encodeURIComponent(label)}">Audit events of ${label}</a> ·
<a href="../lineage.html#node-${v.image.manifestDigest.slice(7, 19)}">Lineage</a></p>`;
  return renderPage(data, { title: label, root: "../", current: "version", body });
}

function databasesSection(m: ImageManifest): SafeHtml {
  return html`<section aria-labelledby="s-databases"><h2 id="s-databases">Databases</h2>
<table class="data"><caption>Databases and tables in this image (sizes from the build's inventory)</caption>
<thead><tr><th scope="col">Database</th><th scope="col">Table</th><th scope="col">Rows (estimate)</th><th scope="col">Size</th><th scope="col">Columns</th></tr></thead>
<tbody>${m.databases.map(
    (d) => html`<tr class="db-row"><th scope="row">${d.name}</th><td>${d.tables.length} tables</td><td></td><td>${formatBytes(d.sizeBytes)}</td><td></td></tr>
${d.tables.map(
  (t) => html`<tr><td>${d.name}</td><td>${t.schema}.${t.name}</td><td>${t.rowEstimate}</td><td>${formatBytes(t.sizeBytes)}</td>
<td>${t.columns.map((c) => c.name).join(", ")}</td></tr>`,
)}`,
  )}</tbody></table>
</section>`;
}

function accessSection(m: ImageManifest): SafeHtml {
  const a = m.access;
  const list = (items: string[]): SafeHtml | string =>
    items.length ? html`<ul class="inline">${items.map((i) => html`<li>${redactSecrets(i)}</li>`)}</ul>` : "none";
  return html`<section aria-labelledby="s-access"><h2 id="s-access">Access</h2>
${
  a && (a.users.length || a.teams.length)
    ? definitionList([
        ["Users", list(a.users)],
        ["Teams", list(a.teams)],
      ])
    : html`<p>No access list: anyone who can read the repository may clone this version.</p>`
}
</section>`;
}

function buildSection(m: ImageManifest): SafeHtml {
  const run = safeHttpUrl(m.build.runUrl);
  return html`<section aria-labelledby="s-build"><h2 id="s-build">Build and git</h2>
${definitionList([
  ["Built by", m.build.actor ? redactSecrets(m.build.actor) : "-"],
  ["Started", m.build.startedAt],
  ["Finished", m.build.finishedAt],
  ["Tool version", redactSecrets(m.build.toolVersion)],
  ["Run", run ? html`<a href="${run}" rel="noreferrer noopener">${run}</a>` : m.build.runUrl ? redactSecrets(m.build.runUrl) : "-"],
  ["Git repository", m.git?.repository ? redactSecrets(m.git.repository) : "-"],
  ["Commit", m.git?.commit ? html`<code>${m.git.commit}</code>` : "-"],
  ["Ref", m.git?.ref ?? "-"],
  ["Git tag", m.git?.tag ?? "-"],
])}
</section>`;
}

function labelsSection(m: ImageManifest): SafeHtml {
  const entries = Object.entries(m.labels);
  return html`<section aria-labelledby="s-labels"><h2 id="s-labels">Labels</h2>
${
  entries.length
    ? html`<table class="data">${headerRow(["Label", "Value"])}
<tbody>${entries.map(([k, val]) => html`<tr><th scope="row">${k}</th><td>${redactSecrets(val)}</td></tr>`)}</tbody></table>`
    : html`<p>No labels.</p>`
}
</section>`;
}

function otherFieldsSection(m: ImageManifest): SafeHtml | string {
  const extra = Object.fromEntries(Object.entries(m as Record<string, unknown>).filter(([k]) => !KNOWN_TOP_LEVEL.has(k)));
  if (!Object.keys(extra).length) return "";
  return html`<section aria-labelledby="s-other"><h2 id="s-other">Other fields</h2>${definitionList(fieldsAsRows(extra))}</section>`;
}
