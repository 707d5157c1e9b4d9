// A clone's session (clones/session.ts through createClone, on the fake platform of
// fake-platform.ts) where it is hard: undo steps that fail themselves (each is named, none stops
// the others), a container runtime, an engine and driver without the contracts' optional parts,
// and what a failure records. The main gates: clone-gates.test.ts.
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CloneRegistry, createClone, teardownClones } from "../../../packages/core/src/clones/index.js";
import type { CreateCloneOptions } from "../../../packages/core/src/clones/lifecycle-types.js";
import { CloneError, DiskFullError } from "../../../packages/core/src/errors.js";
import type { FsRepository } from "../../../packages/core/src/repository/index.js";
import type { PublishedImage } from "../../../packages/core/src/repository/types.js";
import { silentReporter, type Reporter } from "../../../packages/core/src/reporter.js";
import type { Runtime } from "../../../packages/core/src/runtime/types.js";
import { setUpCloneWorld, tearDownCloneWorld } from "./clone-world.js";
import { fakeHost } from "./fake-host.js";
import type { FakeWorld } from "./fake-platform.js";

const current = vi.hoisted(() => ({
  runtime: undefined as Runtime | undefined,
  fsynced: [] as string[],
  /** The logins made when each deferred fsync finished (the reserve's must finish before any). */
  loginsAtDeferredSync: [] as number[],
  world: undefined as { loginsMade: string[] } | undefined,
}));
// The registry's fsynced writes are counted (the written bytes are the same either way).
vi.mock("../../../packages/core/src/util/durable-write.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../../packages/core/src/util/durable-write.js")>();
  return {
    ...original,
    writeFileAtomic: (file: string, ...rest: [string | Uint8Array, number]) => {
      current.fsynced.push(path.basename(file));
      return original.writeFileAtomic(file, ...rest);
    },
    // A slow disk: the deferred fsync finishes well after the steps it overlaps have started.
    syncFileAndDir: async (file: string) => {
      await new Promise((r) => setTimeout(r, 30));
      await original.syncFileAndDir(file);
      current.fsynced.push(`${path.basename(file)} (deferred)`);
      current.loginsAtDeferredSync.push(current.world?.loginsMade.length ?? -1);
    },
  };
});
vi.mock("../../../packages/core/src/platform/index.js", async (o) => (await import("./fake-host.js")).platformModule(o));
vi.mock("../../../packages/core/src/util/process-identity.js", async (o) => (await import("./fake-host.js")).processIdentityModule(o));
vi.mock("../../../packages/core/src/clones/ports.js", async (o) => (await import("./fake-host.js")).portsModule(o));
// The container runtime is a fake too (the unit tier runs no docker).
vi.mock("../../../packages/core/src/runtime/index.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../../packages/core/src/runtime/index.js")>();
  return {
    ...original,
    runtimeFor: async (...args: unknown[]) => {
      (await import("./fake-host.js")).fakeHost.chosen.push(["runtimeFor", ...args]);
      return current.runtime!;
    },
  };
});

let dir: string;
let home: string;
let world: FakeWorld;
let repository: FsRepository;
let image: PublishedImage;

beforeEach(async () => {
  ({ dir, home, world, repository, image } = await setUpCloneWorld("dbclone-clone-undo-"));
  current.world = world;
  current.loginsAtDeferredSync.length = 0;
});

afterEach(async () => {
  current.runtime = undefined;
  await tearDownCloneWorld(dir);
});

function recording(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  const say = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { ...silentReporter, lines, info: say("info"), warn: say("warn"), debug: say("debug") };
}
const clone = (extra: Partial<CreateCloneOptions> = {}) => createClone({ repository, ref: "shop:1.0.0", home, reporter: silentReporter, ...extra });

describe("undoing a failed clone", () => {
  it("an undo step that fails is named in a warning, and the others still run (the server is stopped fast)", async () => {
    world.failAt.set("verifyIdentity", new Error("not this clone"));
    for (const u of ["destroy", "unmount", "stop", "dropLogin"] as const) world.failUndo.add(u);
    const reporter = recording();
    await expect(clone({ reporter })).rejects.toThrow(/not this clone/);
    const warned = reporter.lines.filter((l) => l.startsWith("warn cleanup: "));
    expect(warned.sort()).toEqual([
      "warn cleanup: delete the child disk failed: permission denied",
      "warn cleanup: drop the clone's login failed: login is in use",
      "warn cleanup: stop the clone's server failed: server did not stop",
      "warn cleanup: unmount the child disk failed: device is busy",
    ]);
    expect(world.stops.map((s) => s.fast)).toEqual([true]);
    expect(await new CloneRegistry(home).list()).toEqual([]);
  });

  it("records the cause, and at most 500 characters of the failure in the audit log", async () => {
    const cause = new Error(`mount refused: ${"x".repeat(600)}`);
    world.failAt.set("mount", cause);
    const e = await clone().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CloneError);
    expect((e as Error).cause).toBe(cause);
    const failure = (await repository.audit.read()).at(-1)!;
    expect(failure.detail).toBe(cause.message.slice(0, 500));
  });

  it("a full disk names the filesystem of the clone's directory and its free space", async () => {
    world.failAt.set("mount", Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" }));
    const e = await clone().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DiskFullError);
    expect((e as Error).message).toMatch(/^no space left while cloning shop:1\.0\.0, on \/.*: [\d.]+ \S+ free of [\d.]+ \S+; nothing partial was kept/);
  });
});

