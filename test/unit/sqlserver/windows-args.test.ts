// The argv dbclone hands to icacls and robocopy (pwsh/Windows cannot run here, so the argument
// construction is what is tested), and how their exit codes are read.
import { describe, expect, it } from "vitest";
import { filePrincipals, icaclsGrantArgs, icaclsSetOwnerArgs, serviceSidName } from "../../../packages/core/src/engine/sqlserver/icacls.js";
import { robocopyMoveArgs, robocopySucceeded, robocopyTreeArgs } from "../../../packages/core/src/engine/sqlserver/file-ops.js";
import { windowsCaller } from "../../../packages/core/src/engine/sqlserver/host.js";
import { FakeWindows } from "./fake-windows.js";

describe("icacls arguments", () => {
  it("names the per-service SID of the instance, a well-known SID for LocalSystem, and the Windows caller", () => {
    expect(serviceSidName(null)).toBe("NT SERVICE\\MSSQLSERVER");
    expect(serviceSidName("SQLEXPRESS")).toBe("NT SERVICE\\MSSQL$SQLEXPRESS");
    expect(filePrincipals("LocalSystem", "SQLEXPRESS")).toEqual(["NT SERVICE\\MSSQL$SQLEXPRESS", "*S-1-5-18", "*S-1-5-32-544"]);
    expect(filePrincipals("NT AUTHORITY\\NETWORK SERVICE", null, "CORP\\builder")).toEqual([
      "NT SERVICE\\MSSQLSERVER",
      "*S-1-5-20",
      "CORP\\builder",
      "*S-1-5-32-544",
    ]);
    expect(filePrincipals("NT Service\\MSSQLSERVER", null)).toEqual(["NT SERVICE\\MSSQLSERVER", "*S-1-5-32-544"]);
    expect(windowsCaller({ server: "db", auth: { kind: "ntlm", domain: "CORP", user: "builder", password: "x" } })).toBe("CORP\\builder");
    expect(windowsCaller({ server: "db", auth: { kind: "sql", user: "sa", password: "x" } })).toBeUndefined();
  });

  it("takes ownership, then grants on the databases folder, never /T over a volume root", () => {
    const dir = "C:\\clones\\c 1\\mnt\\databases";
    expect(icaclsSetOwnerArgs(dir)).toEqual([dir, "/setowner", "*S-1-5-32-544", "/T", "/C", "/Q"]);
    expect(icaclsGrantArgs(dir, ["NT SERVICE\\MSSQLSERVER", "*S-1-5-18"])).toEqual([
      dir,
      "/grant",
      "NT SERVICE\\MSSQLSERVER:(OI)(CI)F",
      "*S-1-5-18:(OI)(CI)F",
      "/T",
      "/C",
      "/Q",
    ]);
  });

  it("is refused by the fake exactly where Windows refuses it: an unresolvable name, System Volume Information", async () => {
    const fw = new FakeWindows();
    const disk = fw.disk();
    await disk.createStaging("C:\\d.vhdx", "C:\\m", 1 << 30);
    fw.mkdirp("C:\\m\\databases");
    expect(() => fw.icacls(icaclsGrantArgs("C:\\m\\databases", ["LocalSystem"]))).toThrow(/1332/);
    expect(() => fw.icacls(["C:\\m", "/grant", "NT SERVICE\\MSSQLSERVER:(OI)(CI)F", "/T", "/C", "/Q"])).toThrow(/system volume information: Access is denied/i);
    expect(() => fw.icacls(icaclsGrantArgs("C:\\m\\databases", filePrincipals("LocalSystem", null)))).not.toThrow();
  });
});

describe("robocopy arguments and exit codes", () => {
  it("copies a tree with backup semantics, data and timestamps only, leaving named files out", () => {
    expect(robocopyTreeArgs("C:\\w\\staging\\databases", "C:\\w\\fresh\\databases", ["f2-Log.ldf"])).toEqual([
      "C:\\w\\staging\\databases",
      "C:\\w\\fresh\\databases",
      "/E",
      "/B",
      "/COPY:DAT",
      "/DCOPY:DAT",
      "/XJ",
      "/XF",
      "f2-Log.ldf",
      "/R:1",
      "/W:1",
      "/NP",
      "/NFL",
      "/NDL",
      "/NJH",
      "/NJS",
    ]);
    expect(robocopyMoveArgs("C:\\Program Files\\SQL\\DATA\\x_log.ldf", "C:\\w\\staging\\databases\\0-x")).toEqual([
      "C:\\Program Files\\SQL\\DATA",
      "C:\\w\\staging\\databases\\0-x",
      "x_log.ldf",
      "/B",
      "/MOV",
      "/COPY:DAT",
      "/R:1",
      "/W:1",
      "/NP",
      "/NFL",
      "/NDL",
      "/NJH",
      "/NJS",
    ]);
  });
  it("reads exit codes 0-7 as success and 8 or more as failure", () => {
    expect([0, 1, 2, 3, 7].every(robocopySucceeded)).toBe(true);
    expect([8, 16, null].some(robocopySucceeded)).toBe(false);
  });
});
