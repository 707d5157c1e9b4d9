// runAsProcess (packages/cli/src/run.ts): with exitWhenDone (the clone command's entry) the process
// ends once the command's output is flushed, with its exit code, whatever is still on the event loop;
// without it, the exit code is only set and Node ends the process when the loop is empty.
import { afterEach, describe, expect, it, vi } from "vitest";
import { runAsProcess } from "../../../packages/cli/src/run.js";

const settle = () => new Promise((r) => setTimeout(r, 20));

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe("runAsProcess", () => {
  it("with exitWhenDone, exits with the command's code once stdout and stderr took its output", async () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const order: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, "write").mockImplementation(((chunk: string, cb?: () => void) => {
      order.push(chunk === "" ? "flush" : "output");
      return write(chunk, cb);
    }) as typeof process.stdout.write);
    exit.mockImplementation(((code?: number) => {
      order.push(`exit ${code}`);
    }) as never);
    runAsProcess(
      async (_argv, io) => {
        io.stdout.write("{}\n");
        return 3;
      },
      { exitWhenDone: true },
    );
    await settle();
    expect(order).toEqual(["output", "flush", "exit 3"]);
  });

  it("a failure exits 1 the same way", async () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    vi.spyOn(process.stderr, "write").mockImplementation(((_c: string, cb?: () => void) => {
      cb?.();
      return true;
    }) as typeof process.stderr.write);
    runAsProcess(
      async () => {
        throw new Error("no");
      },
      { exitWhenDone: true },
    );
    await settle();
    expect(exit).toHaveBeenCalledWith(1);
  });

  it("without it, only sets the exit code", async () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    runAsProcess(async () => 0);
    await settle();
    expect(exit).not.toHaveBeenCalled();
    expect(process.exitCode).toBe(0);
  });
});
