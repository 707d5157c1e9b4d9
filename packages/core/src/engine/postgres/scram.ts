// A SCRAM-SHA-256 verifier (RFC 5802 / RFC 7677, as PostgreSQL stores it in pg_authid), made on
// our side: the clone's password never travels to the server, and so can never land in its log
// (log_statement) or pg_stat_activity, even when a setting we did not foresee logs statements.
import { createHash, createHmac, pbkdf2, randomBytes } from "node:crypto";
import { promisify } from "node:util";

/** PostgreSQL's default (scram_iterations); a clone password is long and random anyway. */
const ITERATIONS = 4096;

const pbkdf2Async = promisify(pbkdf2);

const hmac = (key: Buffer, text: string): Buffer => createHmac("sha256", key).update(text).digest();

const prepared = new Map<string, Promise<string>>();

/**
 * How long a prepared verifier waits for its login. A clone that fails before its login never takes
 * it; in a long-lived process (the library, an action's post step) it is dropped then, not kept.
 * A login later than this derives its verifier anew: slower, never wrong.
 */
export const PREPARED_VERIFIER_TTL_MS = 5 * 60_000;

/** Start deriving `password`'s verifier now, for the login that takes it (takeVerifier). */
export function prepareVerifier(password: string): void {
  if (prepared.has(password)) return;
  const deriving = scramVerifier(password);
  deriving.catch(() => undefined); // its taker sees the failure
  prepared.set(password, deriving);
  setTimeout(() => {
    if (prepared.get(password) === deriving) prepared.delete(password);
  }, PREPARED_VERIFIER_TTL_MS).unref();
}

/** Verifiers prepared and not yet taken (tests). */
export function preparedVerifierCount(): number {
  return prepared.size;
}

/** The verifier prepared for `password`, taken (once), or one derived now. */
export function takeVerifier(password: string): Promise<string> {
  const p = prepared.get(password);
  prepared.delete(password);
  return p ?? scramVerifier(password);
}

/**
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. PostgreSQL SASLpreps the password
 * first; for the ASCII passwords dbclone generates that is the identity, and NFKC (its core) is
 * applied for any other.
 */
export async function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = ITERATIONS): Promise<string> {
  // On libuv's thread pool: a login derives it while its first query is on the server (~1.5–4 ms).
  const salted = await pbkdf2Async(Buffer.from(password.normalize("NFKC"), "utf8"), salt, iterations, 32, "sha256");
  const storedKey = createHash("sha256").update(hmac(salted, "Client Key")).digest();
  const serverKey = hmac(salted, "Server Key");
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
