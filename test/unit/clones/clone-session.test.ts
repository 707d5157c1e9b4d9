// What a clone is made with, through createClone on the fake platform of fake-platform.ts (a real
// directory repository and registry in a temp directory): its secrets registered before anything
// prints them, its server started on its own mount, port and identity, a replacement keeping what
// the workflow holds, a shared server's address and login, and the refusals made before anything
// exists. The identity, TTL and undo gates: clone-gates.test.ts.
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CloneRegistry, createClone } from "../../../packages/core/src/clones/index.js";
import type { CreateCloneOptions } from "../../../packages/core/src/clones/lifecycle-types.js";
import { DiskFullError, UsageError } from "../../../packages/core/src/errors.js";
import type { FsRepository } from "../../../packages/core/src/repository/index.js";
import type { PublishedImage } from "../../../packages/core/src/repository/types.js";
import { silentReporter, type Reporter } from "../../../packages/core/src/reporter.js";
import { makeDiskFile, manifestForDisk } from "../_helpers/manifest.js";
import { setUpCloneWorld, tearDownCloneWorld } from "./clone-world.js";
import type { FakeWorld } from "./fake-platform.js";

vi.mock("../../../packages/core/src/platform/index.js", async (o) => (await import("./fake-host.js")).platformModule(o));
vi.mock("../../../packages/core/src/util/process-identity.js", async (o) => (await import("./fake-host.js")).processIdentityModule(o));
vi.mock("../../../packages/core/src/clones/ports.js", async (o) => (await import("./fake-host.js")).portsModule(o));

let dir: string;
let home: string;
let world: FakeWorld;
let repository: FsRepository;
let image: PublishedImage;

beforeEach(async () => {
  ({ dir, home, world, repository, image } = await setUpCloneWorld("dbclone-clone-session-"));
});

afterEach(() => tearDownCloneWorld(dir));

/** A reporter that keeps every line and every secret it was given. */
function recording(): Reporter & { lines: string[]; secrets: string[] } {
  const lines: string[] = [];
  const secrets: string[] = [];
  const say = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { ...silentReporter, lines, secrets, info: say("info"), warn: say("warn"), debug: say("debug"), secret: (v: string) => void secrets.push(v) };
}

const clone = (extra: Partial<CreateCloneOptions> = {}) => createClone({ repository, ref: "shop:1.0.0", home, reporter: silentReporter, ...extra });

describe("a new clone", () => {
  it("registers its password and connection string as secrets, and never says them", async () => {
    const reporter = recording();
    const made = await clone({ reporter, name: "branch-a" });
    expect(reporter.secrets).toEqual(expect.arrayContaining([made.clone.password, made.credentials.connectionString]));
    for (const line of reporter.lines) expect(line).not.toContain(made.clone.password);
    expect(made.clone.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it("starts its server over its own mount, on its port and address, with its identity, ephemeral, within 120 s by default, ready in its first database", async () => {
    const made = await clone();
    expect(world.starts).toEqual([
      {
        mountPath: made.clone.mountPath,
        opts: {
          port: made.clone.port,
          host: "127.0.0.1",
          runDir: path.join(made.clone.dir, "run"),
          durability: "ephemeral",
          cloneId: made.clone.id,
          imageDigest: image.manifestDigest,
          timeoutMs: 120_000,
          runtime: undefined,
          runtimeLabels: undefined,
          listenAll: false,
          readyDatabase: made.clone.databases[0],
        },
      },
    ]);
    expect(made.clone.databases[0]).toBeDefined();
    expect(made.clone.serverPid).toBe(process.pid);
    const durable = await clone({ durability: "durable", timeoutMs: 5000, host: "127.0.0.2" });
    expect(world.starts[1]!.opts).toMatchObject({ durability: "durable", timeoutMs: 5000, host: "127.0.0.2" });
    expect(durable.clone.host).toBe("127.0.0.2");
  });

  it("has its login prepared (PostgreSQL: the SCRAM verifier derived) before its server starts, with its own password", async () => {
    const made = await clone();
    expect(world.preparedLogins).toEqual([{ password: made.credentials.password, startsBefore: 0 }]);
  });

  it("tells the driver the pulled base is verified, reports the child's own bytes unless told not to, and is audited with its name", async () => {
    const made = await clone({ name: "branch-a" });
    expect([...world.verifiedBlobs.values()]).toEqual([image.manifest.disk.digest]);
    expect(made.childDiskBytes).toBe(`child of ${image.manifest.disk.digest}\n`.length);
    expect((await clone({ measureChildDisk: false })).childDiskBytes).toBeUndefined();
    const events = (await repository.audit.read()).filter((e) => e.action === "clone");
    expect(events.map((e) => [e.outcome, e.clone, e.detail, e.image, e.digest])).toEqual([
      ["success", made.clone.id, "name=branch-a", "shop:1.0.0", image.manifestDigest],
      ["success", expect.any(String), undefined, "shop:1.0.0", image.manifestDigest],
    ]);
  });

  it("a disk that fills up while cloning is reported as a full disk, naming what was being done", async () => {
    world.failAt.set("createChild", Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }));
    const e = await clone().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DiskFullError);
    expect((e as Error).message).toMatch(/^no space left while cloning shop:1\.0\.0, on /);
  });
});

