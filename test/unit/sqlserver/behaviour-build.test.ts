// The image build against the behavioural fake of SQL Server and Windows: each test is a rule the
// real server enforces (documented), which the generated T-SQL and file work must satisfy.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../../packages/core/src/masking/index.js";
import { SourceError } from "../../../packages/core/src/errors.js";
import { DB, GiB, SOURCES, buildOnFake, productionServer } from "./behaviour-fixture.js";
import type { FakeWindows } from "./fake-windows.js";
import { buildThroughPipeline, type PipelineBuildOptions } from "./pipeline-build.js";

const win = path.win32;

async function build(setup = productionServer(), extra: Partial<PipelineBuildOptions> = {}) {
  const { result, layout } = await buildOnFake(setup.fw, setup.server, extra);
  return { ...setup, result: { ...result, layout } };
}

/** The database as stored in the sealed image's primary file. */
function storedDb(fw: FakeWindows): Record<string, unknown> {
  const image = fw.volumes.get("c:\\images\\sales.vhdx")!;
  const primary = [...image.saved].find(([rel]) => rel.endsWith(".mdf"))!;
  return primary[1].meta!.db as Record<string, unknown>;
}

describe("SQL Server build against the behavioural fake", () => {
  it("creates every target folder before RESTORE … MOVE, and leaves the FILESTREAM container itself to RESTORE", async () => {
    const { server, result } = await build();
    const restoreAt = server.batches.findIndex((b) => b.sql.startsWith("RESTORE DATABASE @db FROM DISK"));
    expect(restoreAt).toBeGreaterThan(0);
    const fsFile = result.layout.databases[0]!.files.find((f) => f.kind === "FILESTREAM")!;
    expect(fsFile.path).toMatch(/^databases\\0-.*\\filestream\\f65537-Sales_FS$/);
  });

  it("names files by FILELISTONLY's FileID: the primary .mdf, the others .ndf", async () => {
    const { result } = await build();
    const names = result.layout.databases[0]!.files.map((f) => win.basename(f.path));
    expect(names).toEqual(expect.arrayContaining(["f1-Sales_Data.mdf", "f3-Sales_Data2.ndf"]));
    expect(names.join(" ")).not.toMatch(/NaN/);
  });

  it("moves a file the differential added onto the image disk instead of its production path", async () => {
    const { result, fw } = await build();
    const added = result.layout.databases[0]!.files.find((f) => f.logicalName === "Sales_Data2")!;
    expect(added.path.startsWith("databases\\")).toBe(true);
    expect(fw.exists("D:\\SQLData")).toBe(false);
  });

  it("sizes the staging disk from the backups, with headroom, so a 70 GB database restores on Developer", async () => {
    const { fw } = await build(productionServer({ edition: "Developer", dataBytes: 70 * GiB }));
    const size = Number(/createStaging \S*staging\.vhdx (\d+)/.exec(fw.log.join("\n"))![1]);
    expect(size).toBeGreaterThan(70 * GiB * 1.2);
    const small = await build(productionServer({ edition: "Developer" }));
    expect(Number(/createStaging \S*staging\.vhdx (\d+)/.exec(small.fw.log.join("\n"))![1])).toBeLessThan(8 * GiB);
  });

  it("refuses a database over Express's 10 GB with a clear error before any disk is made", async () => {
    const setup = productionServer({ edition: "Express", dataBytes: 11 * GiB });
    const b = await buildThroughPipeline({ exec: setup.server, disk: setup.fw.disk(), files: setup.fw.fileOps() }, { sources: SOURCES });
    const err = "error" in b.outcome ? b.outcome.error : undefined;
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toMatch(/over the 10 GB per-database limit of Express.*Developer/);
    expect(setup.fw.volumes.size).toBe(0);
    expect(setup.server.batches.some((b) => b.sql.startsWith("RESTORE DATABASE"))).toBe(false);
  });

  it("copies the detached files with backup semantics and ships a rebuilt log, never the restored one", async () => {
    const { fw, result } = await build();
    const log = result.layout.databases[0]!.files.find((f) => f.kind === "LOG")!;
    expect(log.path).toMatch(/^databases\\0-[^\\]+\\rebuilt-log-\d+\.ldf$/);
    const image = fw.volumes.get("c:\\images\\sales.vhdx")!;
    const logNode = image.saved.get(log.path.toLowerCase())!;
    expect(logNode.meta).toEqual({ fresh: true });
    expect([...image.saved.keys()].filter((k) => k.endsWith(".ldf"))).toEqual([log.path.toLowerCase()]);
  });

  it("stores the image's databases MULTI_USER (SINGLE_USER would follow them into every clone)", async () => {
    const { fw } = await build();
    expect(storedDb(fw).userAccess).toBe("MULTI_USER");
  });

  it("scrubs every place old values hide and rebuilds no memory-optimized table", async () => {
    const { fw } = await build();
    expect(storedDb(fw).residue).toEqual([]);
  });

  it("strips production principals with a way in, keeps users without login and certificates", async () => {
    const { fw } = await build();
    const users = (storedDb(fw).users as { name: string }[]).map((u) => u.name).sort();
    expect(users).toEqual(["dbo", "guest", "no_login", "signing_cert"]);
  });

  it("masks with triggers off and system-versioning off, empties the history, and puts both back", async () => {
    const policy = parsePolicy(
      `databases:\n  "${DB.replace(/"/g, '\\"')}":\n    tables:\n      customers:\n        columns:\n          email: email\n`,
      "policy.yml",
    );
    const { fw } = await build(productionServer(), { masking: { policy, key: Buffer.from("behaviour-test-key-0123456789abcdef") } });
    const tables = storedDb(fw).tables as { name: string; triggerFiredOnMask: boolean; historyHoldsOriginals: boolean; versioning: boolean }[];
    const customers = tables.find((t) => t.name === "customers")!;
    expect(customers).toMatchObject({ triggerFiredOnMask: false, historyHoldsOriginals: false, versioning: true, enabledTriggers: ["trg_customers_audit"] });
  });
});
