// The unit tier's hermetic guard (test/hermetic-unit.ts) is on: a unit test that spawns a process,
// bundles (esbuild runs a service process) or listens on a fixed port fails, naming the tier to
// move it to; port 0 still works.
import { execFile, spawnSync } from "node:child_process";
import net from "node:net";
import { describe, expect, it } from "vitest";

describe("the unit tier is hermetic", () => {
  it("refuses child processes", () => {
    expect(() => spawnSync("true")).toThrow(/child_process\.spawnSync in a unit test \(test\/unit\/hermetic\.test\.ts\).*move this test to test\/integration/);
    expect(() => execFile("true")).toThrow(/child_process\.execFile in a unit test/);
  });

  it("refuses a fixed port and allows port 0", async () => {
    expect(() => net.createServer().listen(15999, "127.0.0.1")).toThrow(/listening on the fixed port 15999/);
    expect(() => net.createServer().listen({ port: 15998, host: "127.0.0.1" })).toThrow(/listening on the fixed port 15998/);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    expect((server.address() as net.AddressInfo).port).toBeGreaterThan(0);
    await new Promise((resolve) => server.close(resolve));
  });
});
