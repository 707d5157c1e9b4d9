// PostgreSQL's half of the policy SQL check: EXPLAIN a SELECT that uses the policy's SQL exactly as
// the masking UPDATE will (alias t, the same cast), in a read-only transaction. EXPLAIN plans without
// running, so a missing function or column, a type error or a bad constant is found before masking.
import { qualifiedName } from "../sql.js";
import type { PolicySqlCheck } from "../../../masking/policy/check-against-schema.js";
import type { WithDatabase } from "./connector.js";

export function explainPolicySql(withDb: WithDatabase): (check: PolicySqlCheck) => Promise<string | undefined> {
  return (check) =>
    withDb(check.rule.database, async (client) => {
      const r = check.rule;
      const table = `${qualifiedName(r.schema, r.table)} AS t`;
      let select: string;
      let explain = true;
      if (check.kind === "where") select = `SELECT 1 FROM ${table} WHERE (${r.where})`;
      else if (check.kind === "constant") {
        const value = r.value === null || r.value === undefined ? "NULL" : client.escapeLiteral(String(r.value));
        // Evaluated, not planned: text→date and similar casts are not folded by the planner. The
        // value comes from the policy, not the data, and no table is read.
        select = `SELECT ${value}::text::${r.type}`;
        explain = false;
      } else {
        const e = typeof r.expression === "string" ? r.expression : r.expression?.postgres;
        if (!e) return "it has no postgres expression (expression.postgres)";
        select = `SELECT (${e})::${r.type} FROM ${table}`;
      }
      await client.query("BEGIN READ ONLY");
      try {
        // values: [] sends it as one extended-protocol statement: no second statement can ride along.
        await client.query({ text: explain ? `EXPLAIN ${select}` : select, values: [] });
        return undefined;
      } catch (e) {
        // Only the primary message: DETAIL/CONTEXT may echo data values.
        return (e as Error).message;
      } finally {
        await client.query("ROLLBACK").catch(() => {});
      }
    });
}
