// audit.html: the audit trail, every line of the log with its chain status (verified, the line
// where the chain breaks, or unverified after it), filterable by image, actor, action and date.
import type { AuditRow } from "./audit-trail.js";
import type { CatalogData, CatalogVersion } from "./collect.js";
import { headerRow, html, safeHttpUrl, shortDigest, type SafeHtml } from "./html.js";
import { auditStatusLine, renderPage } from "./layout.js";
import { redactSecrets } from "./redact.js";

const STATUS_TEXT = { verified: "✓ verified", breaks: "✗ chain breaks here", unverified: "unverified (after the break)" } as const;

export function renderAudit(data: CatalogData): string {
  const { rows, verification } = data.audit;
  const pages = new Map<string, CatalogVersion>(data.versions.map((v) => [`${v.image.name}:${v.image.version}`, v]));
  const distinct = (pick: (r: AuditRow) => string | undefined): string[] =>
    [...new Set(rows.map(pick).filter((x): x is string => typeof x === "string" && x !== ""))].sort();
  const imageNames = distinct((r) => str(r.event?.image)?.split(/[:@]/)[0]);
  const body = html`
<h1>Audit trail</h1>
<section aria-labelledby="s-chain"><h2 id="s-chain">Chain verification</h2>
${auditStatusLine(data.audit, "")}
<p>${verificationText(verification)}</p>
</section>
<section aria-labelledby="s-events"><h2 id="s-events">Events</h2>
<form class="filters" role="search" data-filter-table="audit-table">
<label>Search <input type="search" data-filter="text" placeholder="detail, clone, digest"></label>
<label>Image <select data-filter="image" data-from-query="image"><option value="">all</option>${imageNames.map((n) => html`<option>${n}</option>`)}</select></label>
<label>Actor <select data-filter="actor"><option value="">all</option>${distinct((r) => str(r.event?.actor)).map((a) => html`<option>${redactSecrets(a)}</option>`)}</select></label>
<label>Action <select data-filter="action"><option value="">all</option>${distinct((r) => str(r.event?.action)).map((a) => html`<option>${a}</option>`)}</select></label>
<label>From <input type="date" data-filter="date-from"></label>
<label>To <input type="date" data-filter="date-to"></label>
<output data-filter-count aria-live="polite"></output>
</form>
<table id="audit-table" class="data audit">
<caption>${rows.length} lines of the audit log, oldest first</caption>
${headerRow(["Line", "Seq", "Time (UTC)", "Action", "Outcome", "Actor", "Image", "Digest", "Clone", "Run", "Detail", "Chain"])}
<tbody>
${rows.map((r) => auditRow(r, pages))}
</tbody>
</table>
</section>`;
  return renderPage(data, { title: "Audit trail", root: "", current: "audit", body });
}

function verificationText(v: CatalogData["audit"]["verification"]): string {
  if (v.ok) return `All ${v.events} events chain from the first to the head: none was edited, removed, inserted or reordered.`;
  const line = v.problem?.line ?? "?";
  return `Events up to ${v.events} chain correctly; from line ${line} on, the log cannot be trusted. Restore it from a copy and run \`dbclone audit verify\`.`;
}

function auditRow(r: AuditRow, pages: Map<string, CatalogVersion>): SafeHtml {
  const e = r.event ?? {};
  const image = str(e.image);
  const page = image ? pages.get(image) : undefined;
  const time = str(e.time) ?? "";
  const actor = str(e.actor);
  const run = safeHttpUrl(str(e.runUrl));
  const shownActor = actor ? redactSecrets(actor) : "";
  const digest = str(e.digest);
  const detail = str(e.detail);
  return html`<tr class="status-${r.status}" data-line="${r.line}" data-image="${image?.split(/[:@]/)[0] ?? ""}" data-actor="${shownActor}"
 data-action="${str(e.action) ?? ""}" data-date="${time.slice(0, 10)}">
<td>${r.line}</td><td>${num(e.seq)}</td><td>${time.replace("T", " ").replace(/\.\d+Z$/, "Z")}</td>
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
