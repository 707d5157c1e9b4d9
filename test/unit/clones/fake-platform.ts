// A clone platform made of fakes that keep the CloneEngine and DiskDriver contracts (engine/types.ts,
// disk/types.ts) in memory: what is mounted, which server answers on which port as which clone,
// which logins exist. Hermetic: no process, no mount, no listening port. A test reads the sets
// afterwards to see what a failed clone left behind, and puts "another server" on a port to play
// the wrong server answering there.
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import type { ChildDisk, DiskAttachment, DiskDriver } from "../../../packages/core/src/disk/types.js";
import type { CloneEngine, CloneLogin, Credentials, RunningServer, StartOptions } from "../../../packages/core/src/engine/types.js";
import { CloneError } from "../../../packages/core/src/errors.js";
import { engineConnection, platformEntry, type Platform } from "../../../packages/core/src/platform/index.js";

/** Who answers on a port: the clone id and image digest its server reports. */
export interface Identity {
  cloneId: string;
  imageDigest: string;
}

/** Steps a test can make fail (each with the error the fake throws). */
export type FakeStep = "createChild" | "mount" | "start" | "createLogin" | "verifyIdentity";
/** Undo steps a test can make fail. */
export type FakeUndo = "destroy" | "unmount" | "stop" | "dropLogin";

export class FakeWorld {
  /** Port → the identity of the server answering there. */
  readonly network = new Map<number, Identity>();
  readonly children = new Set<string>();
  readonly mounts = new Set<string>();
  /** The mount each running server serves, by port (what `isPostgresOf(pid, dir)` asks on the host). */
  readonly serving = new Map<number, string>();
  /** The identity each running server started with, by port. */
  private readonly startedAs = new Map<number, Identity>();
  /** Servers started and not stopped, by port. */
  readonly running = new Map<number, RunningServer>();
  /** Logins created and not dropped, as "port/user". */
  readonly logins = new Set<string>();
  /** Every login ever made, dropped or not, as "port/user" (a wrong server must never have received one). */
  readonly loginsMade: string[] = [];
  /** Every identity check asked for: which port, as which login, for which clone and image. */
  readonly verified: { port: number; user: string; cloneId: string; imageDigest: string }[] = [];
  readonly failAt = new Map<FakeStep, Error>();
  /** Each login prepared ahead (prepareLogin), with how many servers had been started by then. */
  readonly preparedLogins: { password: string; startsBefore: number }[] = [];
  /** What each start was asked for. */
  readonly starts: { mountPath: string; opts: StartOptions }[] = [];
  /** Blobs the driver was told were verified (file → digest). */
  readonly verifiedBlobs = new Map<string, string>();
  readonly failUndo = new Set<FakeUndo>();
  /** How each server was stopped. */
  readonly stops: { port: number; fast?: boolean }[] = [];
  /** Leave out the contracts' optional methods (rememberVerified, ownBytes, dropLogin), as a plainer engine and driver do. */
  minimal = false;
  /** Set: the engine proves the server's identity before the login exists (createVerifiedLogin, as PostgreSQL's does). */
  provesBeforeLogin = false;
  /** Set: every clone attaches to one shared server here (as SQL Server's do), with its own login. */
  shared?: { host: string; port: number };
  /** Runs once a server is up (a test lets another server take its port here). */
  onStarted?: (server: RunningServer) => void;

  private fail(step: FakeStep): void {
    const e = this.failAt.get(step);
    if (e) throw e;
  }

  readonly driver: DiskDriver = {
    name: "fake",
    format: "qcow2",
    checkPrerequisites: async () => undefined,
    rememberVerified: async (file: string, digest: string) => {
      this.verifiedBlobs.set(file, digest);
    },
    createStaging: async () => {
      throw new Error("the fake driver makes clones only");
    },
    seal: async () => {
      throw new Error("the fake driver makes clones only");
    },
    createChild: async (parentFile: string, childFile: string, expectedDigest?: string): Promise<ChildDisk> => {
      this.fail("createChild");
      const digest = `sha256:${createHash("sha256")
        .update(await readFile(parentFile))
        .digest("hex")}`;
      if (expectedDigest && digest !== expectedDigest) throw new CloneError(`the base ${parentFile} is not ${expectedDigest}`);
      await writeFile(childFile, `child of ${digest}\n`);
      this.children.add(childFile);
      return { file: childFile, parents: [parentFile] };
    },
    mount: async (child: ChildDisk, mountPath: string): Promise<DiskAttachment> => {
      if (!this.children.has(child.file)) throw new Error(`no child disk ${child.file}`);
      this.fail("mount");
      await mkdir(mountPath, { recursive: true });
      this.mounts.add(mountPath);
      return { driver: "fake", file: child.file, mountPath, handles: {} };
    },
    unmount: async (a: DiskAttachment) => {
      if (this.failUndo.has("unmount")) throw new Error("device is busy");
      this.mounts.delete(a.mountPath);
    },
    destroy: async (file: string) => {
      if (this.failUndo.has("destroy")) throw new Error("permission denied");
      this.children.delete(file);
      await rm(file, { force: true });
    },
    list: async () => [],
    release: async () => undefined,
    ownBytes: async (file: string) => (await stat(file)).size,
  };

