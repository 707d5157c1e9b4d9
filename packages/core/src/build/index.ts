export { buildImage } from "./build-image.js";
export type { BuildImageOptions, BuildResult, BuildTimings } from "./types.js";
