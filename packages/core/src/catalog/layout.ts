// The frame every catalog page shares: navigation, the audit chain's status line, and the footer.
import type { AuditChain, AuditTrail } from "./audit-trail.js";
import type { CatalogData } from "./collect.js";
import { html, type SafeHtml } from "./html.js";
import { redactSecrets } from "./redact.js";

export type NavPage = "library" | "lineage" | "audit" | "version";

export interface PageFrame {
  title: string;
  /** "" for pages at the site root, "../" for pages one folder down. */
  root: string;
  current: NavPage;
  body: SafeHtml;
}

export function renderPage(data: CatalogData, frame: PageFrame): string {
  const { root, current } = frame;
  const link = (page: NavPage, href: string, label: string): SafeHtml =>
    html`<li><a href="${root}${href}"${current === page ? html` aria-current="page"` : ""}>${label}</a></li>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<title>${frame.title} · dbclone image library</title>
<link rel="stylesheet" href="${root}assets/catalog.css">
<script src="${root}assets/catalog.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<p class="brand"><a href="${root}index.html">dbclone image library</a></p>
<nav aria-label="Catalog"><ul>
${link("library", "index.html", "Library")}${link("lineage", "lineage.html", "Lineage")}${link("audit", "audit.html", "Audit trail")}
</ul></nav>
${auditStatusLine(data.audit, root)}
</header>
<main id="main" tabindex="-1">
${frame.body}
</main>
<footer class="site">
<p>Repository <code>${redactSecrets(data.location)}</code> · generated ${data.generatedAt} · ${data.versions.length} versions · static pages, no server</p>
</footer>
</body>
</html>
`.text;
}

/** One line on every page: how far each audit chain verifies and where it is anchored, or the exact line where one breaks. */
export function auditStatusLine(audit: AuditTrail, root: string): SafeHtml {
  const { chains } = audit;
  const broken = chains.find((c) => !c.ok);
  if (broken) {
    const line = broken.problem?.line;
    const others = chains.filter((c) => !c.ok).length - 1;
    const of = chains.length > 1 ? html` (${broken.label})` : "";
    return html`<p class="chain chain-broken" role="alert" data-chain="broken" data-broken-line="${line ?? ""}" data-broken-chain="${broken.id}">
<a href="${root}audit.html">Audit chain BROKEN at line ${line ?? "?"}</a>${of}: ${redactSecrets(broken.problem?.reason ?? "unknown problem")}. Verified up to event ${broken.verifiedEvents}.${
      others > 0 ? html` ${others} more chain(s) break too.` : ""
    }</p>`;
  }
  if (chains.length === 0)
    return html`<p class="chain chain-ok" role="status" data-chain="ok"><a href="${root}audit.html">No audit events recorded yet</a></p>`;
  if (chains.length === 1) {
    const c = chains[0]!;
    return html`<p class="chain chain-ok" role="status" data-chain="ok"><a href="${root}audit.html">Audit chain verified up to event ${c.verifiedEvents}</a>${anchorText(c)}</p>`;
  }
  const shown = chains.slice(0, MAX_CHAINS_IN_HEADER);
  const more = chains.length - shown.length;
  return html`<p class="chain chain-ok" role="status" data-chain="ok"><a href="${root}audit.html">Audit chains of ${chains.length} runners verified</a>: ${shown.map(
    (c, i) => html`${i ? "; " : ""}${c.label} up to event ${c.verifiedEvents}${anchorText(c)}`,
  )}${more > 0 ? html`; and ${more} more` : ""}</p>`;
}

const MAX_CHAINS_IN_HEADER = 6;

/** ", anchored at <source> on <time>" for an anchor that holds (and which event it vouches for when older than the head). */
export function anchorText(c: AuditChain, lead = ", anchored at "): SafeHtml | string {
  const a = c.anchor;
  if (!a?.ok) return "";
  const upTo = a.seq !== c.verifiedEvents ? html` (event ${a.seq})` : "";
  return html`${lead}<code>${redactSecrets(a.source).slice(0, 200)}</code>${upTo} on ${readableTime(a.time)}`;
}

export function readableTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}
