// The container a clone's server runs in, as the Docker Engine API body: pinned field by field.
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../packages/core/src/errors.js";
import {
  containerCreateOptions,
  demuxLog,
  dockerEndpoint,
  LABEL_CLONE,
  LABEL_MANAGED,
  parseCpus,
  parseMemory,
} from "../../../packages/core/src/runtime/docker/index.js";
import type { ServerLaunch } from "../../../packages/core/src/runtime/types.js";

const launch: ServerLaunch = {
  program: "/usr/lib/postgresql/15/bin/postgres",
  containerProgram: "/usr/lib/postgresql/15/bin/postgres",
  defaultImage: "postgres:15",
  args: ["-D", "/h/clones/c1/mnt/pgdata", "-p", "15433", "-c", "listen_addresses=*"],
  env: { SECRET_TOKEN: "must-not-leak" },
  cwd: "/h/clones/c1/mnt/pgdata",
  uid: 105,
  gid: 109,
  switchUser: true,
  dataOwner: { uid: 105, gid: 109 },
  paths: ["/h/clones/c1/mnt", "/h/clones/c1/run"],
  port: 15433,
  logFile: "/h/clones/c1/run/postgres.log",
  ready: async () => true,
  describe: "PostgreSQL over /h/clones/c1/mnt/pgdata",
  hintFor: () => "",
  signals: { fast: "SIGINT", smart: "SIGTERM" },
};

describe("the container of a clone's server", () => {
  it("bind-mounts the clone's mount and run dir at their host paths and runs the engine's argv as the data's owner", () => {
    const body = containerCreateOptions({
      launch,
      image: "postgres:15",
      hostAddress: "127.0.0.1",
      options: {},
      name: "dbclone-c1",
      labels: { [LABEL_CLONE]: "c1" },
    });
    expect(body.Image).toBe("postgres:15");
    expect(body.name).toBe("dbclone-c1");
    expect(body.Entrypoint).toEqual([launch.containerProgram]);
    expect(body.Cmd).toEqual(launch.args);
    expect(body.User).toBe("105:109");
    expect(body.WorkingDir).toBe(launch.cwd);
    expect(body.HostConfig?.Binds).toEqual(["/h/clones/c1/mnt:/h/clones/c1/mnt", "/h/clones/c1/run:/h/clones/c1/run"]);
    expect(body.Labels).toEqual({ [LABEL_MANAGED]: "true", [LABEL_CLONE]: "c1" });
    expect(body.StopSignal).toBe("SIGINT");
    expect(body.HostConfig?.RestartPolicy).toEqual({ Name: "no" });
  });

  it("keeps the host's environment out of the container", () => {
    const body = containerCreateOptions({ launch, image: "postgres:15", hostAddress: "127.0.0.1", options: {} });
    expect(JSON.stringify(body.Env)).not.toContain("must-not-leak");
  });

  it("publishes the port on the clone's host address on a bridge network (the default)", () => {
    const body = containerCreateOptions({ launch, image: "postgres:15", hostAddress: "10.1.2.3", options: {} });
    expect(body.HostConfig?.NetworkMode).toBe("bridge");
    expect(body.ExposedPorts).toEqual({ "15433/tcp": {} });
    expect(body.HostConfig?.PortBindings).toEqual({ "15433/tcp": [{ HostIp: "10.1.2.3", HostPort: "15433" }] });
  });

  it("publishes nothing with host networking: the listen port is the port", () => {
    const body = containerCreateOptions({ launch, image: "x", hostAddress: "127.0.0.1", options: { network: "host", readOnlyPaths: ["/usr", "/etc"] } });
    expect(body.HostConfig?.NetworkMode).toBe("host");
    expect(body.HostConfig?.PortBindings).toBeUndefined();
    expect(body.ExposedPorts).toBeUndefined();
    expect(body.HostConfig?.Binds).toContain("/usr:/usr:ro");
    expect(body.HostConfig?.Binds).toContain("/etc:/etc:ro");
  });

  it("sets memory and CPU limits when asked, none otherwise", () => {
    const limited = containerCreateOptions({ launch, image: "x", hostAddress: "127.0.0.1", options: { memory: "1.5g", cpus: 0.5 } });
    expect(limited.HostConfig?.Memory).toBe(1.5 * 1024 ** 3);
    expect(limited.HostConfig?.NanoCpus).toBe(5e8);
    const free = containerCreateOptions({ launch, image: "x", hostAddress: "127.0.0.1", options: {} });
    expect(free.HostConfig?.Memory).toBeUndefined();
    expect(free.HostConfig?.NanoCpus).toBeUndefined();
  });
});

describe("limits", () => {
  it("reads sizes the way docker --memory does", () => {
    expect(parseMemory("512m")).toBe(512 * 1024 ** 2);
    expect(parseMemory("2G")).toBe(2 * 1024 ** 3);
    expect(parseMemory("256MiB")).toBe(256 * 1024 ** 2);
    expect(parseMemory(100_000_000)).toBe(100_000_000);
    expect(parseMemory("104857600")).toBe(104857600);
  });

  it("refuses sizes that are not sizes, or too small for a server", () => {
    expect(() => parseMemory("lots")).toThrow(UsageError);
    expect(() => parseMemory("1m")).toThrow(/too small/);
    expect(() => parseCpus("0")).toThrow(UsageError);
    expect(() => parseCpus("two")).toThrow(/positive number/);
    expect(parseCpus("1.5")).toBe(1.5);
  });
});

describe("container logs", () => {
  const frame = (stream: number, text: string) => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };

  it("joins the framed stdout and stderr of a non-TTY container", () => {
    expect(demuxLog(Buffer.concat([frame(1, "starting\n"), frame(2, "FATAL: data directory missing\n")]))).toBe("starting\nFATAL: data directory missing\n");
  });

  it("keeps an unframed log as it is", () => {
    expect(demuxLog(Buffer.from("plain text log\n"))).toBe("plain text log\n");
  });
});

describe("the Docker endpoint", () => {
  it("honours DOCKER_HOST, else the default socket", () => {
    expect(dockerEndpoint({ DOCKER_HOST: "unix:///tmp/x/docker.sock" })).toBe("unix:///tmp/x/docker.sock");
    expect(dockerEndpoint({})).toBe("unix:///var/run/docker.sock");
  });
});