// The reserve's 'creating' record is what gc removes a crashed clone from, so it is fsynced; with a
// server of its own, a power loss ends the clone anyway and the later notes skip the fsync, and the
// reserve's own fsync overlaps the disk and server steps. A shared server outlives a power loss with
// the clone attached: its every note must stay durable, the reserve's before anything is attached.
describe("what the clone registry fsyncs", () => {
  const registryFsyncs = () => current.fsynced.filter((f) => f.startsWith("registry.json"));

  it("a clone with a server of its own fsyncs only its reserve, later; one on a shared server fsyncs every note at once", async () => {
    current.fsynced.length = 0;
    await clone();
    expect(registryFsyncs()).toEqual(["registry.json (deferred)"]); // attachment, server and ready are not fsynced
    world.shared = { host: "127.0.0.1", port: 1433 };
    current.fsynced.length = 0;
    await clone();
    expect(registryFsyncs()).toEqual(Array(5).fill("registry.json")); // reserve, port, attachment, server, ready
  });

  it("the reserve's deferred fsync has finished before the clone's login exists", async () => {
    await clone();
    expect(current.loginsAtDeferredSync).toEqual([0]);
  });
});

// The audit event is appended while the login is made: still durable before the clone is handed out.
describe("the clone's audit event", () => {
  /** The repository, with a log whose success events take 50 ms to append. */
  function slowLog(): { repository: FsRepository; appended: string[] } {
    const appended: string[] = [];
    const slow = Object.create(repository) as FsRepository;
    Object.defineProperty(slow, "audit", {
      value: {
        append: async (...args: Parameters<FsRepository["audit"]["append"]>) => {
          if (args[0].outcome === "success") await new Promise((r) => setTimeout(r, 50));
          await repository.audit.append(...args);
          appended.push(args[0].outcome);
        },
      },
    });
    return { repository: slow, appended };
  }

  it("is written before the clone is handed out, however slow the log is", async () => {
    const log = slowLog();
    await clone({ repository: log.repository });
    expect(log.appended).toEqual(["success"]);
  });

  it("a login that fails while it is written is audited as a failure after it", async () => {
    world.failAt.set("createLogin", new Error("createLogin went wrong"));
    await expect(clone({ repository: slowLog().repository })).rejects.toThrow(/createLogin went wrong/);
    await new Promise((r) => setTimeout(r, 100)); // a success event still being written would land by now
    const events = (await repository.audit.read()).filter((e) => e.action === "clone");
    expect(events.at(-1)).toMatchObject({ outcome: "failure", detail: "createLogin went wrong" });
    expect(events.map((e) => e.outcome).filter((o) => o === "failure")).toHaveLength(1);
  });
});

describe("an engine and driver without the contracts' optional parts", () => {
  it("clone, measure (allocated blocks) and undo without them", async () => {
    world.minimal = true;
    const made = await clone();
    expect(made.childDiskBytes).toBeGreaterThan(0);
    expect(made.childDiskBytes! % 512).toBe(0);
    world.failAt.set("verifyIdentity", new Error("not this clone"));
    const reporter = recording();
    await expect(clone({ reporter })).rejects.toThrow(/not this clone/);
    expect(reporter.lines.filter((l) => l.startsWith("warn"))).toEqual([]);
  });
});

