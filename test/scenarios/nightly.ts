// How a scenario runs nightly-refresh.yml's build job: a scheduled run on the pool's runner, with
// the production URL and the masking key as secrets, and the shop repository's dbclone.yml (its
// masking policy) as the checkout.
import crypto from "node:crypto";
import type { JobOptions } from "./workflow-runner.js";
import type { Production, ScenarioWorld } from "./world.js";

export function nightlyJobOptions(world: ScenarioWorld, production: Production, runNumber: number, runner = "dbclone-1"): JobOptions {
  return {
    runnerName: runner,
    env: world.envFor(runner),
    github: {
      event_name: "schedule",
      ref: "refs/heads/main",
      ref_name: "main",
      sha: crypto.createHash("sha1").update(`nightly-${runNumber}`).digest("hex"),
      repository: "acme/shop",
      run_id: String(900_000 + runNumber),
      run_number: String(runNumber),
      actor: "octocat",
      token: world.gh.token,
      event: { schedule: "17 3 * * *" },
    },
    secrets: { SHOP_PROD_URL: production.url, DBCLONE_MASKING_KEY: world.maskingKey },
    checkout: world.checkout,
  };
}