  readonly engine: CloneEngine = {
    kind: "postgres",
    prepareLogin: (login: { password: string }) => {
      this.preparedLogins.push({ password: login.password, startsBefore: this.starts.length });
    },
    credentials: (login: CloneLogin, database?: string): Credentials => engineConnection("postgres").credentials(login, database),
    connectionString: (login, opts) => engineConnection("postgres").connectionString(login, opts),
    start: async (mountPath: string, opts: StartOptions): Promise<RunningServer> => {
      if (!this.mounts.has(mountPath)) throw new Error(`nothing is mounted at ${mountPath}`);
      this.fail("start");
      this.starts.push({ mountPath, opts });
      // Our own pid: a live process, as a running server's recorded pid is (it is no postgres, so teardown leaves it alone).
      // A shared server has no process of the clone's; it names the databases it attached for the clone.
      const server: RunningServer = opts.runtime
        ? { pid: 0, containerId: `c0ffee${opts.cloneId}0123456789`, host: opts.host ?? "127.0.0.1", port: opts.port, adminUser: "postgres" }
        : this.shared
          ? { pid: 0, host: opts.host ?? "", port: opts.port, adminUser: "sa", databases: [`orders__${opts.cloneId}`], cloneId: opts.cloneId }
          : { pid: process.pid, host: opts.host ?? "127.0.0.1", port: opts.port, adminUser: "postgres" };
      this.running.set(opts.port, server);
      this.serving.set(opts.port, mountPath);
      const identity = { cloneId: opts.cloneId ?? "", imageDigest: opts.imageDigest ?? "" };
      this.network.set(opts.port, identity);
      this.startedAs.set(opts.port, identity);
      this.onStarted?.(server);
      return server;
    },
    stop: async (server: RunningServer, opts?: { fast?: boolean }) => {
      this.stops.push({ port: server.port, fast: opts?.fast });
      if (this.failUndo.has("stop")) throw new Error("server did not stop");
      if (!this.running.delete(server.port)) return;
      // Its port answers no more, unless another server has taken it since.
      if (this.network.get(server.port) === this.startedAs.get(server.port)) this.network.delete(server.port);
      this.startedAs.delete(server.port);
      this.serving.delete(server.port);
    },
    createLogin: async (server: RunningServer, databases: string[], login: { user: string; password: string }): Promise<Credentials> => {
      if (!this.running.has(server.port)) throw new Error(`no server on port ${server.port}`);
      this.fail("createLogin");
      this.logins.add(`${server.port}/${login.user}`);
      this.loginsMade.push(`${server.port}/${login.user}`);
      return this.engine.credentials({ ...login, host: server.host, port: server.port, databases });
    },
    dropLogin: async (server: RunningServer, user: string) => {
      if (this.failUndo.has("dropLogin")) throw new Error("login is in use");
      this.logins.delete(`${server.port}/${user}`);
    },
    verifyIdentity: async (creds: Credentials, cloneId: string, imageDigest: string) => {
      this.verified.push({ port: creds.port, user: creds.user, cloneId, imageDigest });
      this.fail("verifyIdentity");
      const there = this.network.get(creds.port);
      if (!there) throw new CloneError(`nothing answers on port ${creds.port}`);
      if (there.cloneId !== cloneId || there.imageDigest !== imageDigest) {
        throw new CloneError(`The server on port ${creds.port} is not clone ${cloneId} of image ${imageDigest} (it reports clone "${there.cloneId}")`);
      }
    },
  };

  /** createVerifiedLogin: the identity asked of the port first (no login is sent there), the login made only once it answers as this clone. */
  private readonly createVerifiedLogin = async (
    server: RunningServer,
    databases: string[],
    login: { user: string; password: string },
    identity: Identity,
  ): Promise<Credentials> => {
    if (!this.running.has(server.port)) throw new Error(`no server on port ${server.port}`);
    this.verified.push({ port: server.port, user: "(no login yet)", ...identity });
    this.fail("verifyIdentity");
    const there = this.network.get(server.port);
    if (there?.cloneId !== identity.cloneId || there.imageDigest !== identity.imageDigest) {
      throw new CloneError(`The server on port ${server.port} is not clone ${identity.cloneId} of image ${identity.imageDigest}`);
    }
    return this.engine.createLogin(server, databases, login);
  };

  /** The first port from 15432 that no record holds and no fake server answers on. */
  freePort(held: Set<number>): number {
    let port = 15432;
    while (held.has(port) || this.network.has(port)) port++;
    return port;
  }

  /** A PostgreSQL-like platform (a server per clone) on the fake engine and driver. */
  platform(): Platform {
    const entry = platformEntry("postgres");
    const { shared } = this;
    if (this.minimal || this.provesBeforeLogin) {
      let { driver, engine }: Pick<Platform, "driver" | "engine"> = this;
      if (this.minimal) {
        const { rememberVerified: _r, ownBytes: _o, ...plainDriver } = this.driver;
        const { dropLogin: _d, ...plainEngine } = this.engine;
        [driver, engine] = [plainDriver, plainEngine];
      }
      if (this.provesBeforeLogin) engine = { ...engine, createVerifiedLogin: this.createVerifiedLogin };
      return { kind: "postgres", entry, os: entry.os, driver, disk: "qcow2", engine };
    }
    if (!shared) return { kind: "postgres", entry, os: entry.os, driver: this.driver, disk: "qcow2", engine: this.engine };
    const engine: CloneEngine = { ...this.engine, cloneEndpoint: (id: string) => ({ ...shared, user: `clone_${id}` }) };
    return { kind: "postgres", entry: { ...entry, serverPerClone: false }, os: entry.os, driver: this.driver, disk: "qcow2", engine };
  }

  /** What a clone left behind on the fakes (all empty once every clone is gone or undone). */
  leftovers(): string[] {
    return [
      ...[...this.children].map((f) => `child disk ${f}`),
      ...[...this.mounts].map((m) => `mount ${m}`),
      ...[...this.running.keys()].map((p) => `server on port ${p}`),
      ...[...this.logins].map((l) => `login ${l}`),
    ];
  }
}
