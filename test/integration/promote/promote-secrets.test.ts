// A promoted version carries no password verifier: not the clone login's (dropped at promote), not
// one the app gave a role it made. Found by searching the published blob's raw bytes (the layer,
// and a flattened disk) for the exact verifier strings read from pg_authid before promoting.
import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClone } from "../../../packages/core/src/clones/lifecycle.js";
import { promoteClone } from "../../../packages/core/src/clones/promote.js";
import { ADMIN_USER } from "../../../packages/core/src/engine/index.js";
import { open } from "node:fs/promises";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import type { FsRepository } from "../../../packages/core/src/repository/index.js";
import { makeWorld, psql, type World, buildSampleImage } from "../clones/fixture.js";

let world: World;
const reporter = silentReporter;

beforeAll(async () => {
  world = await makeWorld("dbclone-promote-secrets-");
  await buildSampleImage(world, { sizeMb: 2, seed: 5 });
}, 300_000);
afterAll(async () => {
  await world?.cleanup();
});

/** A clone whose app made a role with a password; the verifiers pg_authid holds, and a marker row. */
async function cloneWithPasswords() {
  const c = await createClone({ repository: world.repository, ref: "shop:v1", home: world.home, reporter });
  const marker = `promoted-marker-${randomBytes(6).toString("hex")}`;
  psql(c.credentials.connectionString, `CREATE TABLE note (t text); INSERT INTO note SELECT '${marker}' FROM generate_series(1, 200)`);
  // The app's migration (run by the image's admin over the clone's private socket) makes a role with a password.
  const admin = new pg.Client({ host: path.join(c.clone.dir, "run"), port: c.clone.port, user: ADMIN_USER, database: c.clone.databases[0] });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE app_reporter LOGIN PASSWORD 'app-${randomBytes(8).toString("hex")}'`);
    // As in a clone that lived a while: checkpoints put pg_authid's pages (with the verifiers) on disk.
    await admin.query("ANALYZE pg_catalog.pg_authid");
    await admin.query("CHECKPOINT");
    const rows = (await admin.query<{ rolname: string; rolpassword: string }>("SELECT rolname, rolpassword FROM pg_authid WHERE rolpassword IS NOT NULL")).rows;
    return { c, marker, verifiers: rows };
  } finally {
    await admin.end();
  }
}

/** Every offset of every value's UTF-8 bytes in the published blob (read in overlapping chunks). */
async function scanBlob(digest: string, values: string[]) {
  const patterns = values.map((v) => Buffer.from(v));
  const overlap = Math.max(...patterns.map((p) => p.length)) - 1;
  const fh = await open((world.repository as FsRepository).layout.blob(digest), "r");
  const examples: { offset: number }[] = [];
  let bytesScanned = 0;
  let carry = Buffer.alloc(0);
  try {
    const chunk = Buffer.alloc(4 << 20);
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, bytesScanned);
      if (bytesRead === 0) break;
      const window = Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
      const base = bytesScanned - carry.length;
      for (const p of patterns) {
        // Matches lying wholly in the carried-over bytes were counted with the previous chunk.
        for (let at = window.indexOf(p); at >= 0; at = window.indexOf(p, at + 1)) if (at + p.length > carry.length) examples.push({ offset: base + at });
      }
      bytesScanned += bytesRead;
      carry = Buffer.from(window.subarray(Math.max(0, window.length - overlap)));
    }
  } finally {
    await fh.close();
  }
  return { hits: examples.length, bytesScanned, examples };
}

describe("promote strips every role's password from the published data", () => {
  for (const flatten of [false, true]) {
    it(`${flatten ? "a flattened disk" : "a layer"} holds neither the clone login's nor the app role's verifier`, async () => {
      const { c, marker, verifiers } = await cloneWithPasswords();
      expect(verifiers.map((v) => v.rolname).sort()).toEqual(["app_reporter", c.clone.user].sort());
      const secrets = verifiers.flatMap((v) => [v.rolpassword, v.rolpassword.split("$").pop()!]); // whole verifier, and its StoredKey:ServerKey
      const result = await promoteClone({
        repository: world.repository,
        home: world.home,
        reporter,
        clone: c.clone.id,
        as: `shop:${flatten ? "flat" : "layer"}`,
        flatten,
      });
      // The scan sees the clone's plain data (so a verifier would be seen too) ...
      expect((await scanBlob(result.image.manifest.disk.digest, [marker])).hits).toBeGreaterThan(0);
      // ... and finds no verifier, nor any part of one.
      const scan = await scanBlob(result.image.manifest.disk.digest, secrets);
      expect(scan.bytesScanned).toBe(result.image.manifest.disk.sizeBytes);
      expect(scan.hits, `verifier bytes at offsets ${scan.examples.map((e) => e.offset).join(", ")}`).toBe(0);
      expect(result.image.manifest.source.rolePasswordsStripped).toBe(true);
      // A clone of the promoted version: the role is there, without a password.
      const again = await createClone({ repository: world.repository, ref: `shop:${flatten ? "flat" : "layer"}`, home: world.home, reporter });
      expect(psql(again.credentials.connectionString, "SELECT count(*) FROM pg_roles WHERE rolname = 'app_reporter'")).toBe("1");
    }, 300_000);
  }
});
