// The Docker Engine API body that creates a clone's server container: pure, so unit tests pin it.
import type Docker from "dockerode";
import { UsageError } from "../../errors.js";
import { containerEnv } from "../childEnv.js";
import type { DockerRuntimeOptions, ServerLaunch } from "../types.js";

/** Every container dbclone makes carries these; gc finds containers by them. */
export const LABEL_CLONE = "dbclone.clone";
export const LABEL_HOME = "dbclone.home";
export const LABEL_MANAGED = "dbclone.managed";

export interface ContainerSpecInput {
  launch: ServerLaunch;
  image: string;
  /** Address the published port binds to on the host (bridge network). */
  hostAddress: string;
  labels?: Record<string, string>;
  name?: string;
  options: DockerRuntimeOptions;
}

/** "512m", "2g", "1.5G", "100000000" or a number of bytes → bytes. */
export function parseMemory(value: string | number): number {
  if (typeof value === "number") return Math.floor(value);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?\s*$/i.exec(value);
  if (!m) throw new UsageError(`memory '${value}' is not a size: use bytes or a number with k, m, g or t (e.g. 512m, 2g).`);
  const power = "bkmgt".indexOf((m[2] || "b").toLowerCase());
  const bytes = Math.floor(Number(m[1]) * 1024 ** power);
  // Docker refuses less than 6 MB; PostgreSQL needs far more than that anyway.
  if (bytes < 6 * 1024 * 1024) throw new UsageError(`memory '${value}' is too small for a database server; give at least 64m.`);
  return bytes;
}

export function parseCpus(value: number | string): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`cpus '${value}' must be a positive number, e.g. 1 or 1.5.`);
  return n;
}

export function containerCreateOptions(input: ContainerSpecInput): Docker.ContainerCreateOptions {
  const { launch, options } = input;
  const network = options.network ?? "bridge";
  const port = `${launch.port}/tcp`;
  const binds = [...launch.paths.map((p) => `${p}:${p}`), ...(options.readOnlyPaths ?? []).map((p) => `${p}:${p}:ro`)];
  const hostConfig: Docker.HostConfig = {
    Binds: binds,
    NetworkMode: network,
    // No restart: a clone whose server dies is gc's to remove, not Docker's to revive.
    RestartPolicy: { Name: "no" },
    // The server's shared memory (parallel query) needs more than Docker's 64 MB default on big images.
    ShmSize: 256 * 1024 * 1024,
    Init: false,
  };
  if (network === "bridge") hostConfig.PortBindings = { [port]: [{ HostIp: input.hostAddress, HostPort: String(launch.port) }] };
  if (options.memory !== undefined) hostConfig.Memory = parseMemory(options.memory);
  if (options.cpus !== undefined) hostConfig.NanoCpus = Math.round(parseCpus(options.cpus) * 1e9);
  return {
    name: input.name,
    Image: input.image,
    ...entrypoint(launch, network),
    // Only what the server needs; the host's environment (tokens, secrets) stays out.
    Env: containerEnv(),
    WorkingDir: launch.cwd,
    // The uid:gid that owns the data files: the server must write them, and never runs as root.
    User: `${launch.dataOwner.uid}:${launch.dataOwner.gid}`,
    Labels: { [LABEL_MANAGED]: "true", ...(input.labels ?? {}) },
    StopSignal: launch.signals.fast,
    ExposedPorts: network === "bridge" ? { [port]: {} } : undefined,
    HostConfig: hostConfig,
  };
}

/**
 * The container's own addresses, from the /etc/hosts line Docker writes for its hostname, appended
 * as the last `-c` (which wins): on a bridge the server listens there only, never on '*'.
 */
function listenOnOwnAddress(setting: string): string {
  if (!/^[a-z_]+$/.test(setting)) throw new UsageError(`invalid listen setting name '${setting}'`); // ours, never data
  return [
    'h=$(cat /etc/hostname); a=""',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    'while read -r ip name _; do [ "$name" = "$h" ] && a="${a:+$a,}$ip"; done < /etc/hosts',
    '[ -n "$a" ] || { echo "dbclone: no address for $h in /etc/hosts; the server is not started" >&2; exit 1; }',
    `exec "$0" "$@" -c "${setting}=$a"`,
  ].join("\n");
}

function entrypoint(launch: ContainerSpecInput["launch"], network: string): Pick<Docker.ContainerCreateOptions, "Entrypoint" | "Cmd"> {
  if (network !== "bridge" || !launch.listenAddressSetting) return { Entrypoint: [launch.containerProgram], Cmd: launch.args };
  return { Entrypoint: ["/bin/sh", "-c", listenOnOwnAddress(launch.listenAddressSetting), launch.containerProgram], Cmd: launch.args };
}

/** A non-TTY container's log is framed: 8-byte header (stream, 0, 0, 0, size BE) then the payload. */
export function demuxLog(buf: Buffer): string {
  let out = "";
  let i = 0;
  while (i + 8 <= buf.length && buf[i]! <= 2 && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString("utf8");
    i += 8 + size;
  }
  // Not framed (a TTY container) or a trailing partial frame: keep the rest as text.
  if (i < buf.length) out += buf.subarray(i).toString("utf8");
  return out;
}
