// The gates between a user and someone else's database, through createClone on a fake platform
// (fake-platform.ts: the CloneEngine and DiskDriver contracts in memory), a real directory
// repository and a real clone registry in a temp directory. A clone is handed out, new or reused by
// name, only after the server on its port proves it is that clone of that image; it never lives
// longer than its repository allows; and a clone that fails at any step leaves nothing behind.
// The same gates on real PostgreSQL: test/integration/clones/identity-and-ttl.test.ts.
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CloneRegistry, createClone } from "../../../packages/core/src/clones/index.js";
import type { CreateCloneOptions } from "../../../packages/core/src/clones/lifecycle-types.js";
import { CloneError } from "../../../packages/core/src/errors.js";
import type { FsRepository } from "../../../packages/core/src/repository/index.js";
import type { PublishedImage } from "../../../packages/core/src/repository/types.js";
import { silentReporter, type Reporter } from "../../../packages/core/src/reporter.js";
import { setUpCloneWorld, tearDownCloneWorld } from "./clone-world.js";
import type { FakeWorld, FakeStep } from "./fake-platform.js";

vi.mock("../../../packages/core/src/platform/index.js", async (o) => (await import("./fake-host.js")).platformModule(o));
vi.mock("../../../packages/core/src/util/process-identity.js", async (o) => (await import("./fake-host.js")).processIdentityModule(o));
vi.mock("../../../packages/core/src/clones/ports.js", async (o) => (await import("./fake-host.js")).portsModule(o));

let dir: string;
let home: string;
let world: FakeWorld;
let repository: FsRepository;
let image: PublishedImage;

beforeEach(async () => {
  ({ dir, home, world, repository, image } = await setUpCloneWorld("dbclone-clone-gates-"));
});

afterEach(() => tearDownCloneWorld(dir));

const clone = (extra: Partial<CreateCloneOptions> = {}) => createClone({ repository, ref: "shop:1.0.0", home, reporter: silentReporter, ...extra });

/** Set the repository's maxTtl (as `dbclone-repository.json` holds it). */
async function setMaxTtl(maxTtl: string): Promise<void> {
  const file = path.join(dir, "repo", "dbclone-repository.json");
  const config = JSON.parse(await readFile(file, "utf8"));
  await writeFile(file, JSON.stringify({ ...config, config: { ...config.config, maxTtl } }));
}

/** The clone directories left under the home (the registry's own files aside). */
async function cloneDirs(): Promise<string[]> {
  return (await readdir(path.join(home, "clones")).catch(() => [] as string[])).filter((n) => !n.startsWith("registry.json"));
}

/** The repository with an audit log that refuses every entry (read-only, full, …). */
function refusingAudit(): FsRepository {
  const refusing = Object.create(repository) as FsRepository;
  Object.defineProperty(refusing, "audit", {
    value: {
      append: async () => {
        throw new Error("audit log is read-only");
      },
    },
  });
  return refusing;
}

/** A reporter that keeps its warnings (what a failed undo step says). */
function recording(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return { ...silentReporter, lines, warn: (m: string) => void lines.push(`warn ${m}`) };
}

const lifetime = (c: { expiresAt?: string; createdAt: string }) => (Date.parse(c.expiresAt!) - Date.parse(c.createdAt)) / 1000;

describe("a new clone is handed out only when its port answers as that clone of that image", () => {
  it("asks the server on the clone's port, as the clone's own login, whether it is this clone of this image", async () => {
    const made = await clone();
    expect(made.created).toBe(true);
    expect(world.verified).toEqual([{ port: made.clone.port, user: made.clone.user, cloneId: made.clone.id, imageDigest: image.manifestDigest }]);
    expect(made.clone.user).not.toBe("postgres");
    expect(made.credentials).toMatchObject({ port: made.clone.port, user: made.clone.user });
    expect(made.clone.state).toBe("ready");
    expect((await new CloneRegistry(home).list()).map((r) => r.id)).toEqual([made.clone.id]);
  });

  it("refuses when another server takes the clone's port after its own started, and leaves nothing behind", async () => {
    world.onStarted = (server) => world.network.set(server.port, { cloneId: "none", imageDigest: "none" });
    await expect(clone()).rejects.toThrow(/The server on port \d+ is not clone \S+ of image sha256:[0-9a-f]{64} \(it reports clone "none"\)/);
    expect(await new CloneRegistry(home).list()).toEqual([]);
    expect(world.leftovers()).toEqual([]);
    expect(await cloneDirs()).toEqual([]);
  });
});

