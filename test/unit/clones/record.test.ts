// A clone's record as callers and teardown see it: the login points at the database asked for (and
// only one the image holds), and teardown addresses exactly the server the record names.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../packages/core/src/errors.js";
import { assertDatabaseChoice, connectionStringOf, credentialsOf, serverOf, sharedServerOf } from "../../../packages/core/src/clones/record.js";
import type { CloneRecord } from "../../../packages/core/src/clones/types.js";

const record = (over: Partial<CloneRecord> = {}): CloneRecord => ({
  id: "c0ffee12",
  state: "ready",
  image: { name: "shop", version: "1", manifestDigest: `sha256:${"a".repeat(64)}`, diskDigest: `sha256:${"b".repeat(64)}` },
  engine: "postgres",
  dir: "/var/lib/dbclone/clones/c0ffee12",
  childFile: "/var/lib/dbclone/clones/c0ffee12/child.qcow2",
  mountPath: "/var/lib/dbclone/clones/c0ffee12/mnt",
  host: "127.0.0.1",
  port: 54321,
  serverPid: 4242,
  runtime: "host",
  user: "clone_user",
  password: "s3cret-pw",
  databases: ["orders", "billing"],
  createdAt: "2024-01-01T00:00:00.000Z",
  labels: {},
  repository: "/repo",
  ...over,
});

describe("a clone's login", () => {
  it("points at the first database by default and at the one asked for otherwise", () => {
    const first = credentialsOf(record());
    expect(first).toMatchObject({ host: "127.0.0.1", port: 54321, user: "clone_user", password: "s3cret-pw" });
    expect(first.connectionString).toMatch(/\/orders(\?|$)/);
    expect(credentialsOf(record(), "billing").connectionString).toMatch(/\/billing(\?|$)/);
  });

  it("shows the connection string without the password unless asked for it", () => {
    expect(connectionStringOf(record(), { withPassword: false, database: "billing" })).not.toContain("s3cret-pw");
    expect(connectionStringOf(record(), { withPassword: false, database: "billing" })).toContain("billing");
    expect(connectionStringOf(record(), { withPassword: true })).toContain("s3cret-pw");
  });
});

describe("choosing a database the image does not hold", () => {
  it("is refused naming the image and the databases it holds; none chosen or one it holds passes", () => {
    expect(() => assertDatabaseChoice("payroll", ["orders", "billing"], "shop:1")).toThrow(
      new UsageError("database 'payroll' is not in shop:1; it holds: orders, billing. Choose one of those."),
    );
    expect(() => assertDatabaseChoice("x", [], "empty:1")).toThrow("database 'x' is not in empty:1; it holds: no databases. Choose one of those.");
    expect(() => assertDatabaseChoice(undefined, ["orders"], "shop:1")).not.toThrow();
    expect(() => assertDatabaseChoice("orders", ["orders"], "shop:1")).not.toThrow();
  });
});

describe("the server teardown addresses", () => {
  it("is the recorded host process, with its run directory under the clone's own directory", () => {
    expect(serverOf(record())).toEqual({
      pid: 4242,
      host: "127.0.0.1",
      port: 54321,
      socketDir: path.join("/var/lib/dbclone/clones/c0ffee12", "run"),
      adminUser: "",
    });
  });

  it("is none when no process was recorded (a container, or a clone that never started)", () => {
    expect(serverOf(record({ serverPid: undefined, containerId: "abc", runtime: "docker" }))).toBeUndefined();
    expect(serverOf(record({ serverPid: 0 }))).toBeUndefined();
  });

  it("on a shared server (SQL Server) is only this clone's databases, by its id, never a process", () => {
    expect(sharedServerOf(record({ engine: "sqlserver", serverPid: undefined }))).toEqual({
      pid: 0,
      host: "127.0.0.1",
      port: 54321,
      adminUser: "",
      databases: ["orders", "billing"],
      cloneId: "c0ffee12",
    });
  });
});
