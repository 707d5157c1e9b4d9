// Which OS user PostgreSQL runs as. The server refuses to run as root, so as root we use the
// `postgres` account (Debian/Ubuntu create it with the server package); otherwise ourselves.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { chown, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DbcloneError, MissingToolError } from "../../errors.js";
import { isRoot, run } from "../../runtime/exec.js";

export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
  /** Set when we must switch to this user (we are root). */
  asUser?: string;
}

let cached: ServerUser | undefined;

export function serverUser(): ServerUser {
  if (cached) return cached;
  if (!isRoot()) {
    const me = os.userInfo();
    cached = { name: me.username, uid: me.uid, gid: me.gid };
    return cached;
  }
  const ids = passwdIds("postgres") ?? idIds("postgres");
  if (!ids) {
    throw new MissingToolError(
      "PostgreSQL cannot run as root and there is no `postgres` OS user. Install the server package (apt-get install postgresql) or run dbclone as a non-root user.",
    );
  }
  cached = { name: "postgres", uid: ids.uid, gid: ids.gid, asUser: "postgres" };
  return cached;
}

interface Ids {
  uid: number;
  gid: number;
}

/** From /etc/passwd (root's own file): no process spawned on every clone. */
export function passwdIds(user: string, text?: string): Ids | undefined {
  try {
    text ??= readFileSync("/etc/passwd", "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f[0] !== user || f.length < 4) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    return /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!) ? { uid, gid } : undefined;
  }
  return undefined;
}

/** Through NSS (`id`), for a user /etc/passwd does not hold (LDAP, sssd). */
function idIds(user: string): Ids | undefined {
  try {
    const uid = execFileSync("id", ["-u", user], { encoding: "utf8" }).trim();
    const gid = execFileSync("id", ["-g", user], { encoding: "utf8" }).trim();
    return /^\d+$/.test(uid) && /^\d+$/.test(gid) ? { uid: Number(uid), gid: Number(gid) } : undefined;
  } catch {
    return undefined;
  }
}

/** Give a file or tree to the server user (no-op when we are not root). */
export async function giveToServerUser(target: string, recursive = false): Promise<void> {
  const u = serverUser();
  if (!u.asUser) return;
  if (recursive) await run("chown", ["-R", `${u.uid}:${u.gid}`, target]);
  else await chown(target, u.uid, u.gid);
}

/**
 * Fail early, with a fix, when the server user cannot traverse to `target`: a mount under a
 * root-only home (mode 0700 /root) would otherwise surface as an obscure "permission denied".
 */
export async function assertReachable(target: string): Promise<void> {
  const u = serverUser();
  if (!u.asUser) return;
  let dir = path.resolve(target);
  const chain: string[] = [];
  while (true) {
    chain.unshift(dir);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const d of chain.slice(0, -1)) {
    const s = await stat(d);
    const bit = s.uid === u.uid ? 0o100 : s.gid === u.gid ? 0o010 : 0o001;
    if ((s.mode & bit) === 0) {
      throw new DbcloneError(
        `PostgreSQL runs as the OS user "${u.name}", which cannot enter ${d} (mode ${(s.mode & 0o777).toString(8)}, owner uid ${s.uid}) on the way to ${target}. ` +
          `Make it traversable (chmod o+x ${d}) or keep dbclone's data elsewhere (DBCLONE_HOME).`,
      );
    }
  }
}
