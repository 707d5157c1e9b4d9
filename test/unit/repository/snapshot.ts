// A listing of every path under a directory with its size and mtime, to assert "nothing was written".
import { readdir, stat } from "node:fs/promises";
import path from "node:path";

export async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  const st = await stat(root).catch(() => undefined);
  if (!st) return ["<missing>"];
  if (!st.isDirectory()) return [`<file ${st.size} ${st.mtimeMs}>`];
  async function walk(dir: string): Promise<void> {
    for (const d of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      const s = await stat(p);
      out.push(`${path.relative(root, p)} ${d.isDirectory() ? "dir" : s.size} ${s.mtimeMs}`);
      if (d.isDirectory()) await walk(p);
    }
  }
  await walk(root);
  return out.sort();
}
