// A realistic fake shop database as a pg_dump custom archive, for tests and `npm run demo`.
// Fast because it is set-based: a few thousand distinct faker values are made in Node and sent
// as array parameters, then INSERT … SELECT with generate_series combines them up to the size.
import { Faker, en } from "@faker-js/faker";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { silentReporter, type Reporter } from "../../reporter.js";
import { run } from "../../runtime/exec.js";
import { findBinaries } from "./binaries.js";
import { startBuildServer, stopBuildServer } from "./buildServer.js";
import { withAdmin } from "./client.js";
import { initDataDir } from "./dataDir.js";
import { ADMIN_USER } from "./engineFile.js";
import { quoteIdent } from "./sql.js";

export interface SampleDumpOptions {
  /** Approximate size of the database on disk (default 100). */
  sizeMb?: number;
  seed?: number;
  database?: string;
  reporter?: Reporter;
}

/**
 * The masking policy (dbclone.yml's masking: section) that covers every personal column of the
 * sample shop data, so a masked build of it passes the PII scan and the leak scan. The demo and the
 * scenario tests build with it.
 */
export const SAMPLE_SHOP_POLICY = `masking:
  onUnmaskedPii: fail
  databases:
    shop:
      tables:
        customers:
          columns:
            first_name: firstName
            last_name: lastName
            email: email
            phone: phone
            street: { transformer: address, part: street }
            city: { transformer: address, part: city }
            postcode: { transformer: address, part: postcode }
            birth_date: { transformer: dateShift, days: 90 }
        orders:
          columns:
            shipping_address: { transformer: address, part: full }
`;

/** Measured on PostgreSQL 15: ~1.6 KB on disk per customer with its 3 orders, 9 items and indexes. */
const BYTES_PER_CUSTOMER = 1600;
/** An empty database already takes about this much. */
const EMPTY_DATABASE_BYTES = 7.5 * 1048576;
const POOL = 5000;
const PRODUCTS = 1000;

const SCHEMA = `
CREATE TABLE customers (id bigint NOT NULL, first_name text NOT NULL, last_name text NOT NULL, email text NOT NULL,
  phone text, street text, city text, postcode text, country text, birth_date date, created_at timestamptz NOT NULL);
CREATE TABLE products (id int NOT NULL, name text NOT NULL, department text NOT NULL, price numeric(10,2) NOT NULL, description text);
CREATE TABLE orders (id bigint NOT NULL, customer_id bigint NOT NULL, ordered_at timestamptz NOT NULL, status text NOT NULL, shipping_address text);
CREATE TABLE order_items (order_id bigint NOT NULL, line int NOT NULL, product_id int NOT NULL, quantity int NOT NULL, unit_price numeric(10,2) NOT NULL);
CREATE UNLOGGED TABLE people_pool (i int, first_name text, last_name text, domain text, phone text, street text, city text, postcode text, country text, birth_date date);`;

const CONSTRAINTS = `
ALTER TABLE customers ADD PRIMARY KEY (id), ADD UNIQUE (email);
ALTER TABLE products ADD PRIMARY KEY (id);
ALTER TABLE orders ADD PRIMARY KEY (id), ADD FOREIGN KEY (customer_id) REFERENCES customers;
ALTER TABLE order_items ADD PRIMARY KEY (order_id, line), ADD FOREIGN KEY (order_id) REFERENCES orders, ADD FOREIGN KEY (product_id) REFERENCES products;
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
DROP TABLE people_pool;`;

