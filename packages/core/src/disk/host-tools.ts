// Is a program on PATH? Synchronous and spawn-free, for choosing a driver before any work.
import { accessSync, constants } from "node:fs";
import path from "node:path";

export function onPathSync(program: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.PATH ?? "").split(path.delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(path.join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
