// The world both end-to-end flows start from (dist bundles and from-source): a private dbclone home
// and repository, a push to main of acme/shop, and a synthetic shop dump to build from.
import path from "node:path";
import { createSampleDump } from "../../packages/core/src/engine/index.js";
import { makeWorld, type World } from "../integration/clones/fixture.js";

export interface FlowWorld {
  world: World;
  /** The runner's environment for every step of the flow. */
  env: Record<string, string>;
  dump: string;
}

export async function startFlowWorld(prefix: string, run: { sha: string; runId: string; sizeMb: number; seed: number }): Promise<FlowWorld> {
  const world = await makeWorld(prefix);
  const env = {
    DBCLONE_HOME: world.home,
    DBCLONE_REPO: world.repoDir,
    GITHUB_REPOSITORY: "acme/shop",
    GITHUB_SHA: run.sha,
    GITHUB_RUN_ID: run.runId,
    GITHUB_REF: "refs/heads/main",
    GITHUB_REF_NAME: "main",
  };
  const dump = path.join(world.root, "shop.dump");
  await createSampleDump(dump, { sizeMb: run.sizeMb, seed: run.seed });
  return { world, env, dump };
}
