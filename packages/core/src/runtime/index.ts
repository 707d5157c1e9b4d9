// Public surface of the runtime area: where a clone's server runs. The docker runtime is loaded on
// use (loadDockerRuntime) so the host path never pays for loading the Docker client.
export type * from "./types.js";
export { HostRuntime, startHostProcess, stopHostProcess, logTail } from "./host.js";
export { run, isAlive, isRoot, waitForExit, type ExecOptions, type ExecResult } from "./exec.js";
import { isAlive } from "./exec.js";
import { HostRuntime } from "./host.js";
import type { DockerRuntimeOptions, Runtime, RuntimeKind } from "./types.js";

export const loadDockerRuntime = () => import("./docker/index.js");

export type DockerConfig = DockerRuntimeOptions & { hostAddress?: string };

/** The runtime of a kind; `docker` options apply to the docker runtime only. */
export async function runtimeFor(kind: RuntimeKind, docker: DockerConfig = {}): Promise<Runtime> {
  if (kind === "host") return new HostRuntime();
  const { DockerRuntime } = await loadDockerRuntime();
  return new DockerRuntime(docker);
}

/** What a clone record keeps about where its server runs. */
export interface RecordedServer {
  runtime: RuntimeKind;
  serverPid?: number;
  containerId?: string;
}

/** True while the recorded server runs (a container: asks the Docker engine, which must answer). */
export async function isServerRunning(r: RecordedServer): Promise<boolean> {
  if (r.runtime === "host") return r.serverPid !== undefined && isAlive(r.serverPid);
  if (!r.containerId) return false;
  return (await runtimeFor("docker")).isRunning({ containerId: r.containerId });
}
