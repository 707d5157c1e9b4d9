import { describe, expect, it } from "vitest";
import { qualifiedName, quoteIdent } from "../../../packages/core/src/engine/postgres/sql.js";
import { connectionString } from "../../../packages/core/src/engine/postgres/login.js";
import { redactUrl, splitPassword } from "../../../packages/core/src/engine/postgres/url.js";

describe("quoteIdent", () => {
  it("always quotes and doubles embedded quotes", () => {
    expect(quoteIdent("users")).toBe('"users"');
    expect(quoteIdent("Mixed Case")).toBe('"Mixed Case"');
    expect(quoteIdent('a"; DROP TABLE x; --')).toBe('"a""; DROP TABLE x; --"');
    expect(qualifiedName("sales", "order")).toBe('"sales"."order"');
  });

  it("refuses empty names and NUL bytes", () => {
    expect(() => quoteIdent("")).toThrow(/empty/);
    expect(() => quoteIdent("a\u0000b")).toThrow(/NUL/);
  });
});

describe("URLs and secrets", () => {
  it("strips the password from a server URL, in user-info and query", () => {
    expect(redactUrl("postgresql://app:s3cr%40t@db.example:5432/prod")).toBe("postgresql://app@db.example:5432/prod");
    expect(redactUrl("postgres://app@h/prod?password=pw&sslmode=require")).toBe("postgres://app@h/prod?sslmode=require");
  });

  it("hands the decoded password back separately for PGPASSWORD", () => {
    expect(splitPassword("postgresql://app:s3cr%40t@h:5432/prod")).toEqual({ url: "postgresql://app@h:5432/prod", password: "s3cr@t" });
    expect(splitPassword("postgresql://app@h/prod").password).toBeUndefined();
  });

  it("URL-encodes user, password and database in connection strings", () => {
    expect(connectionString("ci user", "p@ss/w:rd", "127.0.0.1", 5433, "my db")).toBe("postgresql://ci%20user:p%40ss%2Fw%3Ard@127.0.0.1:5433/my%20db");
    expect(connectionString("u", "p", "::1", 5433, "d")).toBe("postgresql://u:p@[::1]:5433/d");
  });
});
