// Inputs and result of building an image (the build-image action, `dbclone build`, the demo).
import type { DiskAttachment } from "../disk/types.js";
import type { EngineInfo, SourceSpec } from "../engine/types.js";
import type { MaskingOptions } from "../masking/build-step.js";
import type { LeakScanResult } from "../masking/build-step.js";
import type { PiiCandidate } from "../masking/pii/detect.js";
import type { Reporter } from "../reporter.js";
import type { Repository, PublishedImage } from "../repository/types.js";

export interface BuildImageOptions {
  repository: Repository;
  name: string;
  /** Explicit version; default: UTC timestamp yyyymmdd-hhmmss. */
  version?: string;
  sources: SourceSpec[];
  /** Local state dir (DBCLONE_HOME); staging disks live under <home>/work. */
  home: string;
  reporter: Reporter;
  /** Movable tags to point at the new version after publish (default ["latest"]). */
  tags?: string[];
  labels?: Record<string, string>;
  git?: { repository?: string; commit?: string; ref?: string; tag?: string };
  build?: { runUrl?: string; actor?: string };
  access?: { users: string[]; teams: string[] };
  /** Virtual size of the disk; default derived from the source size (thin: costs nothing). */
  diskSizeBytes?: number;
  /**
   * Mask before publishing: the policy, the key (from a secret or the environment) and the variant.
   * A variant is published as the image `<name>/variants/<variant>` (reference `name+variant:version`).
   */
  masking?: MaskingOptions;
  /**
   * Without a policy the PII scan still runs; personal data found stops the build unless this says
   * why it may be published unmasked (recorded prominently in the manifest, summary and `show`).
   */
  unmasked?: { reason: string };
  /** Set by buildImageVariants: the sources are restored already; mask a child of that staging disk. */
  restored?: RestoredStaging;
}

/** A restore shared by several variants (build-variants.ts): each gets its own writable child. */
export interface RestoredStaging {
  engineInfo: EngineInfo;
  /** A writable differencing child of the restored staging disk, mounted at `mountPath`. */
  stagingDisk(file: string, mountPath: string): Promise<{ file: string; mountPath: string; attachment: DiskAttachment }>;
}

export interface BuildMaskingReport {
  variant?: string;
  columns: number;
  rowsChanged: number;
  maskSeconds: number;
  piiCandidates: PiiCandidate[];
  leakScan: LeakScanResult;
  /** One row before and after masking, when `masking.preview` asked for it (memory only, never stored). */
  preview?: { table: string; before: Record<string, string | null>; after?: Record<string, string | null> };
}

export interface BuildTimings {
  restoreSeconds: number;
  sealSeconds: number;
  publishSeconds: number;
  totalSeconds: number;
}

export interface BuildResult {
  image: PublishedImage;
  timings: BuildTimings;
  masking?: BuildMaskingReport;
}
