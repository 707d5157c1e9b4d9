// The docker runtime: the engine's server in a container, through the Docker Engine API. The
// clone's mount and run directory are bind-mounted at their host paths, so the argv the engine
// made for a host process runs unchanged; readiness is the engine's own check over the socket.
import type Docker from "dockerode";
import { CommandError, TimeoutError } from "../../errors.js";
import type { DockerRuntimeOptions, Runtime, ServerHandle, ServerLaunch, StartServerOptions } from "../types.js";
import { apiStatus, assertDockerReachable, dockerClient } from "./client.js";
import { containerCreateOptions, demuxLog } from "./container-spec.js";
import { ensureImage } from "./image.js";

const POLL_MS = 5;
/** How often to ask the engine whether the container still runs while we wait for readiness. */
const INSPECT_EVERY_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface DockerRuntimeConfig extends DockerRuntimeOptions {
  /** Host address the published port binds to (bridge network); default 127.0.0.1. */
  hostAddress?: string;
}

export class DockerRuntime implements Runtime {
  readonly kind = "docker" as const;
  readonly docker: Docker;

  constructor(
    private readonly config: DockerRuntimeConfig = {},
    docker?: Docker,
  ) {
    this.docker = docker ?? dockerClient();
  }

  async start(launch: ServerLaunch, opts: StartServerOptions): Promise<ServerHandle> {
    await assertDockerReachable(this.docker);
    const image = this.config.image ?? launch.defaultImage;
    await ensureImage(this.docker, image, { pull: this.config.pull !== false, reporter: opts.reporter });
    if ((this.config.network ?? "bridge") === "bridge" && launch.admitOnly) {
      const gateway = await this.bridgeGateway();
      if (gateway) await launch.admitOnly(gateway);
      else opts.reporter?.warn("Docker's bridge network reports no gateway: the clone's server admits password logins from any address on the bridge.");
    }
    const body = containerCreateOptions({
      launch,
      image,
      hostAddress: this.config.hostAddress ?? "127.0.0.1",
      labels: opts.labels,
      name: opts.name,
      options: this.config,
    });
    const container = await this.docker.createContainer(body);
    const handle = { containerId: container.id };
    try {
      await container.start();
      const deadline = Date.now() + opts.timeoutMs;
      let lastInspect = Date.now();
      while (true) {
        if (await launch.ready()) break;
        if (Date.now() - lastInspect >= INSPECT_EVERY_MS) {
          lastInspect = Date.now();
          const state = (await container.inspect()).State;
          if (!state.Running) {
            const log = await containerLog(container);
            throw new CommandError(
              `${launch.describe} did not start in container ${container.id.slice(0, 12)} (image ${image}): the server exited with code ${state.ExitCode}${state.Error ? ` (${state.Error})` : ""}.${launch.hintFor(log)}\nLast lines of the container's log:\n${log}`,
              launch.containerProgram,
              state.ExitCode,
              log,
            );
          }
        }
        if (Date.now() > deadline) {
          const log = await containerLog(container);
          throw new TimeoutError(
            `${launch.describe} in container ${container.id.slice(0, 12)} (image ${image}) was not ready after ${Math.round(opts.timeoutMs / 1000)} s.\nLast lines of the container's log:\n${log}`,
          );
        }
        await sleep(POLL_MS);
      }
      const pid = (await container.inspect()).State.Pid;
      return { ...handle, pid: pid > 0 ? pid : undefined };
    } catch (e) {
      await this.stop(handle, { graceMs: 2000 }).catch(() => undefined);
      throw e;
    }
  }

  /** The default bridge's gateway: the address connections through a published port come from. */
  private async bridgeGateway(): Promise<string | undefined> {
    const net = (await this.docker.getNetwork("bridge").inspect()) as { IPAM?: { Config?: { Gateway?: string }[] } };
    return net.IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
  }

  async stop(handle: ServerHandle, opts: { fast?: boolean; graceMs?: number } = {}): Promise<void> {
    if (!handle.containerId) return;
    const container = this.docker.getContainer(handle.containerId);
    try {
      // StopSignal is the server's fast-shutdown signal; after t seconds Docker sends SIGKILL.
      await container.stop({ t: Math.max(1, Math.round((opts.graceMs ?? 60_000) / 1000)) });
    } catch (e) {
      // 304: already stopped; 404: already gone.
      if (apiStatus(e) !== 304 && apiStatus(e) !== 404) throw e;
    }
    await removeContainer(this.docker, handle.containerId);
  }

  async checkAvailable(): Promise<void> {
    await assertDockerReachable(this.docker);
  }

  async isRunning(handle: ServerHandle): Promise<boolean> {
    if (!handle.containerId) return false;
    try {
      return (await this.docker.getContainer(handle.containerId).inspect()).State.Running;
    } catch (e) {
      if (apiStatus(e) === 404) return false;
      throw e;
    }
  }
}

/** Remove a container and its anonymous volumes; tolerant of it being gone or already going. */
export async function removeContainer(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (e) {
    if (apiStatus(e) !== 404 && apiStatus(e) !== 409) throw e;
  }
}

/** The last lines of a container's stdout and stderr. */
export async function containerLog(container: Docker.Container, lines = 30): Promise<string> {
  try {
    const raw = (await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return demuxLog(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))).trimEnd() || "(empty log)";
  } catch (e) {
    return `(could not read the container's log: ${(e as Error).message})`;
  }
}
