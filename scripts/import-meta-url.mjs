// Injected into every bundle: CommonJS has no import.meta, so `import.meta.url` is defined as this
// value — the bundle file's own URL (what code using it to find files next to itself expects).
export const importMetaUrl = require("node:url").pathToFileURL(__filename).href;
