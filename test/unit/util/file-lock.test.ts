import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { withFileLock } from "../../../packages/core/src/util/index.js";
import { RepositoryError } from "../../../packages/core/src/errors.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-lock-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("aborts the work and fails when the lock is taken away while held", async () => {
  const target = path.join(dir, "blob");
  let aborted = false;
  const held = withFileLock(
    target,
    async (signal) => {
      // Another process removed our lock (it thought us dead): the next refresh notices.
      await rm(`${target}.lock`, { recursive: true, force: true });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 5000);
        signal.addEventListener("abort", () => {
          aborted = true;
          clearTimeout(t);
          resolve();
        });
      });
      return "finished";
    },
    { staleMs: 2000 },
  );
  await expect(held).rejects.toThrow(RepositoryError);
  await expect(held).rejects.toThrow(/lost the lock .*blob\.lock/);
  expect(aborted).toBe(true);
});

it("returns the work's result when the lock held throughout", async () => {
  expect(await withFileLock(path.join(dir, "x"), async (signal) => (signal.aborted ? "lost" : "kept"))).toBe("kept");
});
