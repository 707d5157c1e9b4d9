// The child disk of a new clone: over the image's single base blob, or — for a promoted
// (layered) version — over every layer of its chain, each fetched and digest-checked.
import { clonesLayers, type ChildDisk, type DiskDriver } from "../disk/index.js";
import { NotSupportedError } from "../errors.js";
import { pullLayers } from "../repository/layers.js";
import type { PublishedImage, Repository } from "../repository/types.js";

/** `topBlob`: the already pulled (verified) blob of `image` itself. */
export async function createChildDisk(
  driver: DiskDriver,
  repository: Repository,
  image: PublishedImage,
  topBlob: string,
  childFile: string,
): Promise<ChildDisk> {
  if (!image.manifest.parent) return driver.createChild(topBlob, childFile, image.manifest.disk.digest);
  if (!clonesLayers(driver)) {
    throw new NotSupportedError(
      `${image.name}:${image.version} is a layered version, which the ${driver.name} disk driver cannot clone; publish it flattened (dbclone promote --flatten).`,
    );
  }
  const layers = await pullLayers(repository, image);
  return driver.createLayeredChild(
    layers.map((l) => ({ file: l.file, digest: l.digest })),
    childFile,
  );
}
