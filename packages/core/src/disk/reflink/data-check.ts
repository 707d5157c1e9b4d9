// An expanded image is data, never code: checked once, when it is expanded, instead of at every
// clone. Mounted read-only (norecovery: nothing is written), walked with lstat only (no link is
// ever followed): only directories and regular files, no hard or symbolic links, no devices,
// fifos, sockets or set-id bits, and one owner for the data (top-level files dbclone wrote itself,
// such as the engine file, may be root's).
import { lstat, mkdir, opendir, rmdir } from "node:fs/promises";
import path from "node:path";
import { CloneError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { run } from "../../runtime/exec.js";
import { unmountPath } from "../qcow2/mounts.js";

const MAX_ENTRIES = 2_000_000;

export async function checkExpandedImage(rawFile: string, what: string, reporter: Reporter): Promise<{ entries: number }> {
  const mnt = `${rawFile}.mnt`;
  await mkdir(mnt, { mode: 0o700 });
  try {
    await run("mount", ["-t", "xfs", "-o", "loop,ro,norecovery,nouuid", rawFile, mnt], { privileged: true, reporter, packageHint: "mount", timeoutMs: 60_000 });
    try {
      return await walk(mnt, what);
    } finally {
      await unmountPath(mnt, reporter);
    }
  } finally {
    await rmdir(mnt).catch(() => undefined);
  }
}

async function walk(root: string, what: string): Promise<{ entries: number }> {
  const owners = new Set<string>();
  const topLevelFiles: { p: string; owner: string }[] = [];
  let entries = 0;
  const refuse = (p: string, why: string): never => {
    throw new CloneError(`${what} holds ${path.relative(root, p) || "/"}, ${why}; refusing to clone it. Rebuild the image with dbclone build.`);
  };
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    const top = dir === root;
    for await (const e of await opendir(dir)) {
      const p = path.join(dir, e.name);
      const s = await lstat(p);
      if (++entries > MAX_ENTRIES) refuse(root, `more than ${MAX_ENTRIES} files`);
      if (s.isSymbolicLink()) refuse(p, "a symbolic link");
      if (s.mode & 0o6000) refuse(p, "a set-user/group-id file");
      const owner = `${s.uid}:${s.gid}`;
      if (top && s.isFile()) topLevelFiles.push({ p, owner });
      else owners.add(owner);
      if (s.isDirectory()) stack.push(p);
      else if (!s.isFile()) refuse(p, "neither a file nor a directory");
      else if (s.nlink > 1) refuse(p, `a file with ${s.nlink} hard links`);
    }
  }
  if (owners.size > 1) refuse(root, `files of ${owners.size} different owners (${[...owners].slice(0, 3).join(", ")})`);
  for (const f of topLevelFiles) if (f.owner !== "0:0" && !owners.has(f.owner)) refuse(f.p, `a file of another owner (${f.owner})`);
  return { entries };
}
