// Code a copied cluster runs by itself, past every grant: PostgreSQL checks no EXECUTE privilege
// when a trigger or event trigger fires. Here an event trigger and a trigger call a superuser's
// SECURITY DEFINER function no other role may execute, and another trigger an untrusted-language
// function the build would have locked: a plain role's INSERT and CREATE run them, the first two as
// the superuser. The clone-time check names all three (objects, never values); the build's step
// takes out the event trigger and the untrusted one, and they no longer run. Real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disableCodeTriggers } from "../../packages/core/src/engine/postgres/code-triggers.js";
import { withAdmin } from "../../packages/core/src/engine/postgres/client.js";
import { imageCatalogFindings } from "../../packages/core/src/engine/postgres/image-check.js";
import { launchTestServer, Tracker, type TestServer } from "../integration/engine/fixtures.js";

const t = new Tracker();
let s: TestServer;
const server = () => ({ socketDir: s.socketDir, port: s.port, adminUser: "srcadmin" });

const PLANTED = `
  CREATE ROLE app LOGIN;
  CREATE SCHEMA app AUTHORIZATION app;
  CREATE TABLE public.seen (who text, what text);
  GRANT INSERT ON public.seen TO PUBLIC;
  CREATE FUNCTION public.on_ddl() RETURNS event_trigger SECURITY DEFINER LANGUAGE plpgsql
    AS $$ BEGIN INSERT INTO public.seen VALUES (current_user, 'ddl'); END $$;
  REVOKE ALL ON FUNCTION public.on_ddl() FROM PUBLIC;
  CREATE EVENT TRIGGER watch_ddl ON ddl_command_start EXECUTE FUNCTION public.on_ddl();
  CREATE TABLE public.orders (id int);
  GRANT INSERT ON public.orders TO app;
  CREATE FUNCTION public.as_root() RETURNS trigger SECURITY DEFINER LANGUAGE plpgsql
    AS $$ BEGIN INSERT INTO public.seen VALUES (current_user, 'row'); RETURN NEW; END $$;
  REVOKE ALL ON FUNCTION public.as_root() FROM PUBLIC;
  CREATE TRIGGER orders_audit BEFORE INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION public.as_root();
  CREATE FUNCTION pg_catalog.hidden_root() RETURNS trigger SECURITY DEFINER LANGUAGE plpgsql
    AS $$ BEGIN INSERT INTO public.seen VALUES (current_user, 'hidden'); RETURN OLD; END $$;
  REVOKE ALL ON FUNCTION pg_catalog.hidden_root() FROM PUBLIC;
  GRANT DELETE ON public.orders TO app;
  CREATE TRIGGER orders_hidden BEFORE DELETE ON public.orders FOR EACH ROW EXECUTE FUNCTION pg_catalog.hidden_root();
  CREATE FUNCTION public.raw_trigger() RETURNS trigger LANGUAGE internal AS 'suppress_redundant_updates_trigger';
  REVOKE ALL ON FUNCTION public.raw_trigger() FROM PUBLIC;
  CREATE TRIGGER orders_raw BEFORE UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION public.raw_trigger();
`;

beforeAll(async () => {
  s = await launchTestServer(t, { prefix: "dbclone-code-triggers-", hba: "local all all trust\n" });
  await s.psql("postgres", PLANTED);
}, 120_000);

afterAll(() => t.cleanup(), 60_000);

describe("triggers and event triggers that run code past every grant", () => {
  it("run for a plain role as the superuser, are named by the clone-time check, and are taken out by the build", async () => {
    const asApp = (sql: string) => s.psql("postgres", `SET ROLE app; ${sql}`);
    await s.psql("postgres", "TRUNCATE public.seen"); // the set-up's own DDL fired the event trigger too
    await asApp("INSERT INTO public.orders VALUES (1); CREATE TABLE app.t1 (x int);");
    expect((await s.psql("postgres", "SELECT who || ':' || what FROM public.seen ORDER BY 1")).split("\n")).toEqual(["srcadmin:ddl", "srcadmin:row"]);

    const found = (await imageCatalogFindings(server())).join("\n");
    expect(found).toMatch(/database postgres: event trigger watch_ddl \(on ddl_command_start, calls public\.on_ddl\(\)\)/);
    expect(found).toMatch(
      /database postgres: trigger orders_audit on public\.orders calls public\.as_root\(\) \(SECURITY DEFINER, owned by superuser srcadmin\)/,
    );
    expect(found).toMatch(/database postgres: trigger orders_hidden on public\.orders calls hidden_root\(\) \(SECURITY DEFINER, owned by superuser srcadmin\)/);
    expect(found).toMatch(/database postgres: trigger orders_raw on public\.orders calls public\.raw_trigger\(\) \(untrusted language internal\)/);

    const fail = (m: string) => new Error(m);
    const taken = await withAdmin(server(), "postgres", (c) => disableCodeTriggers(c, fail), { catalogOnly: true });
    // The SECURITY DEFINER one in public is the owner role's after the hand-over (ownership.ts), which skips pg_catalog.
    expect(taken).toHaveLength(3);
    expect(taken.join("\n")).toMatch(/event trigger watch_ddl/);
    expect(taken.join("\n")).toMatch(/trigger orders_hidden/);
    expect(taken.join("\n")).toMatch(/trigger orders_raw/);
    await s.psql("postgres", "TRUNCATE public.seen");
    await asApp("CREATE TABLE app.t2 (x int); DELETE FROM public.orders;");
    expect(await s.psql("postgres", "SELECT count(*) FROM public.seen")).toBe("0");
    expect(await s.psql("postgres", "SELECT count(*) FROM pg_trigger WHERE tgname = 'orders_raw'")).toBe("0");
    const left = (await imageCatalogFindings(server())).join("\n");
    expect(left).not.toMatch(/event trigger|orders_raw|orders_hidden/);
  });
});
