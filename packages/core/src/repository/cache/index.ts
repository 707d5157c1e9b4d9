export { BlobCache, type BlobCacheOptions, type BlobTarget } from "./blob-cache.js";
export { CacheIndex, type CacheEntry, type CacheEntries } from "./cache-index.js";
export { defaultCacheDir } from "./cache-dir.js";
