export * from "./manifest.js";
export * from "./reference.js";
export * from "./digest.js";
export * from "./unmasked.js";
export * from "./labels.js";
