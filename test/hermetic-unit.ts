// The unit tier is hermetic: no child processes (so no bundling either: esbuild runs a service
// process) and no fixed TCP ports. This setup file runs before every test file; in test/unit it
// swaps child_process's functions and net listening on a fixed port for ones that throw, naming
// the tier a test that needs them belongs to. Integration and e2e files are left alone.
import childProcess from "node:child_process";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";
import path from "node:path";
import { expect } from "vitest";

const testPath = expect.getState().testPath ?? "";
const unitDir = path.join(path.resolve(import.meta.dirname, "unit"), path.sep);

if (testPath.startsWith(unitDir)) {
  const refuse = (what: string) => () => {
    throw new Error(`${what} in a unit test (${path.relative(process.cwd(), testPath)}): the unit tier is hermetic; move this test to test/integration`);
  };
  for (const name of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"] as const) {
    (childProcess as unknown as Record<string, unknown>)[name] = refuse(`child_process.${name}`);
  }
  syncBuiltinESMExports();
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    const first = args[0];
    const port = typeof first === "object" && first !== null ? (first as net.ListenOptions).port : first;
    if (typeof port === "number" && port !== 0) refuse(`listening on the fixed port ${port}`)();
    if (typeof port === "string" && /^\d+$/.test(port) && Number(port) !== 0) refuse(`listening on the fixed port ${port}`)();
    return listen.apply(this, args as Parameters<typeof listen>);
  } as typeof listen;
}
