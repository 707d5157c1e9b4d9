// A qcow2 layer chain described explicitly (node by node), so nothing depends on the backing
// paths written in layer headers: published layers carry none, and a child's header path is
// only a hint. Used by qemu-storage-daemon (--blockdev) and qemu-img (json: filenames).

/** JSON --blockdev options: every parent read-only with its backing set by node name, then the writable top. */
export function chainBlockdevArgs(diskFile: string, parentsNearestFirst: string[]): string[] {
  const args: string[] = [];
  const bottomUp = [...parentsNearestFirst].reverse();
  let below: string | null = null;
  bottomUp.forEach((file, i) => {
    const node = `layer${i}`;
    args.push("--blockdev", JSON.stringify({ driver: "file", "node-name": `${node}-file`, filename: file, "read-only": true }));
    args.push("--blockdev", JSON.stringify({ driver: "qcow2", "node-name": node, file: `${node}-file`, "read-only": true, backing: below }));
    below = node;
  });
  // discard=unmap lets fstrim / deletes inside the filesystem free clusters in the qcow2;
  // detect-zeroes=unmap stores zero-filled writes (PostgreSQL pre-zeroes every new 16 MB WAL
  // segment) as zero flags instead of data, so they cost neither the child nor a promoted layer.
  args.push("--blockdev", JSON.stringify({ driver: "file", "node-name": "file0", filename: diskFile, discard: "unmap" }));
  args.push("--blockdev", JSON.stringify({ driver: "qcow2", "node-name": "disk0", file: "file0", discard: "unmap", "detect-zeroes": "unmap", backing: below }));
  return args;
}

interface Qcow2Node {
  driver: "qcow2";
  file: { driver: "file"; filename: string };
  backing: Qcow2Node | null;
}

/** `json:{…}` filename for qemu-img that opens `top` over `parentsNearestFirst`, ignoring header paths. */
export function chainJsonFilename(top: string, parentsNearestFirst: string[]): string {
  let node: Qcow2Node | null = null;
  for (const file of [...parentsNearestFirst].reverse()) node = { driver: "qcow2", file: { driver: "file", filename: file }, backing: node };
  const spec: Qcow2Node = { driver: "qcow2", file: { driver: "file", filename: top }, backing: node };
  return `json:${JSON.stringify(spec)}`;
}