async function loadPools(c: pg.Client, faker: Faker): Promise<void> {
  const cols: unknown[][] = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < POOL; i++) {
    const first = faker.person.firstName();
    const last = faker.person.lastName();
    const row = [
      i,
      first,
      last,
      faker.internet.domainName(),
      faker.phone.number(),
      faker.location.streetAddress(),
      faker.location.city(),
      faker.location.zipCode(),
      faker.location.country(),
      faker.date.birthdate({ min: 18, max: 90, mode: "age" }).toISOString().slice(0, 10),
    ];
    row.forEach((v, k) => {
      cols[k]!.push(v);
    });
  }
  await c.query(
    "INSERT INTO people_pool SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::date[])",
    cols,
  );
  const p: unknown[][] = [[], [], [], [], []];
  for (let i = 1; i <= PRODUCTS; i++) {
    [i, faker.commerce.productName(), faker.commerce.department(), faker.commerce.price({ min: 1, max: 500 }), faker.commerce.productDescription()].forEach(
      (v, k) => {
        p[k]!.push(v);
      },
    );
  }
  await c.query("INSERT INTO products SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::numeric[], $5::text[])", p);
}

async function generateRows(c: pg.Client, customers: number): Promise<void> {
  await c.query(
    `INSERT INTO customers
     SELECT g, p.first_name, p.last_name, lower(p.first_name || '.' || p.last_name || '.' || g || '@' || p.domain),
            p.phone, p.street, p.city, p.postcode, p.country, p.birth_date, timestamptz '2019-01-01' + g * interval '97 seconds'
     FROM generate_series(1::bigint, $1::bigint) g JOIN people_pool p ON p.i = (g * 7919) % ${POOL}`,
    [customers],
  );
  await c.query(
    `INSERT INTO orders
     SELECT g, 1 + (g * 31) % $1::bigint, timestamptz '2020-01-01' + g * interval '41 seconds',
            (ARRAY['new','paid','shipped','delivered','cancelled'])[1 + g % 5], p.street || ', ' || p.postcode || ' ' || p.city
     FROM generate_series(1::bigint, $1::bigint * 3) g JOIN people_pool p ON p.i = (g * 104729) % ${POOL}`,
    [customers],
  );
  await c.query(
    `INSERT INTO order_items
     SELECT o, l, 1 + (o * 13 + l * 7) % ${PRODUCTS}, 1 + (o + l) % 4, 1 + ((o * l) % 50000) / 100.0
     FROM generate_series(1::bigint, $1::bigint * 3) o CROSS JOIN generate_series(1, 3) l`,
    [customers],
  );
}

/** Make a shop database of about `sizeMb` MB and write it to `outFile` with pg_dump -Fc. */
export async function createSampleDump(outFile: string, opts: SampleDumpOptions = {}): Promise<{ sizeBytes: number; customers: number }> {
  const reporter = opts.reporter ?? silentReporter;
  const database = opts.database ?? "shop";
  const customers = Math.max(10, Math.round(((opts.sizeMb ?? 100) * 1048576 - EMPTY_DATABASE_BYTES) / BYTES_PER_CUSTOMER));
  const faker = new Faker({ locale: [en] });
  faker.seed(opts.seed ?? 42);
  const bins = await findBinaries();
  const work = await mkdtemp(path.join(os.tmpdir(), "dbclone-sample-"));
  try {
    await chmod(work, 0o755); // the server user must reach the data directory inside
    const dataDir = path.join(work, "pgdata");
    reporter.info(`Generating sample database "${database}" (~${opts.sizeMb ?? 100} MB, ${customers} customers)`);
    await initDataDir(bins, dataDir, ADMIN_USER);
    const server = await startBuildServer(bins, dataDir, ADMIN_USER);
    try {
      await withAdmin(server, "postgres", (c) => c.query(`CREATE DATABASE ${quoteIdent(database)} TEMPLATE template0 ENCODING 'UTF8'`));
      const sizeBytes = await withAdmin(server, database, async (c) => {
        await c.query(SCHEMA);
        await loadPools(c, faker);
        await generateRows(c, customers);
        await c.query(CONSTRAINTS);
        await c.query("VACUUM ANALYZE");
        return Number((await c.query<{ s: string }>("SELECT pg_database_size(current_database()) AS s")).rows[0]!.s);
      });
      await run(bins.bin("pg_dump"), ["-h", server.socketDir, "-p", String(server.port), "-U", ADMIN_USER, "-Fc", "-Z", "1", "-f", outFile, database]);
      return { sizeBytes, customers };
    } finally {
      await stopBuildServer(server);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
