export type * from "./types.js";
export { FsRepository, type FsRepositoryOptions } from "./fs.js";
export { openRepository, readRepositoryConfig, type OpenRepositoryOptions } from "./open.js";
export { CONFIG_FILE, REPOSITORY_FORMAT, type RepositoryConfig } from "./layout.js";
