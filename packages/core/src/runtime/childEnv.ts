// The one allow-list for the environment of every child dbclone starts (tools, host servers,
// containers). The runner's environment holds tokens, the masking key and registry
// credentials; a child gets only what a program needs to find itself and speak the locale.

/** Names passed through; LC_* too. Never tokens, keys or credentials. */
const PASSED = new Set(["PATH", "LANG", "LANGUAGE", "TZ", "HOME", "TMPDIR", "TERM"]);

export const isPassedToChildren = (name: string): boolean => PASSED.has(name) || /^LC_[A-Z_]+$/.test(name);

/**
 * The environment for a host child: the allow-listed variables of `from`, then `extra` (e.g.
 * PGPASSWORD for the one tool that needs it). Nothing else of the runner's environment.
 */
export function childEnv(extra: Record<string, string> = {}, from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(from)) if (v !== undefined && isPassedToChildren(k)) env[k] = v;
  return { ...env, ...extra };
}

/**
 * A container's environment, as Docker's `KEY=value` list: the same allow-list minus what only
 * makes sense on the host (PATH, HOME, TMPDIR point at host paths); a UTF-8 locale by default.
 */
export function containerEnv(from: NodeJS.ProcessEnv = process.env): string[] {
  const env: Record<string, string> = { LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };
  for (const [k, v] of Object.entries(childEnv({}, from))) if (k === "TZ") env[k] = v;
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}
