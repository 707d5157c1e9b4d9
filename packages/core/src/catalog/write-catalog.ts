// Write the static catalog site: index.html (library), lineage.html, audit.html, one page per
// version, and assets/. It is built in a sibling temporary folder and moved into place, so a
// published folder never holds a half-written site; an existing folder is replaced only when it
// is a previous catalog (it holds our marker file), never a folder of something else.
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { RepositoryError, UsageError } from "../errors.js";
import type { Repository } from "../repository/types.js";
import { CATALOG_SCRIPT } from "./asset-script.js";
import { CATALOG_STYLE } from "./asset-style.js";
import { collectCatalog, mapLimit, type CatalogData } from "./collect.js";
import { renderAudit } from "./page-audit.js";
import { renderLibrary } from "./page-library.js";
import { renderLineage } from "./page-lineage.js";
import { renderVersion, versionLinks } from "./page-version.js";

/** Present in every catalog folder: proves a folder may be replaced by a newer catalog. */
export const CATALOG_MARKER = ".dbclone-catalog";

export interface CatalogResult {
  outDir: string;
  versions: number;
  auditEvents: number;
  /** Every chain verifies, and no anchor contradicts one. */
  auditVerified: boolean;
  /** Chains shown: the log, or each runner's chain of an OCI repository. */
  auditChains: number;
  /** Site-relative paths of the pages written. */
  pages: string[];
}

export async function writeCatalog(repository: Repository, outDir: string, opts: { now?: Date; anchorsGitDir?: string } = {}): Promise<CatalogResult> {
  const out = path.resolve(outDir);
  await assertReplaceable(out);
  const data = await collectCatalog(repository, opts.now, { anchorsGitDir: opts.anchorsGitDir });
  const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
  try {
    const pages = await writeSite(tmp, data);
    await rm(out, { recursive: true, force: true });
    await rename(tmp, out);
    return {
      outDir: out,
      versions: data.versions.length,
      auditEvents: data.audit.rows.length,
      auditVerified: data.audit.ok,
      auditChains: data.audit.chains.length,
      pages,
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Pages rendered and written at a time: keeps memory flat for large repositories. */
const WRITE_CONCURRENCY = 16;

/** Render every page of `data` into `dir` (which must not exist yet). */
export async function writeSite(dir: string, data: CatalogData): Promise<string[]> {
  await mkdir(path.join(dir, "assets"), { recursive: true });
  await mkdir(path.join(dir, "versions"));
  const links = versionLinks(data.versions);
  const pages: Array<[string, () => string]> = [
    ["index.html", () => renderLibrary(data)],
    ["lineage.html", () => renderLineage(data)],
    ["audit.html", () => renderAudit(data)],
    ...data.versions.map((v): [string, () => string] => [v.page, () => renderVersion(data, v, links)]),
  ];
  await Promise.all([
    writeFile(path.join(dir, "assets", "catalog.css"), CATALOG_STYLE),
    writeFile(path.join(dir, "assets", "catalog.js"), CATALOG_SCRIPT),
    writeFile(path.join(dir, CATALOG_MARKER), `dbclone catalog of ${data.versions.length} versions, ${data.generatedAt}\n`),
    // GitHub Pages runs Jekyll unless told not to, and Jekyll hides files starting with "_" or ".".
    writeFile(path.join(dir, ".nojekyll"), ""),
    mapLimit(pages, WRITE_CONCURRENCY, ([file, render]) => writeFile(insideSite(dir, file), render())),
  ]);
  return pages.map(([file]) => file);
}

/**
 * A page path inside the site. Names and versions are validated by the manifest schema, so this
 * never fails for a published image; it keeps a bad repository answer from writing elsewhere.
 */
function insideSite(dir: string, file: string): string {
  const target = path.resolve(dir, file);
  if (!target.startsWith(path.resolve(dir) + path.sep)) {
    throw new RepositoryError(`catalog page '${file}' would land outside the site folder; the repository answered a bad image name or version`);
  }
  return target;
}

async function assertReplaceable(out: string): Promise<void> {
  const info = await stat(out).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (!info) return;
  if (!info.isDirectory()) throw new UsageError(`--out ${out} is a file; pass a folder for the catalog site`);
  const entries = await readdir(out);
  if (entries.length && !entries.includes(CATALOG_MARKER)) {
    throw new UsageError(`--out ${out} is a non-empty folder that holds no dbclone catalog (no ${CATALOG_MARKER}); pass an empty or new folder`);
  }
}
