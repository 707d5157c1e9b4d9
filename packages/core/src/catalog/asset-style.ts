// assets/catalog.css: screen and print styles. Unmasked versions are red on screen and carry a
// bordered, worded badge in print, so the warning survives a black-and-white PDF export.
export const CATALOG_STYLE = `:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #fff; --ok: #1a7f37; --bad: #b3261e; --warn: #9a6700; --link: #0550ae; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
a:focus-visible, input:focus-visible, select:focus-visible, main:focus-visible { outline: 3px solid #0969da; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: 8px; }
.skip:focus { left: 8px; z-index: 10; }
header.site { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 24px; padding: 10px 24px; border-bottom: 1px solid var(--line); background: #f6f8fa; }
header.site .brand { font-weight: 700; margin: 0; }
header.site .brand a { color: var(--fg); text-decoration: none; }
header.site nav ul { list-style: none; display: flex; gap: 16px; margin: 0; padding: 0; }
header.site nav a[aria-current="page"] { font-weight: 700; text-decoration: none; border-bottom: 3px solid var(--link); }
.chain { margin: 0 0 0 auto; padding: 4px 10px; border-radius: 6px; font-size: 14px; }
.chain-ok { background: #dafbe1; }
.chain-ok a { color: var(--ok); }
.chain-broken { background: #ffebe9; border: 2px solid var(--bad); font-weight: 600; }
.chain-broken a { color: var(--bad); }
main { padding: 16px 24px 40px; max-width: 1400px; }
h1 { font-size: 26px; margin: 8px 0 16px; }
h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.alert { border: 2px solid var(--bad); background: #ffebe9; padding: 8px 14px; border-radius: 6px; }
.alert h2 { border: 0; margin: 4px 0; color: var(--bad); }
.ok { color: var(--ok); font-weight: 600; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; margin: 12px 0; padding: 10px; background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; }
.filters label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); }
.filters input, .filters select { font: inherit; padding: 4px 6px; min-width: 140px; }
.filters output { font-size: 13px; color: var(--muted); }
table.data { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 14px; }
table.data caption { text-align: left; color: var(--muted); padding: 4px 0; caption-side: top; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
table.data thead th { background: #f6f8fa; position: sticky; top: 0; }
table.data tbody th { font-weight: 600; }
tr.row-unmasked { background: #fff1f0; }
tr.row-unmasked td:first-child { border-left: 5px solid var(--bad); }
tr.db-row { background: #f6f8fa; }
tr.alarm td, tr.alarm th { color: var(--bad); font-weight: 700; }
tr.status-breaks { background: #ffebe9; outline: 2px solid var(--bad); }
tr.status-unverified { color: var(--muted); background: #fff8c5; }
tr.status-verified .chain-cell { color: var(--ok); }
tr.status-breaks .chain-cell { color: var(--bad); font-weight: 700; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
h1 .badge { font-size: 14px; vertical-align: middle; }
.badge-masked { color: var(--ok); background: #dafbe1; }
.badge-masked-unscanned { color: var(--warn); background: #fff8c5; }
.badge-leak-hits, .badge-unmasked { color: #fff; background: var(--bad); border-color: var(--bad); }
.tag { display: inline-block; font-size: 12px; padding: 0 6px; border-radius: 4px; background: #ddf4ff; color: var(--link); }
.variant { font-size: 12px; color: var(--muted); }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.fields div { display: contents; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; }
ul.inline { display: inline; padding: 0; margin: 0; list-style: none; }
ul.inline li { display: inline; }
ul.inline li + li::before { content: ", "; }
.graph-scroll { overflow: auto; border: 1px solid var(--line); border-radius: 6px; max-height: 80vh; }
svg.lineage .lane-title { font-weight: 700; font-size: 14px; fill: var(--fg); }
svg.lineage .node rect { fill: #fff; stroke: #57606a; stroke-width: 1.5; }
svg.lineage .node-masked rect { fill: #dafbe1; stroke: var(--ok); }
svg.lineage .node-masked-unscanned rect { fill: #fff8c5; stroke: var(--warn); }
svg.lineage .node-unmasked rect, svg.lineage .node-leak-hits rect { fill: #ffebe9; stroke: var(--bad); stroke-width: 3; }
svg.lineage .node:focus rect, svg.lineage .node:hover rect { stroke: #0969da; stroke-width: 3; }
svg.lineage .node-version { font-size: 13px; font-weight: 600; fill: var(--fg); }
svg.lineage .node-sub { font-size: 11px; fill: var(--muted); }
svg.lineage .edge { fill: none; stroke: #57606a; stroke-width: 1.6; }
svg.lineage .edge-promoted { stroke-dasharray: 6 4; }
svg.lineage .arrow-head { fill: #57606a; }
.legend-unmasked { color: var(--bad); font-weight: 600; }
footer.site { padding: 12px 24px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); }
@media print {
  @page { margin: 14mm; }
  body { font-size: 10.5pt; }
  .skip, header.site nav, .filters, footer.site { display: none; }
  header.site { background: none; border: 0; padding: 0; }
  .chain { border: 1px solid #000; margin: 0; }
  main { padding: 0; max-width: none; }
  a { color: inherit; text-decoration: none; }
  table.data thead { display: table-header-group; }
  table.data thead th { position: static; }
  table.data tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .graph-scroll { overflow: visible; max-height: none; border: 0; }
  .badge-unmasked, .badge-leak-hits { color: #000; background: none; border: 2px solid #000; }
  tr.row-unmasked td:first-child { border-left: 5px solid #000; }
}
`;
