// An expanded image is data, never code: checked once, when it is expanded, instead of at every
// clone. Mounted read-only (norecovery: nothing is written) and walked by `find` running as the
// database's OS user (the user its server will run as; root only mounts), which never follows a
// link (-P) nor leaves the image (-xdev): only directories and regular files, no hard or symbolic
// links, devices, fifos, sockets or set-id bits, and one owner for the data (top-level files
// dbclone wrote itself, such as the engine file, may be root's). A tree that user cannot read is
// refused too: its server could not run on it.
import { mkdir, rmdir } from "node:fs/promises";
import path from "node:path";
import { CloneError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { run } from "../../runtime/exec.js";
import { pausePoint } from "../../util/pause-point.js";
import { unmountPath } from "../qcow2/mounts.js";

export interface CheckOptions {
  /** The OS user to walk as (root: switched with runuser); undefined walks as ourselves. */
  asUser?: string;
  /** Where the check mount goes (default: beside the image); `asUser` must be able to reach it. */
  mountDir?: string;
}

export async function checkExpandedImage(rawFile: string, what: string, reporter: Reporter, opts: CheckOptions = {}): Promise<{ entries: number }> {
  const mnt = path.join(opts.mountDir ?? path.dirname(rawFile), `${path.basename(rawFile)}.mnt`);
  await mkdir(path.dirname(mnt), { recursive: true, mode: 0o711 });
  await mkdir(mnt, { mode: 0o700 });
  try {
    await run("mount", ["-t", "xfs", "-o", "loop,ro,norecovery,nouuid", rawFile, mnt], { privileged: true, reporter, packageHint: "mount", timeoutMs: 60_000 });
    try {
      await pausePoint("expand:checking");
      return await walk(mnt, what, opts.asUser, reporter);
    } finally {
      await unmountPath(mnt, reporter);
    }
  } finally {
    await rmdir(mnt).catch(() => undefined);
  }
}

/** One `find` over the image as `asUser`: `\0`-separated records from -printf. */
async function find(root: string, args: string[], asUser: string | undefined, what: string, reporter: Reporter): Promise<string[]> {
  const r = await run("find", ["-P", root, "-xdev", ...args], {
    asUser,
    cwd: "/",
    reporter,
    packageHint: "findutils",
    allowFailure: true,
    timeoutMs: 60 * 60_000,
  });
  if (r.code !== 0) {
    // stderr names the path find could not read, inside the image: no data values.
    const detail =
      r.stderr
        .split("\n")
        .find((l) => l.trim())
        ?.replace(root, "") ?? `exit ${r.code}`;
    throw new CloneError(
      `${what} cannot be read whole by the database's OS user${asUser ? ` (${asUser})` : ""} (${detail.trim()}); refusing to clone it. Rebuild the image with dbclone build.`,
    );
  }
  return r.stdout.split("\0").filter((l) => l !== "");
}

async function walk(root: string, what: string, asUser: string | undefined, reporter: Reporter): Promise<{ entries: number }> {
  const refuse = (p: string, why: string): never => {
    throw new CloneError(`${what} holds ${p || "/"}, ${why}; refusing to clone it. Rebuild the image with dbclone build.`);
  };
  // Every entry prints a dot (the count); the first one of a kind refused prints itself and stops.
  const problems: [string, string][] = [
    ["-type l", "l"],
    ["! -type d ! -type f", "x"],
    ["-perm /6000", "s"],
    ["-type f -links +1", "h%n"],
  ];
  const expr: string[] = ["-mindepth", "1", "-printf", ".", ","];
  problems.forEach(([test, tag], i) => {
    if (i > 0) expr.push("-o");
    expr.push("(", ...test.split(" "), "-printf", `\\0${tag} %P\\0`, "-quit", ")");
  });
  const [dots = "", found] = await find(root, expr, asUser, what, reporter);
  if (found) {
    const m = /^(l|x|s|h(\d+)) (.*)$/s.exec(found)!;
    const why =
      m[1] === "l"
        ? "a symbolic link"
        : m[1] === "x"
          ? "neither a file nor a directory"
          : m[1] === "s"
            ? "a set-user/group-id file"
            : `a file with ${m[2]} hard links`;
    refuse(m[3]!, why);
  }

  // One owner for the data: the owner of its top-level directories, then anything deeper that differs.
  const top = (await find(root, ["-mindepth", "1", "-maxdepth", "1", "-printf", "%y %U:%G %P\\0"], asUser, what, reporter)).map((l) => {
    const [type, owner, ...name] = l.split(" ");
    return { type: type!, owner: owner!, name: name.join(" ") };
  });
  const owners = new Set(top.filter((t) => t.type !== "f").map((t) => t.owner));
  const ownerList = (extra: string[] = []) => [...new Set([...owners, ...extra])].slice(0, 3).join(", ");
  if (owners.size > 1) refuse("", `files of ${owners.size} different owners (${ownerList()})`);
  for (const f of top) if (f.type === "f" && f.owner !== "0:0" && !owners.has(f.owner)) refuse(f.name, `a file of another owner (${f.owner})`);
  const [owner] = owners;
  if (owner) {
    const [uid, gid] = owner.split(":");
    const other = await find(root, ["-mindepth", "2", "!", "(", "-uid", uid!, "-gid", gid!, ")", "-printf", "%U:%G %P\\0", "-quit"], asUser, what, reporter);
    if (other[0]) refuse("", `files of 2 different owners (${ownerList([other[0].split(" ")[0]!])})`);
  }
  return { entries: dots.length };
}
