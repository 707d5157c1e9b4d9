// Containers dbclone made, found by label: gc removes those whose clone is dead, expired or unknown.
import type Docker from "dockerode";
import { LABEL_CLONE, LABEL_HOME } from "./container-spec.js";
import { removeContainer } from "./runtime.js";

export interface CloneContainer {
  id: string;
  cloneId: string;
  running: boolean;
  name: string;
}

/** Containers labelled dbclone.clone=<id> that belong to this dbclone home. */
export async function listCloneContainers(docker: Docker, home: string): Promise<CloneContainer[]> {
  const found = await docker.listContainers({ all: true, filters: { label: [LABEL_CLONE, `${LABEL_HOME}=${home}`] } });
  return found.map((c) => ({
    id: c.Id,
    cloneId: c.Labels[LABEL_CLONE] ?? "",
    running: c.State === "running",
    name: (c.Names[0] ?? "").replace(/^\//, ""),
  }));
}

/** Remove every container of this home whose clone id is not in `liveCloneIds`; returns what it removed. */
export async function removeOrphanContainers(docker: Docker, home: string, liveCloneIds: Set<string>): Promise<CloneContainer[]> {
  const removed: CloneContainer[] = [];
  for (const c of await listCloneContainers(docker, home)) {
    if (liveCloneIds.has(c.cloneId)) continue;
    await removeContainer(docker, c.id);
    removed.push(c);
  }
  return removed;
}

/** Labels for a clone's container. */
export function cloneLabels(cloneId: string, home: string): Record<string, string> {
  return { [LABEL_CLONE]: cloneId, [LABEL_HOME]: home };
}
