// Promote (a clone becomes a new image version), as its own entry: the CLI loads it with a dynamic
// import only when `dbclone promote` runs (its module set-up stays off every other command's start),
// and bundles that never promote (the clone-db and teardown actions) do not carry it.
export { promoteClone, type PromoteCloneOptions, type PromoteResult } from "../clones/promote.js";
