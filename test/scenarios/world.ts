// The world a scenario runs in: a "production" PostgreSQL server with a shop database (what the
// nightly example dumps), the GitHub API fake, and one DBCLONE_HOME per runner of the pool, over one
// image repository. Everything is torn down by cleanup(), whatever a test left.
import fs from "node:fs";
import path from "node:path";
import { createSampleDump } from "../../packages/core/src/engine/index.js";
import { findBinaries } from "../../packages/core/src/engine/postgres/binaries.js";
import { run } from "../../packages/core/src/runtime/exec.js";
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from "../fixtures/github-api/server.js";
import { startSourceServer, Tracker, type SourceServer } from "../integration/engine/fixtures.js";
import { makeWorld, type World } from "../integration/clones/fixture.js";
import { SHOP_CHECKOUT, SHOP_MASKING_KEY } from "./shop-policy.js";

export interface Production {
  server: SourceServer;
  /** postgres URL of the shop database for a read-only login with a password (the SHOP_PROD_URL secret). */
  url: string;
}

export interface ScenarioWorld {
  /** Runner homes of the pool, by runner name; the first is the default. */
  runners: Record<string, World>;
  gh: FakeGitHub;
  tracker: Tracker;
  /** The shop repository's files a job's actions/checkout places in the workspace (dbclone.yml with its policy). */
  checkout: Record<string, string>;
  /** The repository's secret for the masking key (DBCLONE_MASKING_KEY), which only build steps are given. */
  maskingKey: string;
  /** Environment every step gets on `runner`: its DBCLONE_HOME, the shared repository, the API fake. */
  envFor(runner: string): Record<string, string>;
  startProduction(): Promise<Production>;
  cleanup(): Promise<void>;
}

export async function makeScenarioWorld(runnerNames: string[], gh: FakeGitHubOptions = {}): Promise<ScenarioWorld> {
  const tracker = new Tracker();
  const runners: Record<string, World> = {};
  for (const name of runnerNames) {
    // The runner's DBCLONE_HOME does not exist yet: the first step's dbclone makes it (0711).
    runners[name] = await makeWorld(`dbclone-scenario-${name}-`);
  }
  const repoDir = runners[runnerNames[0]!]!.repoDir;
  const fake = await startFakeGitHub({ owner: "acme", repo: "shop", ...gh });
  return {
    runners,
    gh: fake,
    tracker,
    checkout: SHOP_CHECKOUT,
    maskingKey: SHOP_MASKING_KEY,
    envFor: (runner) => ({ DBCLONE_HOME: runners[runner]!.home, DBCLONE_REPO: repoDir, GITHUB_API_URL: fake.url, GITHUB_SERVER_URL: fake.url }),
    async startProduction() {
      const server = await startSourceServer(tracker);
      const dir = tracker.mount("dbclone-scenario-prod-");
      const dump = path.join(dir, "sample.dump");
      await createSampleDump(dump, { sizeMb: 3, seed: 11 });
      fs.chmodSync(dump, 0o644);
      await server.psql("postgres", "CREATE DATABASE shop");
      const bins = await findBinaries(15);
      await run(bins.bin("pg_restore"), ["--no-owner", "-h", server.socketDir, "-p", String(server.port), "-U", server.superuser, "-d", "shop", dump]);
      await server.psql("postgres", "CREATE ROLE reader LOGIN PASSWORD 'read-only-pw'; GRANT pg_read_all_data TO reader");
      return { server, url: `postgresql://reader:read-only-pw@127.0.0.1:${server.port}/shop` };
    },
    async cleanup() {
      await fake.stop();
      // The first runner's root holds the shared repository: clean it last, or the other runners'
      // teardowns would write their audit events into a repository directory already removed.
      for (const w of Object.values(runners).reverse()) await w.cleanup();
      await tracker.cleanup();
    },
  };
}
