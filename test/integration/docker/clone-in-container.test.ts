// Clones whose server runs in a container, against a real Docker engine this file starts. No image
// can be pulled here, so the container is an empty imported image running the host's PostgreSQL
// through read-only binds, with host networking (the test engine runs with --bridge=none; the
// product's default is a bridge network with the port published on the clone's host address).
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloneRegistry } from "../../../packages/core/src/clones/index.js";
import { collectGarbage, createClone, teardownClones } from "../../../packages/core/src/clones/index.js";
import type { CreateCloneOptions } from "../../../packages/core/src/clones/lifecycle-types.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { DockerRuntime, LABEL_CLONE, LABEL_HOME } from "../../../packages/core/src/runtime/docker/index.js";
import type { ServerLaunch } from "../../../packages/core/src/runtime/types.js";
import { makeWorld, psql, type World, buildSampleImage } from "../clones/fixture.js";
import { EMPTY_IMAGE, HOST_BINDS, startDockerd, type TestDockerd } from "./dockerd.js";
import { requireOrSkip } from "../required.js";

const started = await startDockerd();
const skip = requireOrSkip("skip" in started ? started.skip : undefined);
if (skip) console.warn(`[docker integration tests SKIPPED] ${skip}`);
const dockerd = started as TestDockerd;
const reporter = silentReporter;
let world: World;

const dockerOptions: NonNullable<CreateCloneOptions["docker"]> = {
  image: EMPTY_IMAGE,
  network: "host",
  readOnlyPaths: HOST_BINDS,
  pull: false,
  memory: "512m",
  cpus: 1,
};
const clone = (extra: Partial<CreateCloneOptions> = {}) =>
  createClone({ repository: world.repository, ref: "shop:v1", home: world.home, reporter, runtime: "docker", docker: dockerOptions, ...extra });
const containersOf = async (cloneId?: string) =>
  dockerd.docker.listContainers({ all: true, filters: { label: [cloneId ? `${LABEL_CLONE}=${cloneId}` : LABEL_CLONE] } });

