// A live clone as the local registry records it. The registry file is mode 0600: it holds
// the clone login's password so an idempotent second request can hand the same clone back.
import type { DiskAttachment } from "../disk/types.js";
import type { CloneDiskName, EngineKind } from "../platform/index.js";
import type { ProcessIdentity } from "../util/process-identity.js";

export type CloneState = "creating" | "ready" | "stopping";

export interface CloneRecord {
  id: string;
  /** Reuse key: asking again for this name returns this clone while it lives. */
  name?: string;
  state: CloneState;
  image: { name: string; version: string; manifestDigest: string; diskDigest: string };
  engine: EngineKind;
  /** Directory holding everything this clone made (child disk, mountpoint, run dir). */
  dir: string;
  childFile: string;
  mountPath: string;
  /** The disk driver that made the clone's disk (absent: qcow2, the only one before reflink). */
  disk?: CloneDiskName;
  attachment?: DiskAttachment;
  host: string;
  port: number;
  /** Database server process, when running as a host process. */
  serverPid?: number;
  /** Container id, when running in a container runtime. */
  containerId?: string;
  runtime: "host" | "docker";
  user: string;
  password: string;
  databases: string[];
  createdAt: string;
  /** The process creating or tearing down the clone; gc leaves the record alone while it lives. */
  owner?: ProcessIdentity;
  /** ISO time after which gc removes it. */
  expiresAt?: string;
  /** The lifetime it was given, so a replacement (reset, recreate) gets the same one. */
  ttlSeconds?: number;
  /** Free-form: branch, pr, run, job … (teardown by label). */
  labels: Record<string, string>;
  /** The repository it came from. */
  repository: string;
}
