// Clones and teardown against the behavioural fake: an image built by the fake server, then cloned
// on the same or another instance, with the rules attach, icacls and sessions follow for real.
import { describe, expect, it } from "vitest";
import { cloneSqlServer, teardownSqlServer, type SqlServerCloneDeps } from "../../../packages/core/src/engine/sqlserver/clone.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { BASE, buildOnFake, productionServer, readLayoutFrom } from "./behaviour-fixture.js";
import { FakeSqlServer, type FakeServerOptions } from "./fake-sqlserver.js";
import { sqlError } from "./fake-sqlserver-state.js";
import type { FakeDatabaseContent } from "./fake-sqlserver-state.js";

/** Build the image on one instance; clone on `cloneOn` (default: the same one). */
async function imageThenClones(build: FakeServerOptions & { content?: Partial<FakeDatabaseContent> } = {}, cloneOn?: FakeServerOptions) {
  const { fw, server } = productionServer({ edition: "Developer", ...build });
  await buildOnFake(fw, server);
  const target = cloneOn ? new FakeSqlServer(fw, cloneOn) : server;
  target.network.tcpEnabled = true;
  target.network.loginMode = 2;
  const deps: SqlServerCloneDeps = { exec: target, disk: fw.disk(), runner: fw.runner(), reporter: silentReporter, readLayout: readLayoutFrom(fw) };
  const clone = (id: string) =>
    cloneSqlServer(deps, { cloneId: id, baseFile: BASE, cloneDir: `C:\\clones\\${id}`, password: "pw", windowsCaller: cloneOn?.windowsCaller });
  return { fw, server: target, deps, clone };
}

describe("SQL Server clones against the behavioural fake", () => {
  it("attaches two clones of one image side by side: MULTI_USER, own broker, own FILESTREAM directory", async () => {
    const { server, clone } = await imageThenClones();
    const a = await clone("c-a");
    const b = await clone("c-b");
    const [dbA, dbB] = [Object.values(a.databases)[0]!, Object.values(b.databases)[0]!];
    for (const name of [dbA, dbB]) {
      server.connectClient(name);
      server.connectClient(name); // a pool opens several sessions: Msg 924 if SINGLE_USER came along
    }
    expect(server.db(dbA)!.brokerGuid).not.toBe(server.db(dbB)!.brokerGuid);
    expect([server.db(dbA)!.brokerEnabled, server.db(dbB)!.brokerEnabled]).toEqual([true, true]);
    expect(server.db(dbA)!.filestreamDirectory).not.toBe(server.db(dbB)!.filestreamDirectory);
  });

  it("brings an image's databases back MULTI_USER even when its files say SINGLE_USER (images made before this fix)", async () => {
    const { fw, server, clone } = await imageThenClones();
    const image = fw.volumes.get(BASE.toLowerCase())!;
    const primary = [...image.saved.values()].find((n) => (n.meta?.db as { userAccess?: string } | undefined)?.userAccess)!;
    (primary.meta!.db as { userAccess: string }).userAccess = "SINGLE_USER";
    const c = await clone("c-old");
    const name = Object.values(c.databases)[0]!;
    server.connectClient(name);
    server.connectClient(name);
  });

  it("grants by names icacls resolves when SQL Server logs on as LocalSystem, never /T over the volume root", async () => {
    const { fw, clone } = await imageThenClones({}, { edition: "Developer", serviceAccount: "LocalSystem" });
    await clone("c-sys");
    const icacls = fw.log.filter((l) => l.startsWith("command: icacls"));
    expect(icacls.join("\n")).toContain("*S-1-5-18:(OI)(CI)F");
    expect(icacls.join("\n")).toContain("NT SERVICE\\MSSQL$SQLEXPRESS:(OI)(CI)F");
    for (const l of icacls) expect(l).toMatch(/^command: icacls C:\\clones\\c-sys\\mnt\\databases /);
  });

  it("clones on another instance than the build's: the image's reset ACLs are taken over and granted to its service SID", async () => {
    const { server, clone } = await imageThenClones(
      { instance: "SQLEXPRESS" },
      { edition: "Developer", instance: null, serviceAccount: "NT Service\\MSSQLSERVER" },
    );
    const c = await clone("c-x");
    server.connectClient(Object.values(c.databases)[0]!);
  });

  it("with Windows authentication, the caller (whom attach impersonates) can open the files too", async () => {
    const { server, clone } = await imageThenClones({}, { edition: "Developer", windowsCaller: "CORP\\builder" });
    const c = await clone("c-w");
    server.connectClient(Object.values(c.databases)[0]!);
  });

  it("a contained database: a clear error without contained database authentication, attached with it", async () => {
    const content = { containment: 1 as const };
    const off = await imageThenClones({ containedAuth: true, content }, { edition: "Developer", containedAuth: false });
    await expect(off.clone("c-off")).rejects.toThrow(/contained database authentication.*sp_configure/);
    expect(off.server.databases.size).toBe(0);
    const on = await imageThenClones({ containedAuth: true, content }, { edition: "Developer", containedAuth: true });
    await expect(on.clone("c-on")).resolves.toBeDefined();
  });

  it("gives the clone login EXECUTE besides its roles, and no production user comes along", async () => {
    const { server, clone } = await imageThenClones();
    const c = await clone("c-e");
    const users = server.db(Object.values(c.databases)[0]!)!.users;
    expect(users.find((u) => u.name === "dbclone_c-e")).toMatchObject({ execute: true, roles: ["db_datareader", "db_datawriter", "db_ddladmin"] });
    expect(users.map((u) => u.name)).not.toContain("CORP\\alice");
  });

  it("teardown drops a database whose detach failed before it unmounts, and keeps the disk while one stays attached", async () => {
    const { fw, server, clone, deps } = await imageThenClones();
    const c = await clone("c-t");
    server.failNext.push({ text: "sp_detach_db", error: sqlError(3703, "Cannot detach the database because it is currently in use.") });
    await teardownSqlServer(deps, c);
    expect(server.databases.size).toBe(0);
    expect(fw.volumes.has("c:\\clones\\c-t\\child.vhdx")).toBe(false);

    const d = await clone("c-u");
    server.failNext.push({ text: "sp_detach_db", error: sqlError(3703, "in use") }, { text: "DROP DATABASE", error: sqlError(3702, "in use") });
    await expect(teardownSqlServer(deps, d)).rejects.toThrow(/still attached: the child disk stays mounted/);
    expect(fw.volumes.get("c:\\clones\\c-u\\child.vhdx")?.mountedAt).toBe("C:\\clones\\c-u\\mnt");
  });
});
