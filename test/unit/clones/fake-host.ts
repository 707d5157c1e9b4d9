// The host modules a clone test replaces so that createClone runs on the fake platform
// (fake-platform.ts): the platform lookup, the "is this pid the clone's postgres" question and the
// port checks all answer from `fakeHost.world`. vitest hoists vi.mock only in the test file itself,
// so each test file names these modules in its own vi.mock calls and passes these factories, loaded
// with import() inside the factory (nothing here imports a mocked module at run time).
import type { FakeWorld } from "./fake-platform.js";

type ImportOriginal = <T>() => Promise<T>;

/** The fake world the mocked modules answer from (set per test by setUpCloneWorld), and the platform lookups asked for. */
export const fakeHost: { world?: FakeWorld; chosen: unknown[][] } = { chosen: [] };

const world = (): FakeWorld => fakeHost.world!;

/** platform/index.js: the platform chosen for an image or a record is the fake one (each image lookup's arguments recorded). */
export async function platformModule(importOriginal: ImportOriginal) {
  const original = await importOriginal<typeof import("../../../packages/core/src/platform/index.js")>();
  return {
    ...original,
    platformForImage: (...args: unknown[]) => {
      fakeHost.chosen.push(args);
      return world().platform();
    },
    platformForRecord: () => world().platform(),
  };
}

/** util/process-identity.js: a recorded pid is this clone's server when a fake server serves its mount (teardown asks before it stops one). */
export async function processIdentityModule(importOriginal: ImportOriginal) {
  const original = await importOriginal<typeof import("../../../packages/core/src/util/process-identity.js")>();
  return { ...original, isPostgresOf: (_pid: number, dir: string) => [...world().serving.values()].includes(dir) };
}

/** clones/ports.js: the host's ports are the fake network's (the unit tier listens on no port). */
export async function portsModule(importOriginal: ImportOriginal) {
  const original = await importOriginal<typeof import("../../../packages/core/src/clones/ports.js")>();
  return {
    ...original,
    isPortFree: async (port: number) => !world().network.has(port),
    pickFreePort: async (records: readonly { port: number }[]) => world().freePort(new Set(records.map((r) => r.port))),
  };
}
