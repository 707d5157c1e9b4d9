// Public surface of the catalog area: the static image library site (`dbclone catalog`).
export { writeCatalog, writeSite, CATALOG_MARKER, type CatalogResult } from "./write-catalog.js";
export { collectCatalog, maskingState, versionPagePath, type CatalogData, type CatalogVersion, type MaskingState } from "./collect.js";
export { readAuditTrail, type AuditRow, type AuditTrail, type AuditLineStatus } from "./audit-trail.js";
export { buildLineage, type LineageGraph, type LineageEdge, type LineageNode } from "./lineage-graph.js";
export { redactSecrets } from "./redact.js";
