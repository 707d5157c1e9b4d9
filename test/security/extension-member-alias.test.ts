// Extension membership is no proof a function is an extension's: a superuser can `ALTER EXTENSION
// … ADD` any function, which also records its grants at that moment (PUBLIC's) as the extension's
// initial privileges. A copied cluster (or a hand-made image) with an `internal` alias of
// pg_read_binary_file, granted to PUBLIC and added to plpgsql, let any role read every file of the
// data directory (an alias of lo_export would write any file the server's OS user may): the build's lock and the clone-time check skipped it as plpgsql's, and the widened-grant
// check took its grant for plpgsql's initial one. It is locked and named now; an extension's
// harmless alias of a built-in PUBLIC may run (citext's kind) stays the extension's. Real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withAdmin } from "../../packages/core/src/engine/postgres/client.js";
import { imageCatalogFindings } from "../../packages/core/src/engine/postgres/image-check.js";
import { lockUntrustedFunctions, reachableUntrustedFunctions } from "../../packages/core/src/engine/postgres/untrusted-functions.js";
import { launchTestServer, Tracker, type TestServer } from "../integration/engine/fixtures.js";

const t = new Tracker();
let s: TestServer;
const server = () => ({ socketDir: s.socketDir, port: s.port, adminUser: "srcadmin" });

const PLANTED = `
  CREATE ROLE app LOGIN;
  CREATE FUNCTION public.peek(text) RETURNS bytea LANGUAGE internal STRICT AS 'pg_read_binary_file_all';
  GRANT EXECUTE ON FUNCTION public.peek(text) TO PUBLIC;
  ALTER EXTENSION plpgsql ADD FUNCTION public.peek(text);
  CREATE FUNCTION public.shown(boolean) RETURNS text LANGUAGE internal STRICT IMMUTABLE AS 'booltext';
  ALTER EXTENSION plpgsql ADD FUNCTION public.shown(boolean);
`;

beforeAll(async () => {
  s = await launchTestServer(t, { prefix: "dbclone-ext-alias-", hba: "local all all trust\n" });
  await s.psql("postgres", PLANTED);
}, 120_000);

afterAll(() => t.cleanup(), 60_000);

describe("an untrusted function added to an extension", () => {
  it("is found, named by the clone-time check and locked by the build; an extension's harmless alias is left alone", async () => {
    const asApp = (sql: string) => s.psql("postgres", `SET ROLE app; ${sql}`);
    expect(await asApp("SELECT length(public.peek('PG_VERSION')) > 0")).toBe("t"); // the attack: any role reads the data directory's files

    const reachable = await withAdmin(server(), "postgres", reachableUntrustedFunctions, { catalogOnly: true });
    expect(reachable.map((f) => f.name)).toEqual(["public.peek(text)"]);
    expect((await imageCatalogFindings(server())).join("\n")).toMatch(
      /database postgres: function public\.peek\(text\) in untrusted language internal is reachable/,
    );

    await withAdmin(server(), "postgres", (c) => lockUntrustedFunctions(c, (m) => new Error(m)), { catalogOnly: true });
    await expect(asApp("SELECT public.peek('PG_VERSION')")).rejects.toThrow(/permission denied for function peek/);
    expect(await asApp("SELECT public.shown(true)")).toBe("true");
    expect(await withAdmin(server(), "postgres", reachableUntrustedFunctions, { catalogOnly: true })).toEqual([]);
  });
});
