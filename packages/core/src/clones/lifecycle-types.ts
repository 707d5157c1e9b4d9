// Inputs and results of making and removing clones (clone-db / teardown actions, CLI, demo).
import type { Durability, Credentials } from "../engine/types.js";
import type { Reporter } from "../reporter.js";
import type { DockerRuntimeOptions } from "../runtime/types.js";
import type { Repository, PublishedImage } from "../repository/types.js";
import type { CloneRecord } from "./types.js";

export interface CreateCloneOptions {
  repository: Repository;
  /** name, name:version, name:tag or name@sha256:… */
  ref: string;
  home: string;
  reporter: Reporter;
  /** Reuse key: a live clone with this name is returned as is (created: false). */
  name?: string;
  /** Time to live in seconds; capped by the repository's maxTtl. */
  ttlSeconds?: number;
  labels?: Record<string, string>;
  durability?: Durability;
  /** Give up when not ready within this many ms (default 120 s). */
  timeoutMs?: number;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /**
   * Discard a live named clone and make it again from the image, with the same name, port, user
   * and password (its TTL and labels carry over too).
   */
  reset?: boolean;
  /**
   * A live named clone of an older version of the image: keep it (default; its data stays, the
   * result says a newer version exists), recreate it from the new version, or fail.
   */
  onImageChange?: OnImageChange;
  /**
   * Labels a named clone must already carry to be reused or replaced (e.g. the GitHub repository
   * that made it): a clone of the same name that lacks them is refused, never touched.
   */
  scope?: Record<string, string>;
  /** The database the credentials' connection string points at (default: the image's first). */
  database?: string;
  /** The clone's disk driver: qcow2 (FUSE over the image) or reflink (a copy in the local pool); default per host. */
  disk?: "qcow2" | "reflink";
  /** Where the clone's server runs: a host process (default, fastest) or a Docker container. */
  runtime?: "host" | "docker";
  /** Image, limits and network of the container (runtime "docker" only). */
  docker?: DockerRuntimeOptions;
  /**
   * Measure what the child disk holds once ready (default true): a reflink clone's extent map is
   * read by a process spawned after the clone is ready, which a caller that never shows it (the
   * CLI) need not wait for.
   */
  measureChildDisk?: boolean;
}

export type OnImageChange = "keep" | "recreate" | "fail";
export const ON_IMAGE_CHANGE: readonly OnImageChange[] = ["keep", "recreate", "fail"];

export interface CloneResult {
  created: boolean;
  clone: CloneRecord;
  credentials: Credentials;
  image: PublishedImage;
  /** Seconds from request to a query answered by the clone. */
  readySeconds: number;
  /** Bytes the child disk holds right after it became ready (undefined when not asked for: measureChildDisk false). */
  childDiskBytes?: number;
  /**
   * A live named clone was kept although the requested image is now another version: the clone
   * still holds `clone.image`; this is the version that was asked for.
   */
  newerImage?: { name: string; version: string; manifestDigest: string };
  /** Set when an existing named clone was replaced: why, and what was lost. */
  replaced?: { id: string; reason: string };
}

export interface TeardownOptions {
  home: string;
  reporter: Reporter;
  /** Exactly one of id / name / labels. */
  id?: string;
  name?: string;
  /** All clones whose labels include all of these (e.g. {pr: "42"} or {branch: "feature-x"}). */
  labels?: Record<string, string>;
  /** Audit log to record teardown in (the clone's repository), when reachable. */
  repository?: Repository;
  /**
   * Only clones carrying all of these labels are removed (e.g. github-repository=owner/name);
   * the others are left alone and reported as skipped.
   */
  scope?: Record<string, string>;
}

export interface TeardownResult {
  /** Ids removed. Tearing down a clone already gone is a success with removed = []. */
  removed: string[];
  /** Ids that matched but lie outside the caller's scope, left alone. */
  skipped?: string[];
  seconds: number;
}

export interface GcResult {
  expired: string[];
  orphans: string[];
  /** Leftovers released: mounts, daemons, loop devices, files, containers. */
  released: string[];
}
