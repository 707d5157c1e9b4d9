// Which OS user PostgreSQL runs as. The server refuses to run as root, so as root we use the
// `postgres` account (Debian/Ubuntu create it with the server package); otherwise ourselves.
import { execFileSync } from "node:child_process";
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
  let ids: string[];
  try {
    ids = execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim().split("\n");
    ids.push(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  } catch {
    throw new MissingToolError(
      "PostgreSQL cannot run as root and there is no `postgres` OS user. Install the server package (apt-get install postgresql) or run dbclone as a non-root user.",
    );
  }
  cached = { name: "postgres", uid: Number(ids[0]), gid: Number(ids[1]), asUser: "postgres" };
  return cached;
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
