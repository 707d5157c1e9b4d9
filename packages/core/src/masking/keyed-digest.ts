// The keyed mapping every engine must reproduce exactly (docs/masking.md, "The keyed digest"):
//   digest = HMAC-SHA256(key, "dbclone/mask/v1" 0x00 family 0x00 value [0x00 attempt])
// key = the UTF-8 bytes of DBCLONE_MASKING_KEY; family and value are UTF-8; attempt (decimal
// ASCII) is only appended for collision retries (attempt ≥ 1).
import { PrefixedHmac } from "./hmac-sha256.js";

export const DIGEST_DOMAIN = "dbclone/mask/v1";

// Per key (by identity) and family: the HMAC with the key pads and the prefix already absorbed.
const hmacs = new WeakMap<Buffer, Map<string, PrefixedHmac>>();

function hmacFor(key: Buffer, family: string): PrefixedHmac {
  let byFamily = hmacs.get(key);
  if (!byFamily) {
    byFamily = new Map();
    hmacs.set(key, byFamily);
  }
  let hmac = byFamily.get(family);
  if (!hmac) {
    hmac = new PrefixedHmac(key, Buffer.from(`${DIGEST_DOMAIN}\u0000${family}\u0000`, "utf8"));
    byFamily.set(family, hmac);
  }
  return hmac;
}

export function keyedDigest(key: Buffer, family: string, value: string, attempt = 0): Buffer {
  return hmacFor(key, family).digest(value, attempt > 0 ? `\u0000${attempt}` : "");
}
