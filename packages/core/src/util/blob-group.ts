// The group that may read a repository's blobs (0440): DBCLONE_BLOB_GROUP, a group name or gid.
// Unset: the blobs stay with the publishing user's group.
import { readFileSync } from "node:fs";
import { UsageError } from "../errors.js";

/** The gid DBCLONE_BLOB_GROUP names, or undefined when it is unset. */
export function blobGroupId(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const wanted = env.DBCLONE_BLOB_GROUP?.trim();
  if (!wanted) return undefined;
  if (/^\d+$/.test(wanted)) return Number(wanted);
  let groups = "";
  try {
    groups = readFileSync("/etc/group", "utf8");
  } catch {
    // no /etc/group (e.g. Windows): the name cannot be resolved
  }
  for (const line of groups.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name === wanted && gid && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new UsageError(
    `DBCLONE_BLOB_GROUP names the group '${wanted}', which does not exist on this machine; create it or set a group name or gid that exists`,
  );
}