describe("refused before anything is made", () => {
  it("a database the image does not hold", async () => {
    await expect(clone({ database: "billing" })).rejects.toThrow(
      new UsageError("database 'billing' is not in shop:1.0.0; it holds: orders. Choose one of those."),
    );
    expect(world.starts).toEqual([]);
    expect(await new CloneRegistry(home).list()).toEqual([]);
  });

  it("a container per clone for an engine whose clones share one server", async () => {
    world.shared = { host: "10.0.0.5", port: 1433 };
    await expect(clone({ runtime: "docker" })).rejects.toThrow(UsageError);
    await expect(clone({ runtime: "docker" })).rejects.toThrow(/--runtime docker is not available for them/);
    expect(world.starts).toEqual([]);
    expect(await new CloneRegistry(home).list()).toEqual([]);
  });
});

describe("a clone on a server clones share", () => {
  it("is reached at the shared server's address and port with a login of its own, and records the databases attached for it", async () => {
    world.shared = { host: "10.0.0.5", port: 1433 };
    const made = await clone();
    expect(made.clone).toMatchObject({ host: "10.0.0.5", port: 1433, user: `clone_${made.clone.id}`, databases: [`orders__${made.clone.id}`] });
    expect(made.clone.serverPid).toBeUndefined();
    expect(world.starts[0]!.opts).toMatchObject({ host: "10.0.0.5", port: 1433 });
    expect(world.verified[0]).toMatchObject({ port: 1433, user: `clone_${made.clone.id}`, cloneId: made.clone.id });
  });
});

describe("asking again for a named clone", () => {
  it("a reset keeps the name, port, login, password and labels of the clone it replaces, and adds new labels", async () => {
    const first = await clone({ name: "branch-a", labels: { branch: "x" } });
    const reporter = recording();
    const again = await clone({ name: "branch-a", reset: true, labels: { team: "shop" }, reporter });
    expect(again.clone.id).not.toBe(first.clone.id);
    expect(again.clone).toMatchObject({ name: "branch-a", port: first.clone.port, user: first.clone.user, password: first.clone.password });
    expect(again.clone.labels).toEqual({ branch: "x", team: "shop" });
    expect(again.replaced).toEqual({ id: first.clone.id, reason: expect.stringMatching(/^reset requested: /) });
    expect(reporter.lines).toContain(`warn Replacing the clone named branch-a: ${again.replaced!.reason}.`);
  });

  it("reused as it is: says so (with its runner), hands back its own login, and measures its disk unless told not to", async () => {
    const first = await clone({ name: "branch-a", labels: { runner: "r1" } });
    const reporter = recording();
    const again = await clone({ name: "branch-a", reporter });
    expect(reporter.lines).toContain(`info Reusing clone ${first.clone.id} (branch-a) on runner r1 of shop:1.0.0`);
    expect(again).toMatchObject({ created: false, image: { manifestDigest: image.manifestDigest }, newerImage: undefined });
    expect(again.credentials.connectionString).toBe(first.credentials.connectionString);
    expect(again.childDiskBytes).toBe(first.childDiskBytes);
    expect((await clone({ name: "branch-a", measureChildDisk: false })).childDiskBytes).toBeUndefined();
  });

  it("kept with its data when the image moved on, saying which newer version was asked for", async () => {
    const first = await clone({ name: "branch-a" });
    const disk2 = await makeDiskFile(dir);
    const v2 = await repository.push(manifestForDisk(disk2, { name: "shop", version: "2.0.0" }), disk2.path);
    const reporter = recording();
    const again = await clone({ name: "branch-a", ref: "shop:2.0.0", reporter });
    expect(again.created).toBe(false);
    expect(again.clone.id).toBe(first.clone.id);
    expect(again.newerImage).toEqual({ name: "shop", version: "2.0.0", manifestDigest: v2.manifestDigest });
    expect(reporter.lines.filter((l) => l.startsWith("warn"))).toEqual([
      `warn Kept clone ${first.clone.id} (branch-a) with its data: it holds shop:1.0.0, and shop:2.0.0 is now shop:2.0.0. ` +
        "To take the new version (losing the clone's data), use on-image-change: recreate or reset.",
    ]);
  });
});
