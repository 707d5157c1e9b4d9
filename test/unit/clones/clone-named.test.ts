// Asking again for a named clone (clones/named-clone.ts through createClone, on the fake platform of
// fake-platform.ts): a clone left half-made or whose server is gone is made again, never handed out;
// on-image-change recreate and fail; a name outside the caller's scope is neither reused nor
// replaced; a replacement's lifetime is its predecessor's as given.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CloneRegistry, createClone } from "../../../packages/core/src/clones/index.js";
import type { CreateCloneOptions } from "../../../packages/core/src/clones/lifecycle-types.js";
import { CloneError } from "../../../packages/core/src/errors.js";
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

beforeEach(async () => {
  ({ dir, home, world, repository } = await setUpCloneWorld("dbclone-clone-named-"));
});

afterEach(() => tearDownCloneWorld(dir));

function warnings(): Reporter & { warned: string[] } {
  const warned: string[] = [];
  return { ...silentReporter, warned, warn: (m: string) => void warned.push(m) };
}
const clone = (extra: Partial<CreateCloneOptions> = {}) =>
  createClone({ repository, ref: "shop:1.0.0", home, reporter: silentReporter, name: "branch-a", ...extra });
async function v2(): Promise<PublishedImage> {
  const disk = await makeDiskFile(dir);
  return repository.push(manifestForDisk(disk, { name: "shop", version: "2.0.0" }), disk.path);
}
const patch = (id: string, fields: Parameters<CloneRegistry["patch"]>[1]) => new CloneRegistry(home).patch(id, fields);

describe("a named clone that cannot be handed out is made again", () => {
  it("one left half-made by an earlier run, even with its server up and answering as itself", async () => {
    const first = await clone();
    await patch(first.clone.id, { state: "creating" });
    const again = await clone();
    expect(again.created).toBe(true);
    expect(again.replaced).toEqual({
      id: first.clone.id,
      reason: `clone ${first.clone.id} (branch-a) cannot be reused: it is still 'creating' (an earlier run stopped half-way); making it again from shop:1.0.0`,
    });
  });

  it("one whose recorded server process is gone (its port may answer for something else)", async () => {
    const first = await clone();
    await patch(first.clone.id, { serverPid: 2 ** 30 }); // no such process
    const again = await clone();
    expect(again.replaced?.reason).toBe(`clone ${first.clone.id} (branch-a) cannot be reused: its server is not running; making it again from shop:1.0.0`);
  });

  it("on a server clones share (no process of its own), one that answers as itself is handed back", async () => {
    world.shared = { host: "10.0.0.5", port: 1433 };
    const debug: string[] = [];
    const first = await clone({ reporter: { ...silentReporter, debug: (m: string) => void debug.push(m) } });
    expect(debug.join("\n")).toMatch(/\bfind name /); // the name's lookup is timed in the debug line
    const again = await clone();
    expect([again.created, again.clone.id]).toEqual([false, first.clone.id]);
  });
});

describe("a named clone of an older version of the image", () => {
  it("on-image-change recreate: made again from the new version, saying what was discarded", async () => {
    const first = await clone();
    const newer = await v2();
    const reporter = warnings();
    const again = await clone({ ref: "shop:2.0.0", onImageChange: "recreate", reporter });
    expect(again.created).toBe(true);
    expect(again.clone.image.manifestDigest).toBe(newer.manifestDigest);
    expect(again.replaced?.reason).toBe(
      `on-image-change recreate: clone ${first.clone.id} (branch-a) held shop:1.0.0; its data and every change made since ${first.clone.createdAt} are discarded for shop:2.0.0`,
    );
    expect(reporter.warned).toEqual([`Replacing the clone named branch-a: ${again.replaced!.reason}.`]);
  });

  it("on-image-change fail: refused, naming both versions and the choices; the clone is left as it was", async () => {
    const first = await clone();
    await v2();
    const e = await clone({ ref: "shop:2.0.0", onImageChange: "fail" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CloneError);
    expect((e as Error).message).toBe(
      `clone ${first.clone.id} (branch-a) holds shop:1.0.0, but shop:2.0.0 is now shop:2.0.0, and on-image-change is 'fail'. ` +
        "Keep the clone and its data (on-image-change: keep), take the new version (on-image-change: recreate, or reset), or tear it down first.",
    );
    expect((await new CloneRegistry(home).list()).map((r) => [r.id, r.state])).toEqual([[first.clone.id, "ready"]]);
  });

  it("asked for by digest: the kept clone's warning says which version was asked for", async () => {
    await clone();
    const newer = await v2();
    const reporter = warnings();
    const again = await clone({ ref: `shop@${newer.manifestDigest}`, reporter });
    expect(again.created).toBe(false);
    expect(reporter.warned[0]).toMatch(/it holds shop:1\.0\.0, and shop:2\.0\.0 was asked for\. /);
  });
});

describe("a name taken outside the caller's scope", () => {
  it("is neither reused nor replaced; inside the scope it is reused", async () => {
    const first = await clone({ labels: { "github-repository": "acme/shop" } });
    const e = await clone({ scope: { "github-repository": "evil/fork", env: "ci" } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CloneError);
    expect((e as Error).message).toBe(
      "a clone named 'branch-a' already exists on this runner, but it was not made with github-repository=evil/fork, env=ci: it is neither reused nor replaced. Choose another name.",
    );
    const e2 = await clone({ scope: { "github-repository": "evil/fork" }, reset: true }).catch((x: unknown) => x);
    expect(e2).toBeInstanceOf(CloneError);
    expect((await new CloneRegistry(home).list()).map((r) => r.id)).toEqual([first.clone.id]);
    expect((await clone({ scope: { "github-repository": "acme/shop" } })).clone.id).toBe(first.clone.id);
    expect((await clone({ scope: {} })).clone.id).toBe(first.clone.id);
  });
});

describe("a replacement's lifetime when none is asked for", () => {
  it("is the lifetime its predecessor was given, not what is left of it", async () => {
    const first = await clone({ ttlSeconds: 7200 });
    // Its expiry moved (as an extension would): the lifetime it was given still counts.
    await patch(first.clone.id, { expiresAt: new Date(Date.parse(first.clone.createdAt) + 60_000).toISOString() });
    expect((await clone({ reset: true })).clone.ttlSeconds).toBe(7200);
  });

  it("of a record that kept only its expiry (made by an older version): expiry minus creation", async () => {
    const first = await clone({ ttlSeconds: 5400 });
    await patch(first.clone.id, { ttlSeconds: undefined, expiresAt: new Date(Date.parse(first.clone.createdAt) + 5400_000).toISOString() });
    expect((await clone({ reset: true })).clone.ttlSeconds).toBe(5400);
  });

  it("none when the predecessor had none, or an expiry that is not after its creation", async () => {
    const first = await clone();
    const again = await clone({ reset: true });
    expect(again.clone.ttlSeconds).toBeUndefined();
    await patch(again.clone.id, { ttlSeconds: undefined, expiresAt: first.clone.createdAt, createdAt: first.clone.createdAt });
    expect((await clone({ reset: true })).clone.ttlSeconds).toBeUndefined();
    const third = (await new CloneRegistry(home).list())[0]!;
    await patch(third.id, { ttlSeconds: undefined, expiresAt: "not a date" });
    expect((await clone({ reset: true })).clone.ttlSeconds).toBeUndefined();
  });
});
