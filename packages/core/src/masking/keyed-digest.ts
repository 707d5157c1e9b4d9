// The keyed mapping every engine must reproduce exactly (docs/masking.md, "The keyed digest"):
//   digest = HMAC-SHA256(key, "dbclone/mask/v1" 0x00 family 0x00 value [0x00 attempt])
// key = the UTF-8 bytes of DBCLONE_MASKING_KEY; family and value are UTF-8; attempt (decimal
// ASCII) is only appended for collision retries (attempt ≥ 1).
import crypto from "node:crypto";

export const DIGEST_DOMAIN = "dbclone/mask/v1";

export function keyedDigest(key: Buffer, family: string, value: string, attempt = 0): Buffer {
  const h = crypto.createHmac("sha256", key);
  h.update(`${DIGEST_DOMAIN}\u0000${family}\u0000${value}`, "utf8");
  if (attempt > 0) h.update(`\u0000${attempt}`, "utf8");
  return h.digest();
}
