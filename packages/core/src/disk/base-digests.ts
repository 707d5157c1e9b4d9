// Every disk driver checks a base's digest before cloning it, through one stamped cache per
// state directory (util/stamped-digests.ts), in <stateDir>/verified-digests.json.
import path from "node:path";
import { StampedDigestCache } from "../util/stamped-digests.js";

export function baseDigestCache(stateDir: string): StampedDigestCache {
  return new StampedDigestCache(path.join(stateDir, "verified-digests.json"));
}
