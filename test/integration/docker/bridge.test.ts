// The product's default for runtime docker: the container on a bridge network, its port published
// on the clone's host address (127.0.0.1), the server listening on its own network and accepting
// password logins that arrive through the bridge. Needs an engine with a bridge: this file makes
// its own (never docker0) and skips, saying why, only where a bridge cannot be made.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClone, teardownClones } from "../../../packages/core/src/clones/index.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { makeWorld, psql, type World, buildSampleImage } from "../clones/fixture.js";
import { EMPTY_IMAGE, HOST_BINDS, startDockerd, type TestDockerd } from "./dockerd.js";
import { requireOrSkip } from "../required.js";

const started = await startDockerd({ bridge: true });
const skip = requireOrSkip("skip" in started ? started.skip : undefined);
if (skip) console.warn(`[docker bridge test SKIPPED] ${skip}`);
const dockerd = started as TestDockerd;
const reporter = silentReporter;
let world: World;

describe.skipIf(skip !== undefined)("a clone in a container on a bridge network", () => {
  beforeAll(async () => {
    process.env.DOCKER_HOST = dockerd.host;
    world = await makeWorld("dbclone-dkb-");
    await buildSampleImage(world, { sizeMb: 1, seed: 5 });
  });

  afterAll(async () => {
    await world?.cleanup();
    await dockerd.stop();
  });

  it("publishes the server's port on 127.0.0.1 and answers the clone's login through it; the admin stays locked out", async () => {
    const c = await createClone({
      repository: world.repository,
      ref: "shop:v1",
      home: world.home,
      reporter,
      runtime: "docker",
      docker: { image: EMPTY_IMAGE, readOnlyPaths: HOST_BINDS, pull: false }, // network: the default (bridge)
    });
    try {
      const info = await dockerd.docker.getContainer(c.clone.containerId!).inspect();
      expect(info.HostConfig.NetworkMode).toBe("bridge");
      expect(info.NetworkSettings.Ports[`${c.clone.port}/tcp`]).toEqual([{ HostIp: "127.0.0.1", HostPort: String(c.clone.port) }]);
      expect(c.credentials.host).toBe("127.0.0.1");
      // The server listens on the container's own bridge address only, not on every address ('*').
      const containerIp = info.NetworkSettings.Networks.bridge?.IPAddress;
      expect(containerIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(psql(c.credentials.connectionString, "SHOW listen_addresses").split(",")).toContain(containerIp);
      expect(psql(c.credentials.connectionString, "SHOW listen_addresses")).not.toMatch(/\*|0\.0\.0\.0|::/);
      expect(psql(c.credentials.connectionString, "SELECT current_setting('dbclone.clone_id')")).toBe(c.clone.id);
      // The connection came through the bridge, not from the container's own loopback.
      expect(psql(c.credentials.connectionString, "SELECT inet_client_addr() <> '127.0.0.1'::inet")).toBe("t");
      // Only the bridge's gateway (where the published port arrives) is admitted, not the whole bridge.
      const gateway = (await dockerd.docker.getNetwork("bridge").inspect()).IPAM?.Config?.[0]?.Gateway as string;
      const hba = readFileSync(path.join(c.clone.dir, "run", "pg_hba.conf"), "utf8");
      expect(hba).toContain(`host all all ${gateway}/32 scram-sha-256`);
      expect(hba).not.toContain("host all all all");
      expect(psql(c.credentials.connectionString, "SELECT host(inet_client_addr())")).toBe(gateway);
      const admin = c.credentials.connectionString.replace(/\/\/[^@]+@/, "//dbclone_admin:x@");
      expect(() => psql(admin, "SELECT 1")).toThrow(/rejects connection|no pg_hba.conf entry|password authentication failed/);
    } finally {
      await teardownClones({ home: world.home, reporter, id: c.clone.id });
    }
    expect(await dockerd.docker.listContainers({ all: true })).toEqual([]);
    expect(await world.leftovers()).toEqual([]);
  });

  it("stops dockerd by PID and removes its bridge, processes and mounts", async () => {
    await world.cleanup();
    await dockerd.stop();
    expect(dockerd.leftovers()).toEqual({ mounts: [], processes: [] });
    expect(() => execFileSync("ip", ["link", "show", dockerd.bridge!], { stdio: "ignore" })).toThrow();
    expect(existsSync(dockerd.root)).toBe(false);
  });
});
