// One answer to "is this path inside that directory", for every scope check (gc, teardown, stray
// servers, an image's links). Lexical: both resolved, links not followed (callers that must follow
// them pass realpaths). A child named "..x" is inside; ".." and "../x" are not.
import path from "node:path";

export function isWithin(p: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(p));
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
