export { buildImage } from "./build-image.js";
export { buildImageVariants, type VariantHooks } from "./build-variants.js";
export type { BuildImageOptions, BuildResult, BuildTimings } from "./types.js";
export { scanSource, type ScanSourceOptions, type ScanReport } from "./scan-source.js";
export { sourcesFromInputs, type SourceInputNames, type SourceInputs } from "./source-inputs.js";
// The engines' masking by kind (kept out of platform/index.ts so clone bundles never load it): the
// masking bench drives it on its own server.
export { maskingFor } from "../platform/masking.js";
