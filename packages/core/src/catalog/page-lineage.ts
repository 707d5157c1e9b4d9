// lineage.html: the lineage graph as an inline SVG (no script needed to draw it), each node a
// link to its version page, plus the same edges as a table for screen readers and print.
import type { CatalogData } from "./collect.js";
import { html, type SafeHtml } from "./html.js";
import { renderPage } from "./layout.js";
import { buildLineage, type LineageEdge, type LineageGraph, type LineageNode } from "./lineage-graph.js";
import { MASKING_LABELS } from "./page-library.js";

const LANE_WIDTH = 210;
const NODE_WIDTH = 170;
const NODE_HEIGHT = 40;
const ROW_HEIGHT = 64;
const TOP = 48;
const LEFT = 20;

const nodeX = (n: LineageNode): number => LEFT + n.lane * LANE_WIDTH;
const nodeY = (n: LineageNode): number => TOP + n.row * ROW_HEIGHT;
const label = (n: LineageNode): string => `${n.version.image.name}:${n.version.image.version}`;

export function renderLineage(data: CatalogData): string {
  const graph = buildLineage(data.versions);
  const body = html`
<h1>Lineage</h1>
<p>One column per image, oldest at the top. An arrow runs from a version to the version made from it:
solid for a layer (the child's disk layers on its parent's), dashed for a flattened promote.
<span class="legend legend-unmasked">Red outline</span>: unmasked. Select a version to open its page.</p>
${graph.nodes.length ? lineageSvg(graph) : html`<p>No versions yet.</p>`}
<h2 id="edges">Derivations</h2>
${graph.edges.length ? edgeTable(graph.edges) : html`<p>No version derives from another (no promoted or layered versions).</p>`}`;
  return renderPage(data, { title: "Lineage", root: "", current: "lineage", body });
}

function lineageSvg(g: LineageGraph): SafeHtml {
  const width = LEFT * 2 + g.lanes.length * LANE_WIDTH;
  const height = TOP + g.rows * ROW_HEIGHT + 10;
  return html`<div class="graph-scroll">
<svg class="lineage" role="group" aria-labelledby="lineage-title" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">
<title id="lineage-title">Lineage of ${g.nodes.length} versions in ${g.lanes.length} images, ${g.edges.length} derivations</title>
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow-head"/></marker></defs>
${g.lanes.map((name, i) => html`<text class="lane-title" x="${LEFT + i * LANE_WIDTH}" y="24">${name}</text>`)}
${g.edges.map(edgePath)}
${g.nodes.map(nodeGroup)}
</svg></div>`;
}

function edgePath(e: LineageEdge): SafeHtml {
  const x1 = nodeX(e.from) + NODE_WIDTH / 2;
  const y1 = nodeY(e.from) + NODE_HEIGHT;
  const x2 = nodeX(e.to) + NODE_WIDTH / 2;
  const y2 = nodeY(e.to);
  const bend = Math.max(18, (y2 - y1) / 2);
  const d = x1 === x2 && y2 > y1 ? `M${x1},${y1} L${x2},${y2 - 2}` : `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2 - 2}`;
  return html`<path class="edge edge-${e.kind}" d="${d}" marker-end="url(#arrow)" data-from="${label(e.from)}" data-to="${label(e.to)}" data-kind="${e.kind}">
<title>${label(e.from)} → ${label(e.to)} (${e.kind})</title></path>`;
}

function nodeGroup(n: LineageNode): SafeHtml {
  const v = n.version;
  const x = nodeX(n);
  const y = nodeY(n);
  const sub = [v.tags.join(" "), v.masking === "unmasked" ? "UNMASKED" : v.image.manifest.masking?.variant ? `variant ${v.image.manifest.masking.variant}` : ""]
    .filter(Boolean)
    .join(" · ");
  return html`<a href="${v.page}" class="node node-${v.masking}" id="node-${v.image.manifestDigest.slice(7, 19)}" data-version="${label(n)}">
<title>${label(n)} · ${MASKING_LABELS[v.masking]} · ${v.image.manifest.created}</title>
<rect x="${x}" y="${y}" width="${NODE_WIDTH}" height="${NODE_HEIGHT}" rx="6"/>
<text x="${x + 10}" y="${y + 17}" class="node-version">${clip(v.image.version, 22)}</text>
<text x="${x + 10}" y="${y + 32}" class="node-sub">${clip(sub, 28)}</text>
</a>`;
}

function edgeTable(edges: LineageEdge[]): SafeHtml {
  return html`<table class="data" id="edge-table"><caption>Each derived version and the version it was made from</caption>
<thead><tr><th scope="col">Version</th><th scope="col">Made from</th><th scope="col">How</th></tr></thead>
<tbody>${edges.map(
    (e) => html`<tr><th scope="row"><a href="${e.to.version.page}">${label(e.to)}</a></th>
<td><a href="${e.from.version.page}">${label(e.from)}</a></td>
<td>${e.kind === "layer" ? "layer (promote or refresh on top of the parent)" : "flattened promote"}</td></tr>`,
  )}</tbody></table>`;
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
