// The contract of an image repository: a directory/SMB share, or an OCI registry.
import type { ImageManifest } from "../image/manifest.js";
import type { ImageRef } from "../image/reference.js";
import type { AuditLog } from "../audit/log.js";

export interface PublishedImage {
  name: string;
  version: string;
  /** sha256 of the canonical manifest JSON: the image id. */
  manifestDigest: string;
  manifest: ImageManifest;
}

export interface ImageSummary {
  name: string;
  version: string;
  manifestDigest: string;
  created: string;
  diskSizeBytes: number;
  tags: string[];
  parent?: string;
}

export interface PushOptions {
  /** Called with bytes copied so far, for progress. */
  onProgress?: (done: number, total: number) => void;
}

export interface Repository {
  /** Where it lives, for messages and the manifest (never with credentials). */
  readonly location: string;
  /** The repository's own audit log. */
  readonly audit: AuditLog;
  /**
   * Publish a version atomically: the blob at `diskFile` (whose digest must equal manifest.disk.digest)
   * and the manifest. An existing version is never overwritten (VersionExistsError).
   */
  push(manifest: ImageManifest, diskFile: string, opts?: PushOptions): Promise<PublishedImage>;
  /** name, name:version, name:tag or name@sha256:… → the published image. ImageNotFoundError when absent. */
  resolve(ref: ImageRef): Promise<PublishedImage>;
  /** A local, read-only path to the verified disk blob of this image (downloading/caching if remote). */
  pull(image: PublishedImage, opts?: PushOptions): Promise<string>;
  list(name?: string): Promise<ImageSummary[]>;
  /** Point a movable tag at a version. */
  tag(image: PublishedImage, tag: string): Promise<void>;
  untag(name: string, tag: string): Promise<void>;
  /** Delete a version; refuses while a tag, a child version, or one of `liveCloneDigests` references it. */
  delete(image: PublishedImage, opts: { liveCloneDigests: string[]; force?: boolean }): Promise<void>;
  /** Tags pointing at versions of `name`. */
  tags(name: string): Promise<Record<string, string>>;
}
