// A SCRAM-SHA-256 verifier (RFC 5802 / RFC 7677, as PostgreSQL stores it in pg_authid), made on
// our side: the clone's password never travels to the server, and so can never land in its log
// (log_statement) or pg_stat_activity, even when a setting we did not foresee logs statements.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

/** PostgreSQL's default (scram_iterations); a clone password is long and random anyway. */
const ITERATIONS = 4096;

const hmac = (key: Buffer, text: string): Buffer => createHmac("sha256", key).update(text).digest();

/**
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. PostgreSQL SASLpreps the password
 * first; for the ASCII passwords dbclone generates that is the identity, and NFKC (its core) is
 * applied for any other.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = ITERATIONS): string {
  const salted = pbkdf2Sync(Buffer.from(password.normalize("NFKC"), "utf8"), salt, iterations, 32, "sha256");
  const storedKey = createHash("sha256").update(hmac(salted, "Client Key")).digest();
  const serverKey = hmac(salted, "Server Key");
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
