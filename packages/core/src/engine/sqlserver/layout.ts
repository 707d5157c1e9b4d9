// dbclone-layout.json at the root of a SQL Server image disk: which databases it holds and where
// each file lives, relative to the mount folder, so a clone can attach them wherever it is mounted.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { BuildError } from "../../errors.js";

export const LAYOUT_FILE = "dbclone-layout.json";

export interface ImageLayout {
  version: 1;
  /** `contained`: containment = PARTIAL, which attaches only with contained database authentication on. */
  databases: { name: string; dir: string; files: { logicalName: string; path: string; kind: string }[]; contained?: boolean }[];
}

export async function readImageLayout(mountPath: string): Promise<ImageLayout> {
  const file = path.win32.join(mountPath, LAYOUT_FILE);
  let layout: ImageLayout;
  try {
    layout = JSON.parse(await readFile(file, "utf8")) as ImageLayout;
  } catch (e) {
    throw new BuildError(`${file} could not be read (${(e as Error).message}); this disk is not a dbclone SQL Server image.`);
  }
  if (layout.version !== 1 || !Array.isArray(layout.databases))
    throw new BuildError(`${file} has an unknown layout version ${String(layout.version)}; upgrade dbclone.`);
  return layout;
}