describe("an engine that proves the port's identity before the login exists (createVerifiedLogin)", () => {
  beforeEach(() => {
    world.provesBeforeLogin = true;
  });

  it("makes the login only after the port answered as this clone of this image, and asks nothing more as the login", async () => {
    const made = await clone();
    expect(world.verified).toEqual([{ port: made.clone.port, user: "(no login yet)", cloneId: made.clone.id, imageDigest: image.manifestDigest }]);
    expect(world.logins).toEqual(new Set([`${made.clone.port}/${made.clone.user}`]));
    expect(made.clone.state).toBe("ready");
  });

  it("a wrong server on the port gets no login, the clone is refused and nothing is left", async () => {
    world.onStarted = (server) => world.network.set(server.port, { cloneId: "none", imageDigest: "none" });
    await expect(clone()).rejects.toThrow(/The server on port \d+ is not clone \S+ of image sha256:[0-9a-f]{64}/);
    expect(world.loginsMade).toEqual([]);
    expect(await new CloneRegistry(home).list()).toEqual([]);
    expect(world.leftovers()).toEqual([]);
    expect(await cloneDirs()).toEqual([]);
  });

  // The login made by the proof is a credential on a running server: a clone that fails after it
  // (here the audit log refusing its entry) must drop it, or the undone clone's login lives on.
  it("a clone failing after its proven login was made drops that login, and names it if it will not go", async () => {
    await expect(clone({ repository: refusingAudit() })).rejects.toThrow(/audit log is read-only/);
    expect(world.loginsMade).toHaveLength(1);
    expect(world.leftovers()).toEqual([]);
    world.failUndo.add("dropLogin");
    const reporter = recording();
    await expect(clone({ repository: refusingAudit(), reporter })).rejects.toThrow(/audit log is read-only/);
    expect(reporter.lines).toEqual(["warn cleanup: drop the clone's login failed: login is in use"]);
    expect(world.leftovers()).toEqual([expect.stringMatching(/^login \d+\/clone_/)]);
  });

  it("an engine that proves first but has no dropLogin undoes a failed clone without a warning", async () => {
    world.minimal = true;
    const reporter = recording();
    await expect(clone({ repository: refusingAudit(), reporter })).rejects.toThrow(/audit log is read-only/);
    expect(world.verified).toHaveLength(1);
    expect(reporter.lines).toEqual([]);
    expect(await new CloneRegistry(home).list()).toEqual([]);
  });
});

describe("a named clone asked for again", () => {
  it("is handed back only after its server proves it is still that clone of its image", async () => {
    const first = await clone({ name: "branch-a" });
    world.verified.length = 0;
    const again = await clone({ name: "branch-a" });
    expect(again.created).toBe(false);
    expect(again.clone.id).toBe(first.clone.id);
    expect(world.verified).toEqual([{ port: first.clone.port, user: first.clone.user, cloneId: first.clone.id, imageDigest: image.manifestDigest }]);
    expect(again.credentials).toMatchObject({ port: first.clone.port, user: first.clone.user, password: first.clone.password });
  });

  it("whose port another server now answers is not handed back: the clone is made anew and the port answers as the new one", async () => {
    const first = await clone({ name: "branch-a" });
    world.network.set(first.clone.port, { cloneId: "someone-else", imageDigest: image.manifestDigest });
    const again = await clone({ name: "branch-a" });
    expect(again.created).toBe(true);
    expect(again.clone.id).not.toBe(first.clone.id);
    expect(again.replaced).toMatchObject({ id: first.clone.id, reason: expect.stringMatching(/does not answer as itself/) });
    expect(world.network.get(again.credentials.port)).toEqual({ cloneId: again.clone.id, imageDigest: image.manifestDigest });
    expect((await new CloneRegistry(home).list()).map((r) => r.id)).toEqual([again.clone.id]);
  });
});

