// Clone ids: short, unique, lowercase; safe in file names, and (with '-' → '_') in SQL identifiers.
import { randomBytes } from "node:crypto";

// RFC 4648 base32 alphabet, lowercased: no characters that need quoting anywhere.
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
export const CLONE_ID_PATTERN = /^c-[a-z2-7]{10}$/;

/** `c-` + 10 base32 characters (50 random bits). */
export function newCloneId(): string {
  const bytes = randomBytes(10);
  let id = "c-";
  for (const b of bytes) id += BASE32[b & 31];
  return id;
}

/** The id as an unquoted PostgreSQL identifier fragment (`c-abc…` → `c_abc…`). */
export function cloneIdForIdentifier(id: string): string {
  return id.replace(/-/g, "_");
}
