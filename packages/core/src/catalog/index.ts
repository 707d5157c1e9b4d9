// Public surface of the catalog area: the static image library site (`dbclone catalog`).
export { writeCatalog, writeSite, CATALOG_MARKER, type CatalogResult } from "./write-catalog.js";
export { collectCatalog, maskingState, versionPagePath, type CatalogData, type CatalogVersion, type MaskingState } from "./collect.js";
export { readAuditTrail, type AuditTrailOptions } from "./audit-sources.js";
export type { AuditRow, AuditTrail, AuditChain, AuditLineStatus } from "./audit-trail.js";
export type { AnchorView } from "./audit-anchors.js";
export { buildLineage, type LineageGraph, type LineageEdge, type LineageNode } from "./lineage-graph.js";
export { redactSecrets } from "./redact.js";
