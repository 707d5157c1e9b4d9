// A registry's answers are data: every descriptor, tag and body is checked here before a path,
// a request or a file is made from it. A digest like `sha256:../../etc/x` in a layer would
// otherwise become a cache file name; a tag like `../x` a request path; an endless body memory.
import { RepositoryError } from "../../errors.js";
import { IMAGE_CONFIG_MEDIA_TYPE, layerCompression, type OciDescriptor, type OciImageManifest } from "./media-types.js";

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
/** The OCI distribution spec's tag grammar. */
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Caps on what one answer may weigh: dbclone's own manifests and configs are a few KiB. */
export const MAX_MANIFEST_BYTES = 4 << 20;
export const MAX_CONFIG_BYTES = 16 << 20;
export const MAX_TAG_PAGE_BYTES = 8 << 20;
/** A disk layer: generous (16 TiB) but finite, so a size cannot overflow or fill the cache unchecked. */
export const MAX_LAYER_BYTES = 2 ** 44;

export function isValidDigest(digest: string | null | undefined): boolean {
  return typeof digest === "string" && DIGEST_PATTERN.test(digest);
}

export const isValidTag = (tag: string): boolean => TAG_PATTERN.test(tag);

function bad(where: string, what: string): never {
  throw new RepositoryError(`${where}: ${what}; the registry's answer is not a dbclone image (refused before anything was written or requested from it)`);
}

/** A descriptor of ours: valid digest, a size within `maxBytes`, a known media type. */
export function checkDescriptor(d: unknown, kind: "config" | "layer", where: string): OciDescriptor {
  const desc = d as Partial<OciDescriptor> | undefined;
  if (!desc || typeof desc !== "object") bad(where, `the ${kind} descriptor is missing`);
  if (typeof desc.digest !== "string" || !isValidDigest(desc.digest))
    bad(where, `the ${kind} digest ${JSON.stringify(String(desc.digest).slice(0, 80))} is not sha256:<64 lowercase hex>`);
  const max = kind === "config" ? MAX_CONFIG_BYTES : MAX_LAYER_BYTES;
  if (typeof desc.size !== "number" || !Number.isSafeInteger(desc.size) || desc.size < 0 || desc.size > max) {
    bad(where, `the ${kind} size ${JSON.stringify(desc.size)} is not a whole number of bytes up to ${max}`);
  }
  const known =
    kind === "config" ? desc.mediaType === IMAGE_CONFIG_MEDIA_TYPE : typeof desc.mediaType === "string" && layerCompression(desc.mediaType) !== undefined;
  if (!known) bad(where, `the ${kind} media type ${JSON.stringify(String(desc.mediaType).slice(0, 100))} is not one dbclone writes`);
  return desc as OciDescriptor;
}

/** The shape every manifest must have before any field of it is read (foreign ones included). */
export function checkManifestShape(m: unknown, where: string): OciImageManifest {
  const o = m as Partial<OciImageManifest> | null;
  if (!o || typeof o !== "object" || Array.isArray(o)) bad(where, "the manifest is not a JSON object");
  if (!o.config || typeof o.config !== "object") bad(where, "the manifest has no config descriptor");
  if (!Array.isArray(o.layers)) bad(where, "the manifest has no layer list");
  if (o.annotations !== undefined && (typeof o.annotations !== "object" || o.annotations === null)) bad(where, "the manifest's annotations are not an object");
  return o as OciImageManifest;
}

/** A dbclone manifest: its config and its disk layer checked; the layer returned. */
export function checkImageManifest(m: OciImageManifest, where: string): { config: OciDescriptor; layer: OciDescriptor | undefined } {
  const config = checkDescriptor(m.config, "config", where);
  const raw = m.layers.find((l) => typeof l?.mediaType === "string" && layerCompression(l.mediaType) !== undefined);
  return { config, layer: raw === undefined ? undefined : checkDescriptor(raw, "layer", where) };
}

/** The body of `res`, refused past `maxBytes` (declared or actually sent) without reading the rest. */
export async function readCapped(res: Response, maxBytes: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get("content-length") ?? 0);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new RepositoryError(`${what} is ${declared} bytes, more than the ${maxBytes} bytes dbclone accepts; it was not pushed by dbclone`);
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = res.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new RepositoryError(`${what} is more than the ${maxBytes} bytes dbclone accepts; it was not pushed by dbclone`);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}