describe("a clone in a container", () => {
  let failStop = false;
  const fakeRuntime = (checkAvailable = async () => undefined): Runtime & { stopped: string[] } => {
    const stopped: string[] = [];
    return {
      kind: "docker",
      stopped,
      start: async () => {
        throw new Error("the engine starts its own container");
      },
      stop: async (h, o) => {
        stopped.push(`${h.containerId} fast=${o?.fast}`);
        if (failStop) throw new Error("container is stuck");
      },
      isRunning: async () => true,
      checkAvailable,
    };
  };

  it("a missing container engine is refused before anything is made", async () => {
    current.runtime = fakeRuntime(async () => {
      throw new CloneError("Docker is not running");
    });
    await expect(clone({ runtime: "docker" })).rejects.toThrow("Docker is not running");
    expect(world.starts).toEqual([]);
    expect(await new CloneRegistry(home).list()).toEqual([]);
  });

  it("starts in the runtime, labelled as this clone's and listening on its own network when bridged; its container is recorded and removed on failure", async () => {
    const runtime = fakeRuntime();
    current.runtime = runtime;
    const reporter = recording();
    const made = await clone({ runtime: "docker", reporter });
    const { opts } = world.starts[0]!;
    expect(opts.runtime).toBe(runtime);
    expect(opts.listenAll).toBe(true);
    expect(opts.runtimeLabels).toMatchObject({ "dbclone.clone": made.clone.id });
    expect(made.clone).toMatchObject({ runtime: "docker", containerId: `c0ffee${made.clone.id}0123456789` });
    const ready = reporter.lines.filter((l) => l.startsWith("debug Clone "));
    expect(ready).toHaveLength(1);
    expect(ready[0]!.replace(/ready in \d+\.\d{3} s/, "ready in T s")).toBe(
      `debug Clone ${made.clone.id} of shop:1.0.0 ready in T s on 127.0.0.1:${made.clone.port} (container ${made.clone.containerId!.slice(0, 12)})`,
    );
    expect(fakeHost.chosen.filter((c) => c[0] === "runtimeFor")).toEqual([["runtimeFor", "docker", { hostAddress: "127.0.0.1" }]]);
    await clone({ runtime: "docker", docker: { network: "host" }, host: "127.0.0.2" });
    expect(fakeHost.chosen.filter((c) => c[0] === "runtimeFor")[1]).toEqual(["runtimeFor", "docker", { network: "host", hostAddress: "127.0.0.2" }]);
    expect(world.starts[1]!.opts.listenAll).toBe(false);
    world.failAt.set("verifyIdentity", new Error("not this clone"));
    await expect(clone({ runtime: "docker" })).rejects.toThrow(/not this clone/);
    const failed = (await repository.audit.read()).at(-1)!.clone!;
    expect(runtime.stopped).toEqual([`c0ffee${failed}0123456789 fast=true`]);
    failStop = true;
    const reporter2 = recording();
    await expect(clone({ runtime: "docker", reporter: reporter2 })).rejects.toThrow(/not this clone/);
    expect(reporter2.lines).toContain("warn cleanup: remove the clone's container failed: container is stuck");
    failStop = false;
  });
});

describe("what a clone is made from and with", () => {
  it("the platform is chosen for the image's engine with the disk asked for; the steps are timed in the debug line", async () => {
    const reporter = recording();
    const made = await clone({ disk: "qcow2", reporter });
    expect(fakeHost.chosen[0]).toEqual(["postgres", home, { disk: "qcow2", reporter }]);
    expect(made.clone.databases).toEqual(["orders"]);
    const steps = reporter.lines.find((l) => l.startsWith("debug clone steps: "))!;
    for (const step of ["open", "resolve", "pull", "reserve", "child", "mount", "start", "login", "audit", "ready", "own bytes"]) {
      expect(steps).toMatch(new RegExp(`\\b${step} `));
    }
    expect(reporter.lines).toContainEqual(expect.stringMatching(/^debug Clone \S+ of shop:1\.0\.0 ready in \d+\.\d{3} s on 127\.0\.0\.1:\d+$/));
    expect((await clone({ name: "b", reporter: recording() })).clone.image).toEqual({
      name: "shop",
      version: "1.0.0",
      manifestDigest: image.manifestDigest,
      diskDigest: image.manifest.disk.digest,
    });
  });

  it("a reset keeps its port even when a lower one has come free, and its old mount and disk are gone", async () => {
    const other = await clone();
    const named = await clone({ name: "branch-a" });
    await teardownClones({ home, reporter: silentReporter, id: other.clone.id });
    const again = await clone({ name: "branch-a", reset: true });
    expect(again.clone.port).toBe(named.clone.port);
    expect([...world.mounts]).toEqual([again.clone.mountPath]);
    expect([...world.children]).toEqual([again.clone.childFile]);
  });

  it("the base's download is shown as a byte progress named after the image", async () => {
    const pulling = Object.create(repository) as FsRepository;
    pulling.pull = async (img, opts) => {
      opts?.onProgress?.(10, 4096);
      return repository.pull(img, opts);
    };
    const labels: string[] = [];
    const reporter: Reporter = {
      ...silentReporter,
      progress: (label, total, o) => {
        labels.push(`${label} ${total} ${o?.unit}`);
        return { update: () => undefined, finish: () => undefined };
      },
    };
    await createClone({ repository: pulling, ref: "shop:1.0.0", home, reporter });
    expect(labels).toEqual(["Pulling and verifying shop:1.0.0 4096 bytes"]);
  });
});
