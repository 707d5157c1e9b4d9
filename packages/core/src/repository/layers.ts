// Layered versions: a promoted version's manifest names its parent (manifest digest), and a
// clone reads child → its layer → … → the base. These helpers walk and fetch that chain through
// the Repository contract only, so every backend (directory, OCI) serves layered images.
import { ImageNotFoundError, RepositoryError } from "../errors.js";
import type { PublishedImage, PushOptions, Repository } from "./types.js";

/** Deeper chains than this are refused: they are almost surely a loop in hand-edited manifests. */
export const MAX_CHAIN_DEPTH = 64;

/** The published image whose manifest digest is `image.manifest.parent`; undefined for a base. */
export async function resolveParent(repository: Repository, image: PublishedImage): Promise<PublishedImage | undefined> {
  const parent = image.manifest.parent;
  if (!parent) return undefined;
  // Usually the parent has the same name (promote --as <same name>:<new version>); else search.
  try {
    return await repository.resolve({ name: image.name, digest: parent });
  } catch (e) {
    if (!(e instanceof ImageNotFoundError)) throw e;
  }
  const found = (await repository.list()).find((s) => s.manifestDigest === parent);
  if (found) return repository.resolve({ name: found.name, digest: parent });
  throw new RepositoryError(
    `${image.name}:${image.version} layers on ${parent}, which is not in ${repository.location}; the repository is damaged: republish the parent or delete this version`,
  );
}

/** The image and its ancestors, nearest first: [image, parent, …, base]. */
export async function imageChain(repository: Repository, image: PublishedImage): Promise<PublishedImage[]> {
  const chain = [image];
  for (let current = await resolveParent(repository, image); current; current = await resolveParent(repository, current)) {
    if (chain.some((c) => c.manifestDigest === current!.manifestDigest) || chain.length >= MAX_CHAIN_DEPTH) {
      throw new RepositoryError(
        `the parent chain of ${image.name}:${image.version} loops or is deeper than ${MAX_CHAIN_DEPTH}; the repository was edited by hand`,
      );
    }
    chain.push(current);
  }
  return chain;
}

export interface PulledLayer {
  image: PublishedImage;
  /** Local read-only blob path, digest verified by the repository. */
  file: string;
  digest: string;
}

/** Pull (fetch and verify) every layer of `image`, nearest first. */
export async function pullLayers(repository: Repository, image: PublishedImage, opts: PushOptions = {}): Promise<PulledLayer[]> {
  const layers: PulledLayer[] = [];
  for (const layer of await imageChain(repository, image)) {
    layers.push({ image: layer, file: await repository.pull(layer, opts), digest: layer.manifest.disk.digest });
  }
  return layers;
}
