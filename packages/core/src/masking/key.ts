// Where the masking key comes from: a secret or the environment, never the policy file.
import crypto from "node:crypto";
import { UsageError } from "../errors.js";
import type { Reporter } from "../reporter.js";

export const MASKING_KEY_ENV = "DBCLONE_MASKING_KEY";
const MIN_KEY_LENGTH = 16;

export interface MaskingKey {
  bytes: Buffer;
  /** A throw-away random key (--insecure-random-key): outputs differ on every build. */
  insecure: boolean;
}

/**
 * The key from `given` (a secret input) or $DBCLONE_MASKING_KEY; without one the build refuses,
 * unless `insecureRandomKey` allows a random key for this build only.
 */
export function resolveMaskingKey(opts: { given?: string; insecureRandomKey?: boolean; env?: NodeJS.ProcessEnv; reporter?: Reporter }): MaskingKey {
  const text = opts.given || (opts.env ?? process.env)[MASKING_KEY_ENV];
  if (text) {
    if (text.length < MIN_KEY_LENGTH) {
      throw new UsageError(`the masking key is ${text.length} characters; use at least ${MIN_KEY_LENGTH} random characters (e.g. openssl rand -hex 32).`);
    }
    opts.reporter?.secret(text);
    return { bytes: Buffer.from(text, "utf8"), insecure: false };
  }
  if (!opts.insecureRandomKey) {
    throw new UsageError(
      `masking needs a key: set ${MASKING_KEY_ENV} from a secret (e.g. openssl rand -hex 32), or pass --insecure-random-key for a throw-away key whose pseudonyms change on every build.`,
    );
  }
  opts.reporter?.warn("Masking with a random throw-away key (--insecure-random-key): pseudonyms will differ on the next build.");
  return { bytes: crypto.randomBytes(32), insecure: true };
}
