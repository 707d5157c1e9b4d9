// Starts Debian's docker-registry (distribution 2.8) on 127.0.0.1 on a free port with its own
// storage dir and config (deletes enabled, optional htpasswd basic auth), and stops it by PID.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../../packages/core/src/util/net.js";
import { onPath, requireOrSkip } from "../required.js";

/** Debian's docker-registry, found on PATH (so a run can hide it to prove a missing one fails CI). */
export const REGISTRY_BINARY = onPath("docker-registry") ?? "docker-registry";
export const canRunRegistry = !requireOrSkip(
  process.platform === "linux" && onPath("docker-registry") ? undefined : "docker-registry is not on PATH (apt-get install docker-registry)",
);
export const canUseHtpasswd = !requireOrSkip(onPath("htpasswd") ? undefined : "htpasswd is not on PATH (apt-get install apache2-utils)");

export interface TestRegistry {
  port: number;
  /** oci://127.0.0.1:<port>/<namespace> */
  location: string;
  /** Filesystem storage root (holds docker/registry/v2/...). */
  storageDir: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startRegistry(opts: { namespace?: string; basicAuth?: { user: string; password: string } } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-registry-"));
  const storageDir = path.join(dir, "storage");
  const port = await freePort();
  let auth = "";
  if (opts.basicAuth) {
    const htpasswd = path.join(dir, "htpasswd");
    const made = spawnSync("htpasswd", ["-Bbn", opts.basicAuth.user, opts.basicAuth.password], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`htpasswd failed: ${made.stderr}`);
    writeFileSync(htpasswd, made.stdout);
    auth = `auth:\n  htpasswd:\n    realm: dbclone-test\n    path: ${htpasswd}\n`;
  }
  const config = path.join(dir, "config.yml");
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${storageDir}\n  delete:\n    enabled: true\n` +
      `http:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  const child: ChildProcess = spawn(REGISTRY_BINARY, ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr = (stderr + String(d)).slice(-4000)));
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(pid, "SIGTERM");
      const killer = setTimeout(() => process.kill(pid, "SIGKILL"), 5000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(
      port,
      () => child.exitCode !== null,
      () => stderr,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  const ns = opts.namespace ?? "team";
  return { port, location: `oci://127.0.0.1:${port}/${ns}`, storageDir, pid, stop };
}

async function waitUntilServing(port: number, dead: () => boolean, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (dead()) throw new Error(`docker-registry exited: ${stderr()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (r) => [200, 401].includes(r.status),
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not answer on port ${port} within 15 s: ${stderr()}`);
}

/** The file holding a blob in the registry's filesystem storage. */
export function blobDataFile(storageDir: string, digest: string): string {
  const hex = digest.replace(/^sha256:/, "");
  return path.join(storageDir, "docker", "registry", "v2", "blobs", "sha256", hex.slice(0, 2), hex, "data");
}
