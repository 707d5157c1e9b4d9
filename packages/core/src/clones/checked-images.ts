// An image's catalogs are checked (engine.imageFindings) on the first clone of each image version a
// runner makes, not on every clone: a version is immutable (its manifest digest names its disks), so
// one clean check holds for all its clones. What passed is recorded as an empty file named by the
// manifest digest under <home>/state/checked-images (root's, 0700): a stat on every later clone.
import { access, open } from "node:fs/promises";
import path from "node:path";
import type { CloneEngine, RunningServer } from "../engine/types.js";
import { CloneError } from "../errors.js";
import type { PublishedImage } from "../repository/types.js";
import { makeDir, PRIVATE_DIR } from "../util/paths.js";

const stampDir = (home: string) => path.join(home, "state", "checked-images");

function stampFile(home: string, manifestDigest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(manifestDigest);
  if (!m) throw new CloneError(`'${manifestDigest}' is not a sha256 manifest digest; refusing to clone it.`);
  return path.join(stampDir(home), m[1]!);
}

/**
 * Refuse (CloneError) a clone whose image carries what a build takes out; record a clean check.
 * Runs before the login exists, so a refused image never hands out a connection.
 */
export async function checkImageOnce(home: string, engine: CloneEngine, server: RunningServer, image: PublishedImage): Promise<void> {
  if (!engine.imageFindings) return;
  const stamp = stampFile(home, image.manifestDigest);
  if (
    await access(stamp).then(
      () => true,
      () => false,
    )
  )
    return;
  const findings = await engine.imageFindings(server);
  if (findings.length > 0) {
    throw new CloneError(
      `${image.name}:${image.version} carries what dbclone build takes out of every image, so it was built by an older dbclone or made or altered outside dbclone build: ${findings.join("; ")}. Refusing to clone it; rebuild it with this version of dbclone build.`,
    );
  }
  await makeDir(stampDir(home), PRIVATE_DIR);
  await (await open(stamp, "w", 0o600)).close();
}
