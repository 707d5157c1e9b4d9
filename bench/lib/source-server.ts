// A plain PostgreSQL server on the host filesystem for benchmark baselines: the "native" side.
import fs from "node:fs/promises";
import path from "node:path";
import { PostgresEngine, findBinaries } from "../../packages/core/src/engine/index.js";
import type { Durability, RunningServer } from "../../packages/core/src/engine/index.js";
import { silentReporter } from "../../packages/core/src/reporter.js";
import { run } from "../../packages/core/src/runtime/index.js";
import { freePort } from "../../packages/core/src/util/index.js";

export class NativeServer {
  readonly engine = new PostgresEngine();
  server?: RunningServer;

  constructor(readonly dir: string) {}

  /** An empty cluster with one database, `db`. */
  async create(db: string): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o755 });
    const empty = path.join(this.dir, "..", `${path.basename(this.dir)}-empty.sql`);
    await fs.writeFile(empty, "-- PostgreSQL database dump\n");
    await this.engine.restore([{ kind: "dump", path: empty, database: db }], this.dir, silentReporter);
  }

  async start(durability: Durability): Promise<RunningServer> {
    await this.stop();
    this.server = await this.engine.start(this.dir, { port: await freePort(), runDir: path.join(this.dir, "run"), durability }, silentReporter);
    return this.server;
  }

  async stop(): Promise<void> {
    if (this.server) await this.engine.stop(this.server, { fast: true });
    this.server = undefined;
  }

  /** Run a PostgreSQL client program against this server over its private socket, as the admin. */
  async client(program: string, args: string[], timeoutMs = 30 * 60_000): Promise<string> {
    const s = this.server!;
    const bins = await findBinaries(15);
    const result = await run(bins.bin(program), ["-h", s.socketDir!, "-p", String(s.port), "-U", s.adminUser, ...args], { timeoutMs });
    return result.stdout;
  }

  async psql(db: string, sql: string): Promise<string> {
    return (await this.client("psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql])).trim();
  }
}
