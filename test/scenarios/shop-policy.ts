// What the shop repository's checkout holds for the examples that build with a policy: dbclone.yml
// with the masking: section the nightly build reads (it masks every personal column of the sample
// shop data, so the build's PII scan and leak scan pass), and the masking key the secret holds.
import { SAMPLE_SHOP_POLICY } from "../../packages/core/src/engine/index.js";
import { parsePolicy, resolveMaskingKey } from "../../packages/core/src/masking/index.js";
import { silentReporter } from "../../packages/core/src/reporter.js";

/** The DBCLONE_MASKING_KEY secret of the scenario repository (≥ 16 characters). */
export const SHOP_MASKING_KEY = "scenario-masking-key-0123456789abcdef";

export const SHOP_DBCLONE_YML = `# dbclone.yml of acme/shop (what actions/checkout puts in the workspace)
${SAMPLE_SHOP_POLICY}`;

/** The files of the shop repository at any commit a scenario checks out. */
export const SHOP_CHECKOUT: Record<string, string> = { "dbclone.yml": SHOP_DBCLONE_YML };

/** The same policy and key for a build a scenario makes directly (core buildImage's masking option). */
export function shopMasking() {
  return {
    policy: parsePolicy(SHOP_DBCLONE_YML, "dbclone.yml"),
    key: resolveMaskingKey({ given: SHOP_MASKING_KEY, insecureRandomKey: false, reporter: silentReporter }),
  };
}
