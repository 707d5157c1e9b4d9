// The media types and annotations dbclone writes into an OCI registry (see docs/oci.md).

/** The OCI manifest's artifactType, and the media type of its config blob (our canonical manifest JSON). */
export const IMAGE_ARTIFACT_TYPE = "application/vnd.dbclone.image.v1+json";
export const IMAGE_CONFIG_MEDIA_TYPE = IMAGE_ARTIFACT_TYPE;
export const OCI_MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";

/**
 * The disk layer: `application/vnd.dbclone.disk.<qcow2|vhdx>.v1` plus `+gzip` (what we push),
 * `+zstd` (reserved: refused on pull until zstd is supported) or nothing (uncompressed, accepted on pull).
 */
export type LayerCompression = "gzip" | "zstd" | "none";
const DISK_LAYER = /^application\/vnd\.dbclone\.disk\.(qcow2|vhdx)\.v1(?:\+(gzip|zstd))?$/;

export function diskLayerMediaType(format: "qcow2" | "vhdx", compression: LayerCompression): string {
  return `application/vnd.dbclone.disk.${format}.v1${compression === "none" ? "" : `+${compression}`}`;
}

/** The compression of a disk layer media type, or undefined when it is not one of ours. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  const m = DISK_LAYER.exec(mediaType);
  return m ? ((m[2] as LayerCompression | undefined) ?? "none") : undefined;
}

export const ANNOTATION_IMAGE_NAME = "vnd.dbclone.image.name";
export const ANNOTATION_IMAGE_VERSION = "vnd.dbclone.image.version";
/** sha256 of the manifest's canonical JSON: equal to the config blob's digest. */
export const ANNOTATION_IMAGE_ID = "vnd.dbclone.image.id";
/** On the layer: the digest and size of the uncompressed disk (= manifest.disk.digest / sizeBytes). */
export const ANNOTATION_UNCOMPRESSED_DIGEST = "vnd.dbclone.disk.uncompressed-digest";
export const ANNOTATION_UNCOMPRESSED_SIZE = "vnd.dbclone.disk.uncompressed-size";
export const ANNOTATION_CREATED = "org.opencontainers.image.created";
/** Manifest digest of the parent version (promoted images), so delete can find children without reading configs. */
export const ANNOTATION_PARENT = "vnd.dbclone.image.parent";

export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface OciImageManifest {
  schemaVersion: 2;
  mediaType: string;
  artifactType?: string;
  config: OciDescriptor;
  layers: OciDescriptor[];
  annotations?: Record<string, string>;
}
