// The frame every catalog page shares: navigation, the audit chain's status line, and the footer.
import type { AuditTrail } from "./audit-trail.js";
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

/** One line on every page: how far the audit chain verifies, or the exact line where it breaks. */
export function auditStatusLine(audit: AuditTrail, root: string): SafeHtml {
  const v = audit.verification;
  if (v.ok) {
    const link = html`<a href="${root}audit.html">Audit chain verified up to event ${v.events}</a>`;
    return html`<p class="chain chain-ok" role="status" data-chain="ok">${link}${anchorText(audit)}</p>`;
  }
  const reason = v.problem?.reason ?? "unknown problem";
  const line = v.problem?.line;
  return html`<p class="chain chain-broken" role="alert" data-chain="broken" data-broken-line="${line ?? ""}">
<a href="${root}audit.html">Audit chain BROKEN at line ${line ?? "?"}</a>: ${redactSecrets(reason)}. Verified up to event ${v.events}.</p>`;
}

function anchorText(audit: AuditTrail): SafeHtml | string {
  const anchor = audit.verificationExtras.anchor ?? audit.verificationExtras.anchoredAt;
  if (anchor === undefined) return "";
  const text = typeof anchor === "string" ? anchor : JSON.stringify(anchor);
  return html`, anchored at <code>${redactSecrets(text).slice(0, 200)}</code>`;
}
