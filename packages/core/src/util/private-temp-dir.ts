// A private temporary directory (mkdtemp: mode 0700) that its owner removes when done and, as a
// backstop for a thrown error nobody caught, the process removes when it exits. (A SIGKILL runs no
// exit hook: what such a directory holds must be safe to leave, e.g. encrypted under a key that
// lived only in memory.)
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const live = new Set<string>();
let hooked = false;

export interface PrivateTempDir {
  readonly path: string;
  /** Remove it and all it holds (idempotent). */
  remove(): void;
}

export function makePrivateTempDir(prefix: string, parent = os.tmpdir()): PrivateTempDir {
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const d of live) rmSync(d, { recursive: true, force: true });
    });
  }
  const dir = mkdtempSync(path.join(parent, prefix));
  live.add(dir);
  return {
    path: dir,
    remove() {
      rmSync(dir, { recursive: true, force: true });
      live.delete(dir);
    },
  };
}
