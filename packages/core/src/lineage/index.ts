// Public surface of the lineage area: history (log) and differences (diff) of image versions.
export { imageLog, logEntryOf, type LogEntry } from "./log.js";
export { diffManifests, type ManifestDiff, type TableDiff } from "./diff.js";
export { gitTaggedCommits } from "./git-tags.js";