describe.skipIf(skip !== undefined)(`clones in containers (dockerd, ${skip ? "skipped" : dockerd.storageDriver})`, () => {
  beforeAll(async () => {
    process.env.DOCKER_HOST = dockerd.host; // the product honours DOCKER_HOST like the docker CLI
    world = await makeWorld("dbclone-dk-");
    await buildSampleImage(world, { sizeMb: 2, seed: 3 });
  });

  afterAll(async () => {
    await world?.cleanup();
    await dockerd.stop();
  });

  it("runs a clone's server in a container over the clone's mount, labelled, limited, as the data's owner", async () => {
    const c = await clone({ labels: { pr: "1" } });
    try {
      expect(c.clone.runtime).toBe("docker");
      expect(c.clone.containerId).toMatch(/^[0-9a-f]{64}$/);
      const info = await dockerd.docker.getContainer(c.clone.containerId!).inspect();
      expect(info.State.Running).toBe(true);
      expect(info.Config.Labels).toMatchObject({ [LABEL_CLONE]: c.clone.id, [LABEL_HOME]: path.resolve(world.home) });
      expect(info.HostConfig.Binds).toContain(`${c.clone.mountPath}:${c.clone.mountPath}`);
      expect(info.HostConfig.Memory).toBe(512 * 1024 * 1024);
      expect(info.HostConfig.NanoCpus).toBe(1e9);
      expect(info.Config.User).not.toMatch(/^0:/);
      // The server in the container is the one answering on the clone's port, and it is this clone.
      expect(psql(c.credentials.connectionString, "SELECT current_setting('dbclone.clone_id')")).toBe(c.clone.id);
      expect(Number(psql(c.credentials.connectionString, "SELECT count(*) FROM customers"))).toBeGreaterThan(0);
      expect(c.readySeconds).toBeLessThan(30);
    } finally {
      await teardownClones({ home: world.home, reporter, id: c.clone.id });
    }
    // Teardown removed the container, the mount and the record.
    expect(await containersOf(c.clone.id)).toEqual([]);
    expect(existsSync(c.clone.dir)).toBe(false);
    expect(await world.leftovers()).toEqual([]);
  });

  it("keeps two clones in containers isolated from each other", async () => {
    const a = await clone();
    const b = await clone();
    try {
      expect(a.clone.containerId).not.toBe(b.clone.containerId);
      const orders = Number(psql(b.credentials.connectionString, "SELECT count(*) FROM orders"));
      psql(a.credentials.connectionString, "DELETE FROM order_items; DELETE FROM orders; CREATE TABLE scratch (x int)");
      expect(psql(a.credentials.connectionString, "SELECT count(*) FROM orders")).toBe("0");
      expect(Number(psql(b.credentials.connectionString, "SELECT count(*) FROM orders"))).toBe(orders);
      expect(psql(b.credentials.connectionString, "SELECT to_regclass('scratch') IS NULL")).toBe("t");
    } finally {
      await teardownClones({ home: world.home, reporter, id: a.clone.id });
      await teardownClones({ home: world.home, reporter, id: b.clone.id });
    }
    expect(await containersOf()).toEqual([]);
    expect(await world.leftovers()).toEqual([]);
  });

  it("gc removes a container whose clone record is gone, and the clone of a stopped container", async () => {
    const lost = await clone();
    const stopped = await clone();
    await new CloneRegistry(world.home).remove(lost.clone.id);
    await dockerd.docker.getContainer(stopped.clone.containerId!).kill();
    const result = await collectGarbage({ home: world.home, reporter });
    expect(result.orphans).toEqual([stopped.clone.id]);
    expect(result.released).toContain(`container dbclone-${lost.clone.id}`);
    expect(await containersOf()).toEqual([]);
    expect(await world.leftovers()).toEqual([]);
    expect(await new CloneRegistry(world.home).list()).toEqual([]);
    expect(world.processes()).toEqual([]);
  });

  it("shows the container's log when the server fails to start, and leaves no container", async () => {
    const runtime = new DockerRuntime({ ...dockerOptions });
    const launch: ServerLaunch = {
      program: "/usr/lib/postgresql/15/bin/postgres",
      containerProgram: "/usr/lib/postgresql/15/bin/postgres",
      defaultImage: "postgres:15",
      args: ["-D", "/nonexistent-pgdata", "-p", "5999"],
      env: {},
      cwd: "/",
      uid: 65534,
      gid: 65534,
      switchUser: false,
      dataOwner: { uid: 65534, gid: 65534 },
      paths: [],
      port: 5999,
      logFile: "/dev/null",
      ready: async () => false,
      describe: "PostgreSQL over /nonexistent-pgdata",
      hintFor: () => "",
      signals: { fast: "SIGINT", smart: "SIGTERM" },
    };
    const failure = runtime.start(launch, { timeoutMs: 20_000, labels: { [LABEL_CLONE]: "failing-start" } });
    await expect(failure).rejects.toThrow(
      /did not start in container [0-9a-f]{12}.*exited with code \d+[\s\S]*Last lines of the container's log:[\s\S]*nonexistent-pgdata/,
    );
    expect(await containersOf("failing-start")).toEqual([]);
  });

  it("a failed clone in a container leaves nothing behind (image missing, pulling off)", async () => {
    await expect(clone({ docker: { ...dockerOptions, image: "dbclone-test/absent:1" } })).rejects.toThrow(/dbclone-test\/absent:1 is not on this engine/);
    expect(await new CloneRegistry(world.home).list()).toEqual([]);
    expect(await containersOf()).toEqual([]);
    expect(await world.leftovers()).toEqual([]);
  });

  it("refuses runtime docker clearly, before making anything, when no engine answers at DOCKER_HOST", async () => {
    process.env.DOCKER_HOST = `unix://${path.join(world.root, "no-such-docker.sock")}`;
    try {
      await expect(clone()).rejects.toThrow(/Docker engine at unix:\/\/.*no-such-docker\.sock did not answer.*runtime: host/);
    } finally {
      process.env.DOCKER_HOST = dockerd.host;
    }
    expect(await new CloneRegistry(world.home).list()).toEqual([]);
    expect(await world.leftovers()).toEqual([]);
  });

  it("stops dockerd by PID and leaves no process or mount of it behind", async () => {
    await world.cleanup();
    await dockerd.stop();
    expect(dockerd.leftovers()).toEqual({ mounts: [], processes: [] });
    expect(existsSync(dockerd.root)).toBe(false);
  });
});
