// Everything the catalog shows, read through the Repository contract (directory or OCI alike):
// every published version with its manifest and tags, and the audit trail with its verification.
import type { PublishedImage, Repository } from "../repository/types.js";
import { readAuditTrail, type AuditTrailOptions } from "./audit-sources.js";
import type { AuditTrail } from "./audit-trail.js";
import { mapLimit } from "../util/map-limit.js";

export { mapLimit };

export type MaskingState = "masked" | "masked-unscanned" | "leak-hits" | "unmasked";

export interface CatalogVersion {
  image: PublishedImage;
  tags: string[];
  masking: MaskingState;
  /** Site-relative path of the version's page. */
  page: string;
}

export interface CatalogData {
  /** Repository location as the repository reports it (never with credentials). */
  location: string;
  generatedAt: string;
  /** Sorted by image name, then creation time. */
  versions: CatalogVersion[];
  audit: AuditTrail;
}

/** Manifests are fetched this many at a time: a registry answers one request per version. */
const READ_CONCURRENCY = 8;

export async function collectCatalog(repository: Repository, now: Date = new Date(), opts: AuditTrailOptions = {}): Promise<CatalogData> {
  // The audit trail (a log to verify, or runner chains to fetch) is read while the manifests are.
  const audit = readAuditTrail(repository, opts);
  audit.catch(() => undefined); // awaited below; do not let an early failure go unhandled meanwhile
  const summaries = await repository.list();
  const images = await mapLimit(summaries, READ_CONCURRENCY, (s) => repository.resolve({ name: s.name, version: s.version }));
  const versions = images.map((image, i) => ({
    image,
    tags: [...summaries[i]!.tags].sort(),
    masking: maskingState(image),
    page: versionPagePath(image.name, image.version),
  }));
  versions.sort(
    (a, b) =>
      a.image.name.localeCompare(b.image.name) ||
      a.image.manifest.created.localeCompare(b.image.manifest.created) ||
      a.image.version.localeCompare(b.image.version),
  );
  return { location: repository.location, generatedAt: now.toISOString(), versions, audit: await audit };
}

export function maskingState(image: PublishedImage): MaskingState {
  const m = image.manifest.masking;
  if (!m) return "unmasked";
  if (!m.leakScan) return "masked-unscanned";
  return m.leakScan.hits > 0 ? "leak-hits" : "masked";
}

/**
 * `versions/<name with / as -->@<version>.html`: names never hold "--" (IMAGE_NAME_PATTERN allows
 * one separator between alphanumerics) and versions never hold "/", so paths cannot collide.
 */
export function versionPagePath(name: string, version: string): string {
  return `versions/${name.replaceAll("/", "--")}@${version}.html`;
}
