export { buildImage } from "./build-image.js";
export type { BuildImageOptions, BuildResult, BuildTimings } from "./types.js";
export { sourcesFromInputs, type SourceInputNames, type SourceInputs } from "./source-inputs.js";
