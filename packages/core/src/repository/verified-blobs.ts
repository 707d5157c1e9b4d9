// Which blobs of a cache were hashed and found good, so pulling a 50 GB blob for every clone does
// not re-read it: the one stamped digest cache (util/stamped-digests.ts) in <cacheDir>/verified-blobs.json.
import path from "node:path";
import { StampedDigestCache } from "../util/stamped-digests.js";

export function verifiedBlobCache(cacheDir: string): StampedDigestCache {
  return new StampedDigestCache(path.join(cacheDir, "verified-blobs.json"));
}
