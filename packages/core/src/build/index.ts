export { buildImage } from "./build-image.js";
export { buildImageVariants, type VariantHooks } from "./build-variants.js";
export type { BuildImageOptions, BuildResult, BuildTimings } from "./types.js";
export { scanSource, type ScanSourceOptions, type ScanReport } from "./scan-source.js";
export { sourcesFromInputs, type SourceInputNames, type SourceInputs } from "./source-inputs.js";