describe("a clone never outlives its repository's maxTtl", () => {
  it("a requested TTL above the repository's maxTtl is capped; none requested gets the cap; a shorter one stays", async () => {
    await setMaxTtl("1h");
    const asked = await clone({ ttlSeconds: 2 * 86_400 });
    const unasked = await clone();
    const shorter = await clone({ ttlSeconds: 600 });
    expect([asked.clone.ttlSeconds, unasked.clone.ttlSeconds, shorter.clone.ttlSeconds]).toEqual([3600, 3600, 600]);
    for (const [c, ttl] of [
      [asked, 3600],
      [unasked, 3600],
      [shorter, 600],
    ] as const) {
      expect(lifetime(c.clone)).toBeLessThanOrEqual(ttl);
      expect(lifetime(c.clone)).toBeGreaterThan(ttl - 60);
    }
  });

  it("without a maxTtl, a clone lives as long as asked, or has no expiry when nothing is asked", async () => {
    const asked = await clone({ ttlSeconds: 2 * 86_400 });
    const unasked = await clone();
    expect(asked.clone.ttlSeconds).toBe(2 * 86_400);
    expect(lifetime(asked.clone)).toBeGreaterThan(2 * 86_400 - 60);
    expect(unasked.clone.ttlSeconds).toBeUndefined();
    expect(unasked.clone.expiresAt).toBeUndefined();
  });

  it("a replacement keeps its predecessor's TTL, capped by a maxTtl set since", async () => {
    const first = await clone({ name: "branch-a", ttlSeconds: 7200 });
    expect(first.clone.ttlSeconds).toBe(7200);
    await setMaxTtl("1h");
    const again = await clone({ name: "branch-a", reset: true });
    expect(again.replaced?.id).toBe(first.clone.id);
    expect(again.clone.ttlSeconds).toBe(3600);
    expect(lifetime(again.clone)).toBeLessThanOrEqual(3600);
  });
});

describe("a clone that fails at any step leaves nothing behind", () => {
  const steps: FakeStep[] = ["createChild", "mount", "start", "createLogin", "verifyIdentity"];
  for (const step of steps) {
    it(`${step} failing: the error names the image, every earlier step is undone, the record is gone and the failure is audited`, async () => {
      world.failAt.set(step, new Error(`${step} went wrong`));
      const err = await clone({ name: "branch-a" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CloneError);
      expect((err as Error).message).toBe(`cloning shop:1.0.0 failed: ${step} went wrong`);
      expect(world.leftovers()).toEqual([]);
      expect(await new CloneRegistry(home).list()).toEqual([]);
      expect(await cloneDirs()).toEqual([]);
      const events = await repository.audit.read();
      expect(events.at(-1)).toMatchObject({ action: "clone", outcome: "failure", image: "shop:1.0.0", detail: `${step} went wrong` });
    });
  }

  it("the audit log refusing the clone's entry undoes the clone instead of handing out one nobody recorded", async () => {
    const refusing = Object.create(repository) as FsRepository;
    Object.defineProperty(refusing, "audit", {
      value: {
        append: async () => {
          throw new Error("audit log is read-only");
        },
      },
    });
    await expect(createClone({ repository: refusing, ref: "shop:1.0.0", home, reporter: silentReporter })).rejects.toThrow(/audit log is read-only/);
    expect(world.leftovers()).toEqual([]);
    expect(await new CloneRegistry(home).list()).toEqual([]);
    expect(await cloneDirs()).toEqual([]);
  });

  it("a failed clone keeps its error's type (a DbcloneError from the engine is not re-wrapped)", async () => {
    world.failAt.set("start", new CloneError("port 1 is not allowed"));
    await expect(clone()).rejects.toThrow(new CloneError("port 1 is not allowed"));
  });
});
