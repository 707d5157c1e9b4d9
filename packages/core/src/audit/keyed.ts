// Optional keyed audit entries: with a key from a secret (DBCLONE_AUDIT_KEY), each event carries
// an HMAC of its hash, so rewriting the log and recomputing the chain needs the key as well.
import { createHmac, timingSafeEqual } from "node:crypto";
import { AuditError } from "../errors.js";

export const AUDIT_KEY_ENV = "DBCLONE_AUDIT_KEY";

/** The key from the environment, or undefined; too short a key is refused rather than used. */
export function auditKeyFromEnv(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const raw = env[AUDIT_KEY_ENV];
  if (!raw) return undefined;
  if (raw.length < 32) throw new AuditError(`${AUDIT_KEY_ENV} must be at least 32 characters (e.g. openssl rand -hex 32); it is shorter`);
  return Buffer.from(raw, "utf8");
}

export function macOf(key: Buffer, hash: string): string {
  return `hmac-sha256:${createHmac("sha256", key).update(hash).digest("hex")}`;
}

export function macMatches(key: Buffer, hash: string, mac: string): boolean {
  const want = Buffer.from(macOf(key, hash));
  const got = Buffer.from(mac);
  return want.length === got.length && timingSafeEqual(want, got);
}
