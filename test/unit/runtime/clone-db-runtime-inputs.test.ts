// clone-db's runtime inputs: host by default; docker options only with runtime docker.
import { afterEach, describe, expect, it } from "vitest";
import { readRuntimeInputs } from "../../../actions/clone-db/src/runtime-inputs.js";
import { UsageError } from "../../../packages/core/src/errors.js";

const set: string[] = [];
function setInput(name: string, value: string) {
  const key = `INPUT_${name.toUpperCase()}`;
  process.env[key] = value;
  set.push(key);
}
afterEach(() => {
  for (const k of set.splice(0)) delete process.env[k];
});

describe("clone-db runtime inputs", () => {
  it("runs the server as a host process unless told otherwise", () => {
    expect(readRuntimeInputs()).toEqual({ runtime: "host" });
  });

  it("passes the container image and limits for runtime docker", () => {
    setInput("runtime", "docker");
    setInput("docker-image", "postgres:15-bookworm");
    setInput("memory", "1g");
    setInput("cpus", "1.5");
    expect(readRuntimeInputs()).toEqual({ runtime: "docker", docker: { image: "postgres:15-bookworm", memory: "1g", cpus: 1.5 } });
  });

  it("refuses an unknown runtime, bad limits, and docker inputs without runtime docker", () => {
    setInput("runtime", "podman");
    expect(() => readRuntimeInputs()).toThrow(UsageError);
    setInput("runtime", "docker");
    setInput("memory", "lots");
    expect(() => readRuntimeInputs()).toThrow(/memory.*512m/);
    setInput("memory", "1g");
    setInput("cpus", "-1");
    expect(() => readRuntimeInputs()).toThrow(/cpus/);
    setInput("runtime", "host");
    expect(() => readRuntimeInputs()).toThrow(/apply only with 'runtime: docker'/);
  });
});
