// The Docker Engine API client (dockerode over the engine's socket). DOCKER_HOST is honoured the
// way the docker CLI honours it (unix://, tcp://, npipe://); unset means the platform's default socket.
import { existsSync } from "node:fs";
import Docker from "dockerode";
import { MissingToolError } from "../../errors.js";

export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  return process.platform === "win32" ? "npipe:////./pipe/docker_engine" : "unix:///var/run/docker.sock";
}

export function dockerClient(): Docker {
  return new Docker();
}

/** Ping the engine; a MissingToolError that says what to do when it does not answer. */
export async function assertDockerReachable(docker: Docker, timeoutMs = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    throw new MissingToolError(
      `The Docker engine at ${dockerEndpoint()} did not answer (${(e as Error).message}). ` +
        "Start dockerd (or Docker Desktop), set DOCKER_HOST to its socket, or use runtime: host.",
      { cause: e },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Status code of a Docker API error (404 no such container/image, 409 conflict …). */
export function apiStatus(e: unknown): number | undefined {
  const code = (e as { statusCode?: unknown }).statusCode;
  return typeof code === "number" ? code : undefined;
}

/** Whether an engine may be there at all: DOCKER_HOST set, or the default socket exists. */
export function dockerConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.DOCKER_HOST) return true;
  return process.platform !== "win32" && existsSync("/var/run/docker.sock");
}
