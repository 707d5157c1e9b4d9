// Open a repository from a location string: a path or file:// URL (directory or SMB share), or oci://.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { NotSupportedError, RepositoryError, UsageError } from "../errors.js";
import { FsRepository, type FsRepositoryOptions } from "./fs.js";
import { OciRepository, type OciRepositoryOptions } from "./oci/oci-repository.js";
import { assertUsableRoot, configOf, FsLayout, readConfigFile, type RepositoryConfig } from "./layout.js";
import type { Repository } from "./types.js";

export type OpenRepositoryOptions = FsRepositoryOptions & {
  oci?: Omit<OciRepositoryOptions, "cacheDir">;
  /** A directory that does not exist is an error (readers: a typo must not look like "no images"). */
  mustExist?: boolean;
};

/** Turn a location into a directory path, or throw for schemes this build does not handle. */
function directoryOf(location: string): string {
  const s = location.trim();
  if (!s) throw new UsageError("repository location is empty; pass a directory path, a file:// URL or an oci:// reference");
  if (s.startsWith("oci://"))
    throw new NotSupportedError(`'${location}' is an OCI registry, which has no directory or config file; open it with openRepository`);
  if (s.startsWith("file://")) {
    try {
      return fileURLToPath(s);
    } catch (e) {
      throw new UsageError(`repository location '${location}' is not a valid file:// URL (${(e as Error).message}); write file:///absolute/path`);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    throw new UsageError(`repository location '${location}' uses an unsupported scheme; pass a directory path, a file:// URL or an oci:// reference`);
  }
  return path.resolve(s);
}

/**
 * Open the repository at `location`. A missing or empty directory is fine (the layout is
 * created on first write); a regular file or a non-empty foreign directory is refused.
 */
export async function openRepository(location: string, opts: OpenRepositoryOptions = {}): Promise<Repository> {
  if (location.trim().startsWith("oci://")) {
    return new OciRepository(location.trim(), { ...opts.oci, ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}) });
  }
  const dir = directoryOf(location);
  if (opts.mustExist && !existsSync(dir)) {
    throw new RepositoryError(`repository ${dir} does not exist: check the path, or make it by publishing an image to it`);
  }
  await assertUsableRoot(dir);
  await readConfigFile(new FsLayout(dir)); // a newer format or a damaged config fails now, not mid-publish
  return new FsRepository(dir, opts);
}

/** The repository's settings (e.g. the longest clone TTL it allows); {} when it has none yet. */
export async function readRepositoryConfig(repository: string | Repository): Promise<RepositoryConfig> {
  // An OCI registry holds no dbclone config (yet): no repository-wide limits.
  if (typeof repository === "string" && repository.trim().startsWith("oci://")) return {};
  if (typeof repository !== "string") {
    const withConfig = repository as Repository & { readConfig?: () => Promise<RepositoryConfig> };
    return withConfig.readConfig ? withConfig.readConfig() : {};
  }
  const layout = new FsLayout(directoryOf(repository));
  return configOf(await readConfigFile(layout), layout.configFile);
}
