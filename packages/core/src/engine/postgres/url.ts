// PostgreSQL connection URLs: shown without their password, the password passed apart (PGPASSWORD).

/** A postgres URL with the password removed (from user-info and from ?password=). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "";
    u.searchParams.delete("password");
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

/** The URL without its password, and the password (for PGPASSWORD, never argv). */
export function splitPassword(url: string): { url: string; password?: string } {
  const u = new URL(url);
  const password = u.password ? decodeURIComponent(u.password) : (u.searchParams.get("password") ?? undefined);
  return { url: redactUrl(url), password };
}
