// Promote brings the clones' login group up to date: a table a clone's login made is handed to the
// owner role at promote, and the next version's logins (one CREATE ROLE … IN ROLE dbclone_clones)
// reach it only because promote granted the group that role and the new table. Here the image
// comes from a data directory whose objects keep their source owner, so before promote the group
// is not a member of the owner role at all.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../../../packages/core/src/build/index.js";
import { createClone, teardownClones } from "../../../packages/core/src/clones/index.js";
import { promoteClone } from "../../../packages/core/src/clones/promote.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { sourceDataDir } from "../../security/fixtures.js";
import { makeWorld, psql, type World } from "../clones/fixture.js";
import { Tracker } from "../engine/fixtures.js";

const SOURCE = `
  CREATE ROLE app_owner NOLOGIN;
  CREATE SCHEMA app AUTHORIZATION app_owner;
  SET ROLE app_owner;
  CREATE TABLE app.items (id int);
  INSERT INTO app.items VALUES (1), (2);
  RESET ROLE;
`;

let world: World;
const t = new Tracker();
const reporter = silentReporter;
const clone = (ref: string) => createClone({ repository: world.repository, ref, home: world.home, reporter });

beforeAll(async () => {
  world = await makeWorld("dbclone-promote-group-");
  await buildImage({
    unmasked: { reason: "synthetic test data" },
    repository: world.repository,
    name: "app",
    version: "v1",
    sources: [{ kind: "datadir", path: await sourceDataDir(t, SOURCE) }],
    home: world.home,
    reporter,
  });
}, 300_000);

afterAll(async () => {
  await world?.cleanup();
  await t.cleanup();
});

describe("promote and the clones' login group", { timeout: 300_000 }, () => {
  it("gives the next version's logins what the promoted clone created", async () => {
    const c1 = await clone("app:v1");
    const member = (conn: string, role: string) => psql(conn, `SELECT pg_has_role(current_user, '${role}', 'MEMBER')`);
    expect(member(c1.credentials.connectionString, "dbclone_clones")).toBe("t");
    expect(member(c1.credentials.connectionString, "dbclone_owner")).toBe("f");
    psql(c1.credentials.connectionString, "CREATE TABLE app.fresh (x int); INSERT INTO app.fresh VALUES (42)");
    await promoteClone({ repository: world.repository, home: world.home, reporter, clone: c1.clone.id, as: "app:v2", build: { actor: "tester" } });

    const c2 = await clone("app:v2");
    try {
      const conn = c2.credentials.connectionString;
      expect(member(conn, "dbclone_clones")).toBe("t");
      expect(psql(conn, "SELECT x FROM app.fresh")).toBe("42");
      expect(psql(conn, "SELECT count(*) FROM app.items")).toBe("2");
      // Migrations on what the clone made: the next version's login may alter it.
      psql(conn, "ALTER TABLE app.fresh ADD COLUMN y int");
    } finally {
      await teardownClones({ home: world.home, reporter, id: c2.clone.id });
    }
  });
});
