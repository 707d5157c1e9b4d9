/** The dbclone version recorded in manifests and audit events. */
export const TOOL_VERSION = "0.1.0";
