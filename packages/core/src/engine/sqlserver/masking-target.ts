// SQL Server's side of masking the build's restored databases, through the host's connection:
// facts from the catalog, the set-based masking of masking.ts. It cannot yet EXPLAIN policy SQL,
// sample unlisted columns for personal data or read its published data back, so those checks are
// PostgreSQL's alone and the leak scan here judges the sealed disk's bytes without a prepared plan.
import type { MaskingTarget } from "../../masking/port.js";
import type { RunningServer } from "../types.js";
import { withSqlServer, type SqlServerHost } from "./host.js";
import { maskSqlServer } from "./masking.js";
import { sqlServerSchemaFacts } from "./schema-facts.js";

export function sqlServerMasking(host: SqlServerHost, _server: RunningServer): MaskingTarget {
  return {
    schemaFacts: (databases) =>
      withSqlServer(host, "restore", (exec) =>
        sqlServerSchemaFacts(
          exec,
          databases.map((d) => d.name),
        ),
      ),
    // T-SQL expressions are checked by maskSqlServer before any table is touched.
    explainSql: async () => undefined,
    scanUnmaskedPii: async () => [],
    mask: (policy, key, reporter) => withSqlServer(host, "restore", (exec) => maskSqlServer({ exec, policy, key, reporter })),
  };
}
