// PostgreSQL's side of masking one running server, through its admin connection.
import type { MaskingTarget } from "../../../masking/port.js";
import type { RunningServer } from "../../types.js";
import { applyMasking } from "./apply-masking.js";
import { adminConnector, catalogConnector } from "./connector.js";
import { explainPolicySql } from "./explain-policy.js";
import { readPublished } from "./read-published.js";
import { scanUnmaskedPii } from "./scan-pii.js";
import { schemaFacts } from "./schema-facts.js";

export function postgresMasking(server: RunningServer): MaskingTarget {
  // The policy's own SQL (explain, mask) runs where the policy's authors expect it: the default search path.
  const withDb = adminConnector(server);
  const catalogOnly = catalogConnector(server);
  return {
    schemaFacts: (databases) => schemaFacts(catalogOnly, databases),
    explainSql: explainPolicySql(withDb),
    scanUnmaskedPii: (databases, rules) => scanUnmaskedPii(catalogOnly, databases, rules),
    mask: (policy, key, reporter, opts) =>
      applyMasking({ withDb, policy, key, reporter, preview: opts?.preview, jobs: opts?.jobs, originalsBudget: opts?.originalsBudget, tempDir: opts?.tempDir }),
    readPublished: async (content, isMasked) => void (await readPublished(catalogOnly, content, { isMasked })),
  };
}
