// An image's catalogs are checked (engine.imageFindings) on the first clone of each image version a
// runner makes, not on every clone: a version is immutable (its manifest digest names its disks), so
// one clean check holds for all its clones. What passed is recorded as an empty file named by the
// manifest digest and the check's revision under <home>/state/checked-images (root's, 0700): an
// lstat on every later clone. A check that learns something new bumps CHECK_REVISION, so versions
// an older check passed are checked again. A stamp that is not our own regular file (a link, another
// user's file in a loosened directory) counts as none, and a stamp is never written through a link.
import { lstat, open } from "node:fs/promises";
import path from "node:path";
import type { CloneEngine, RunningServer } from "../engine/types.js";
import { CloneError } from "../errors.js";
import type { PublishedImage } from "../repository/types.js";
import { isOwnFile } from "../util/own-file.js";
import { makeDir, PRIVATE_DIR } from "../util/paths.js";

/** Bumped whenever any engine's imageFindings finds more (2: triggers and event triggers). */
export const CHECK_REVISION = 2;

const stampDir = (home: string) => path.join(home, "state", "checked-images");

export function stampFile(home: string, manifestDigest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(manifestDigest);
  if (!m) throw new CloneError(`'${manifestDigest}' is not a sha256 manifest digest; refusing to clone it.`);
  return path.join(stampDir(home), `${m[1]!}.r${CHECK_REVISION}`);
}

/**
 * Refuse (CloneError) a clone whose image carries what a build takes out; record a clean check.
 * Runs before the login exists, so a refused image never hands out a connection.
 */
export async function checkImageOnce(home: string, engine: CloneEngine, server: RunningServer, image: PublishedImage): Promise<void> {
  if (!engine.imageFindings) return;
  const stamp = stampFile(home, image.manifestDigest);
  const st = await lstat(stamp).catch(() => undefined);
  if (st && isOwnFile(st)) return;
  const findings = await engine.imageFindings(server);
  if (findings.length > 0) {
    throw new CloneError(
      `${image.name}:${image.version} carries what dbclone build takes out of every image, so it was built by an older dbclone or made or altered outside dbclone build: ${findings.join("; ")}. Refusing to clone it; rebuild it with this version of dbclone build.`,
    );
  }
  await makeDir(stampDir(home), PRIVATE_DIR);
  // O_EXCL: never through a link planted at the stamp's name; one already there (a clone that ran
  // the check alongside, or a planted file, which the next clone again ignores) is left as it is.
  await open(stamp, "wx", 0o600).then(
    (fh) => fh.close(),
    (e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
    },
  );
}
