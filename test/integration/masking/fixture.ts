// A scratch PostgreSQL server in a temp dir (stopped by pid, removed afterwards) and small dumps.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { findBinaries } from "../../../packages/core/src/engine/postgres/binaries.js";
import { startBuildServer, stopBuildServer, type BuildServer } from "../../../packages/core/src/engine/postgres/buildServer.js";
import { withAdmin } from "../../../packages/core/src/engine/postgres/client.js";
import { initDataDir } from "../../../packages/core/src/engine/postgres/dataDir.js";
import { ADMIN_USER } from "../../../packages/core/src/engine/postgres/engineFile.js";
import { run } from "../../../packages/core/src/runtime/exec.js";

export interface Scratch {
  dir: string;
  dataDir: string;
  server: BuildServer;
  sql(database: string, text: string, values?: unknown[]): Promise<pg.QueryResult>;
  dump(database: string, file: string): Promise<void>;
  close(): Promise<void>;
}

export async function scratchServer(): Promise<Scratch> {
  const bins = await findBinaries();
  const dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-mask-it-"));
  await chmod(dir, 0o755);
  const dataDir = path.join(dir, "pgdata");
  let server: BuildServer | undefined;
  try {
    await initDataDir(bins, dataDir, ADMIN_USER);
    server = await startBuildServer(bins, dataDir, ADMIN_USER);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const s = server;
  return {
    dir,
    dataDir,
    server: s,
    sql: (database, text, values) => withAdmin(s, database, (c) => c.query(text, values)),
    dump: async (database, file) => {
      await run(bins.bin("pg_dump"), ["-h", s.socketDir, "-p", String(s.port), "-U", ADMIN_USER, "-Fc", "-f", file, database]);
    },
    close: async () => {
      try {
        await stopBuildServer(s);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A database `shop` made by `sql` on a new scratch server, and its dump (`<scratch.dir>/shop.dump`). */
export async function scratchShopDump(sql: string): Promise<{ scratch: Scratch; dump: string }> {
  const scratch = await scratchServer();
  try {
    await scratch.sql("postgres", "CREATE DATABASE shop");
    await scratch.sql("shop", sql);
    const dump = path.join(scratch.dir, "shop.dump");
    await scratch.dump("shop", dump);
    return { scratch, dump };
  } catch (e) {
    await scratch.close();
    throw e;
  }
}

/** Two databases: shop (customers ← orders by email) and crm (contacts by email), 300 people. */
export async function makeShopAndCrm(s: Scratch): Promise<void> {
  await s.sql("postgres", "CREATE DATABASE shop");
  await s.sql("postgres", "CREATE DATABASE crm");
  await s.sql(
    "shop",
    `CREATE TABLE customers (id int PRIMARY KEY, full_name text NOT NULL, email text UNIQUE NOT NULL, phone text, card text);
     CREATE TABLE orders (id int PRIMARY KEY, customer_email text REFERENCES customers (email), note text);
     INSERT INTO customers SELECT g, 'Customer Person' || g, 'customer' || g || '@shop-example.test', '+44 20 7946 ' || lpad(g::text, 4, '0'),
       CASE WHEN g % 10 = 0 THEN NULL ELSE '4000 0000 0000 ' || lpad(g::text, 4, '0') END FROM generate_series(1, 300) g;
     INSERT INTO orders SELECT g, 'customer' || (1 + g % 300) || '@shop-example.test', 'gift wrap' FROM generate_series(1, 900) g;`,
  );
  await s.sql("shop", "VACUUM ANALYZE");
  await s.sql(
    "crm",
    `CREATE TABLE contacts (id int PRIMARY KEY, email text, full_name text);
     INSERT INTO contacts SELECT g, 'customer' || g || '@shop-example.test', 'Customer Person' || g FROM generate_series(1, 300, 3) g;`,
  );
}

export const SHOP_POLICY = `masking:
  onUnmaskedPii: fail
  databases:
    shop:
      tables:
        customers:
          columns:
            full_name: fullName
            email: email
            phone: phone
            card: creditCard
    crm:
      tables:
        contacts:
          columns:
            email: email
            full_name: fullName
`;
