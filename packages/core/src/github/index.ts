// GitHub integration: the API client, version tags at commits, version auto, team lookups, PR
// comments, OIDC claims and schema diffs. Core takes the client as a parameter; no @actions/* here.
export * from "./errors.js";
export * from "./client.js";
export * from "./retry.js";
export * from "./tags.js";
export * from "./auto-version.js";
export * from "./teams.js";
export * from "./comments.js";
export * from "./comment-body.js";
export * from "./oidc.js";
export * from "./audit-claims.js";
export * from "./schema-diff.js";
export * from "./schema-diff-clone.js";
export * from "./sweep.js";
