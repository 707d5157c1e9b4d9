// Public surface of the PostgreSQL engine.
export { PostgresEngine } from "./engine.js";
export { quoteIdent, qualifiedName } from "./sql.js";
export { redactUrl } from "./url.js";
export { createSampleDump, SAMPLE_SHOP_POLICY, type SampleDumpOptions } from "./sample.js";
export { stopPostgres } from "./launch.js";
export type { ScrubOptions } from "./scrub.js";
export { ADMIN_USER, DATA_DIR, ENGINE_FILE, readEngineFile, type EngineFile } from "./engineFile.js";
// Lower-level steps the CLI and the benchmarks drive directly.
export { connectionString } from "./login.js";
export { findBinaries, type PgBinaries } from "./binaries.js";
export { startBuildServer, stopBuildServer, type BuildServer } from "./buildServer.js";
export { userDatabases, withAdmin } from "./client.js";
export { grantCloneLoginGroup } from "./login-group.js";
export { initDataDir } from "./dataDir.js";
