export * from "./log.js";
export { checkAgainstAnchor, parseAnchor, LOG_ID, type AuditAnchor, type AnchorCheck } from "./anchor.js";
export { verifySegmentedChain, type SegmentClaim, type SegmentedChainCheck } from "./segments.js";
