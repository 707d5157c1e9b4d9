// pg as the bundles ship it (dist/cli/vendor/pg.cjs): WebCrypto is loaded only when a SCRAM password
// login over TCP needs it (scripts/pg-lazy-webcrypto.mjs), and that login still works.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tracker, launchTestServer, type TestServer } from "../engine/fixtures.js";

const repoRoot = path.resolve(import.meta.dirname, "../../..");
const pgBundle = path.join(repoRoot, "dist/cli/vendor/pg.cjs");
const t = new Tracker();
let server: TestServer;

beforeAll(async () => {
  server = await launchTestServer(t, {
    prefix: "dbclone-bundled-pg-",
    hba: "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
    settings: () => ({ listen_addresses: "127.0.0.1", fsync: "off" }),
  });
  await server.psql("postgres", "CREATE ROLE scram_user LOGIN PASSWORD 'pw-scram-1234'");
}, 120_000);
afterAll(() => t.cleanup(), 60_000);

/** Run `body` (an async function of pg) in a fresh node with the bundled pg; its JSON result and which crypto modules got loaded. */
function withBundledPg(body: string): { result: unknown; webcrypto: boolean } {
  const script = `const pg = require(${JSON.stringify(pgBundle)});
(${body})(pg).then((result) => process.stdout.write(JSON.stringify({ result, webcrypto: process.moduleLoadList.some((m) => /internal\\/crypto\\/webcrypto/.test(m)) })),
  (e) => { process.stderr.write(String(e && e.stack || e)); process.exitCode = 1; });`;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 30_000 });
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout);
}

describe("the bundled pg", () => {
  it("connects over the socket without loading WebCrypto", () => {
    const r = withBundledPg(`async (pg) => {
      const c = new pg.Client({ host: ${JSON.stringify(server.socketDir)}, port: ${server.port}, user: "srcadmin", database: "postgres" });
      await c.connect(); const { rows } = await c.query("SELECT 1 AS one"); await c.end(); return rows[0].one; }`);
    expect(r).toEqual({ result: 1, webcrypto: false });
  });

  it("logs in over TCP with a SCRAM password (loading WebCrypto then), and refuses a wrong one", () => {
    const login = (password: string) =>
      withBundledPg(`async (pg) => {
        const c = new pg.Client({ host: "127.0.0.1", port: ${server.port}, user: "scram_user", password: ${JSON.stringify(password)}, database: "postgres" });
        try { await c.connect(); const { rows } = await c.query("SELECT current_user AS u"); return rows[0].u; }
        catch (e) { return "refused: " + e.message; } finally { await c.end().catch(() => {}); } }`);
    expect(login("pw-scram-1234")).toEqual({ result: "scram_user", webcrypto: true });
    expect(login("wrong")).toMatchObject({ result: expect.stringMatching(/^refused: password authentication failed/) });
  });
});
