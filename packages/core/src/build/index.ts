export { buildImage } from "./build-image.js";
export { buildImageVariants, type VariantHooks } from "./build-variants.js";
export type { BuildImageOptions, BuildResult, BuildTimings } from "./types.js";
