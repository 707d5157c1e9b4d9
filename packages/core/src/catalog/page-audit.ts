// audit.html: the audit trail, every line of every chain (the log; with an OCI repository each
// runner's chain from the registry) with its status (verified, the line where the chain or its
// anchor says it breaks, or unverified), filterable by runner, image, actor, action and date.
import type { AuditChain, AuditRow } from "./audit-trail.js";
import type { CatalogData, CatalogVersion } from "./collect.js";
import { headerRow, html, safeHttpUrl, shortDigest, type SafeHtml } from "./html.js";
import { anchorText, auditStatusLine, readableTime, renderPage } from "./layout.js";
import { redactSecrets } from "./redact.js";

const STATUS_TEXT = { verified: "✓ verified", breaks: "✗ chain breaks here", unverified: "unverified" } as const;

export function renderAudit(data: CatalogData): string {
  const { rows, chains } = data.audit;
  const labels = new Map(chains.map((c) => [c.id, c.label]));
  // One chain (a directory repository's log): no runner column or filter to repeat on every row.
  const many = chains.length > 1;
  const pages = new Map<string, CatalogVersion>(data.versions.map((v) => [`${v.image.name}:${v.image.version}`, v]));
  const distinct = (pick: (r: AuditRow) => string | undefined): string[] =>
    [...new Set(rows.map(pick).filter((x): x is string => typeof x === "string" && x !== ""))].sort();
  const imageNames = distinct((r) => str(r.event?.image)?.split(/[:@]/)[0]);
  const body = html`
<h1>Audit trail</h1>
<section aria-labelledby="s-chain"><h2 id="s-chain">Chain verification</h2>
${auditStatusLine(data.audit, "")}
<table id="chain-table" class="data chains">
<caption>${chains.length} audit chain(s), each checked from its first event and against its newest anchor</caption>
${headerRow(["Chain", "Read from", "Events", "Verification", "Anchor"])}
<tbody>
${chains.map(chainRow)}
</tbody>
</table>
</section>
<section aria-labelledby="s-events"><h2 id="s-events">Events</h2>
<form class="filters" role="search" data-filter-table="audit-table">
<label>Search <input type="search" data-filter="text" placeholder="detail, clone, digest"></label>
${many ? html`<label>Runner <select data-filter="runner"><option value="">all</option>${chains.map((c) => html`<option value="${c.id}">${c.label}</option>`)}</select></label>` : ""}
<label>Image <select data-filter="image" data-from-query="image"><option value="">all</option>${imageNames.map((n) => html`<option>${n}</option>`)}</select></label>
<label>Actor <select data-filter="actor"><option value="">all</option>${distinct((r) => str(r.event?.actor)).map((a) => html`<option>${redactSecrets(a)}</option>`)}</select></label>
<label>Action <select data-filter="action"><option value="">all</option>${distinct((r) => str(r.event?.action)).map((a) => html`<option>${a}</option>`)}</select></label>
<label>From <input type="date" data-filter="date-from"></label>
<label>To <input type="date" data-filter="date-to"></label>
<output data-filter-count aria-live="polite"></output>
</form>
<table id="audit-table" class="data audit">
<caption>${rows.length} lines of ${chains.length > 1 ? `${chains.length} audit chains` : "the audit log"}, oldest first per chain</caption>
${headerRow([...(many ? ["Runner"] : []), "Line", "Seq", "Time (UTC)", "Action", "Outcome", "Actor", "Image", "Digest", "Clone", "Run", "Detail", "Chain"])}
<tbody>
${rows.map((r) => auditRow(r, pages, many ? (labels.get(r.chain) ?? r.chain) : undefined))}
</tbody>
</table>
</section>`;
  return renderPage(data, { title: "Audit trail", root: "", current: "audit", body });
}

function chainRow(c: AuditChain): SafeHtml {
  const verdict = c.ok
    ? html`✓ verified up to event ${c.verifiedEvents}${c.repairs ? html` (${c.repairs} torn tail(s) repaired)` : ""}`
    : html`<strong>✗ breaks at line ${c.problem?.line ?? "?"}</strong>: ${redactSecrets(c.problem?.reason ?? "")}. Verified up to event ${c.verifiedEvents}; restore it from a copy and run <code>dbclone audit --verify</code>.`;
  const anchor = !c.anchor
    ? "none (dbclone audit anchor --git DIR or --oci writes one)"
    : c.anchor.ok
      ? html`✓ ${anchorText(c, "anchored at ")}`
      : html`<strong>✗ ${redactSecrets(c.anchor.source)}</strong>${c.anchor.time ? html` (${readableTime(c.anchor.time)}, event ${c.anchor.seq})` : ""}: ${redactSecrets(c.anchor.problem ?? "")}`;
  return html`<tr class="${c.ok ? "status-verified" : "status-breaks"}" data-chain-id="${c.id}" data-chain-ok="${String(c.ok)}">
<th scope="row">${c.label}</th><td><code>${redactSecrets(c.source)}</code></td><td>${c.events}</td><td>${verdict}</td><td>${anchor}</td></tr>`;
}

function auditRow(r: AuditRow, pages: Map<string, CatalogVersion>, chainLabel: string | undefined): SafeHtml {
  const e = r.event ?? {};
  const image = str(e.image);
  const page = image ? pages.get(image) : undefined;
  const time = str(e.time) ?? "";
  const actor = str(e.actor);
  const run = safeHttpUrl(str(e.runUrl));
  const shownActor = actor ? redactSecrets(actor) : "";
  const digest = str(e.digest);
  const detail = str(e.detail);
  return html`<tr class="status-${r.status}"${chainLabel === undefined ? "" : html` data-runner="${r.chain}"`} data-line="${r.line}" data-image="${image?.split(/[:@]/)[0] ?? ""}" data-actor="${shownActor}"
 data-action="${str(e.action) ?? ""}" data-date="${time.slice(0, 10)}">
${chainLabel === undefined ? "" : html`<td>${chainLabel}</td>`}<td>${r.line}</td><td>${num(e.seq)}</td><td>${time.replace("T", " ").replace(/\.\d+Z$/, "Z")}</td>
<td>${str(e.action) ?? (r.event ? "-" : "(unreadable line)")}</td><td>${str(e.outcome) ?? "-"}</td><td>${shownActor || "-"}</td>
<td>${page ? html`<a href="${page.page}">${image}</a>` : (image ?? "-")}</td>
<td>${digest ? html`<code>${shortDigest(digest)}</code>` : "-"}</td><td>${str(e.clone) ?? "-"}</td>
<td>${run ? html`<a href="${run}" rel="noreferrer noopener">run</a>` : "-"}</td><td>${detail ? redactSecrets(detail) : ""}</td>
<td class="chain-cell">${STATUS_TEXT[r.status]}</td>
</tr>`;
}

/** Audit lines are data: only strings are shown as strings, anything else as nothing. */
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): string => (typeof v === "number" ? String(v) : "-");
