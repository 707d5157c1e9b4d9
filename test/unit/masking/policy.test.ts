import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { maskingPolicySchema, parsePolicy, PolicyError, resolvePolicy, type SchemaFacts } from "../../../packages/core/src/masking/index.js";

const facts: SchemaFacts = {
  defaultSchema: "public",
  databases: [
    {
      name: "shop",
      sizeBytes: 0,
      tables: [
        {
          schema: "public",
          name: "customers",
          rowEstimate: 1,
          sizeBytes: 0,
          columns: ["id", "first_name", "email", "contact_email"].map((name) => ({ name, type: "text", nullable: true })),
        },
        {
          schema: "public",
          name: "orders",
          rowEstimate: 1,
          sizeBytes: 0,
          columns: ["id", "customer_email", "note"].map((name) => ({ name, type: "text", nullable: true })),
        },
        { schema: "public", name: "sessions", rowEstimate: 1, sizeBytes: 0, columns: [{ name: "token", type: "text", nullable: false }] },
      ],
    },
  ],
  uniqueColumns: [{ database: "shop", schema: "public", table: "customers", column: "email" }],
  foreignKeys: [
    {
      from: { database: "shop", schema: "public", table: "orders", column: "customer_email" },
      to: { database: "shop", schema: "public", table: "customers", column: "email" },
    },
  ],
};

const policyYaml = `# dbclone.yml
image: shop
masking:
  onUnmaskedPii: fail
  defaults:
    - column: ^contact_email$
      transformer: email
  databases:
    shop:
      truncate: [sessions]
      tables:
        public.customers:
          where: "id <> 'internal'"
          columns:
            first_name: firstName
            email: { transformer: email }
  variants:
    contractor:
      access: { users: [octocat] }
      databases:
        shop:
          tables:
            orders:
              columns:
                note: { transformer: text }
`;

function errorOf(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return e as PolicyError;
  }
  throw new Error("expected a PolicyError");
}

describe("masking policy", () => {
  it("reads the masking: section of dbclone.yml and resolves defaults, where, truncate and foreign keys", () => {
    const policy = parsePolicy(policyYaml, "dbclone.yml");
    const r = resolvePolicy(policy, undefined, facts);
    const byColumn = Object.fromEntries(r.rules.map((x) => [`${x.table}.${x.column}`, x]));
    expect(Object.keys(byColumn).sort()).toEqual(["customers.contact_email", "customers.email", "customers.first_name", "orders.customer_email"]);
    expect(byColumn["customers.contact_email"]!.origin).toBe("default");
    expect(byColumn["orders.customer_email"]!.origin).toBe("foreign-key");
    expect(byColumn["orders.customer_email"]!.family).toBe("email");
    // unique index on customers.email → the whole email family is unique
    expect(byColumn["customers.contact_email"]!.unique).toBe(true);
    expect(byColumn["customers.email"]!.where).toBe("id <> 'internal'");
    expect(r.truncate).toEqual([{ database: "shop", schema: "public", table: "sessions" }]);
    expect(r.onUnmaskedPii).toBe("fail");
  });

  it("a variant adds its rules and access list", () => {
    const r = resolvePolicy(parsePolicy(policyYaml, "dbclone.yml"), "contractor", facts);
    expect(r.rules.find((x) => x.column === "note")?.transformer).toBe("text");
    expect(r.access).toEqual({ users: ["octocat"], teams: [] });
    expect(() => resolvePolicy(parsePolicy(policyYaml, "dbclone.yml"), "nobody", facts)).toThrow(/no variant 'nobody'/);
  });

  it("a missing table or column is an error at its line and column", () => {
    const missingTable = policyYaml.replace("public.customers:", "public.clients:");
    const e1 = errorOf(() => resolvePolicy(parsePolicy(missingTable, "dbclone.yml"), undefined, facts));
    expect(e1.message).toMatch(/^dbclone\.yml:12:9: databases\.shop\.tables\.public\.clients: table 'public\.clients' does not exist/);
    const missingColumn = policyYaml.replace("first_name: firstName", "fist_name: firstName");
    const e2 = errorOf(() => resolvePolicy(parsePolicy(missingColumn, "dbclone.yml"), undefined, facts));
    expect([e2.line, e2.column, e2.field]).toEqual([15, 13, "databases.shop.tables.public.customers.columns.fist_name"]);
    expect(e2.message).toMatch(/column 'fist_name' does not exist/);
  });

  it("schema errors name file, line, column and field", () => {
    const e1 = errorOf(() => parsePolicy(policyYaml.replace("email: { transformer: email }", "email: { transformer: emial }"), "p.yml"));
    expect(e1.message).toMatch(/^p\.yml:16:\d+: .*transformer: must be one of: firstName/);
    const e2 = errorOf(() => parsePolicy(policyYaml.replace("email: { transformer: email }", "email: { transformer: email, keep_domain: true }"), "p.yml"));
    expect(e2.message).toMatch(/^p\.yml:16:\d+: .*unknown field 'keep_domain'/);
    const e3 = errorOf(() => parsePolicy("databases:\n  shop:\n    tables:\n      t:\n        columns:\n          c: { transformer: constant }\n", "own.yml"));
    expect(e3.message).toMatch(/^own\.yml:6:11: .*needs 'value'/);
    const e4 = errorOf(() => parsePolicy("databases: [oops\n", "bad.yml"));
    expect(e4.message).toMatch(/^bad\.yml:\d+:\d+: not valid YAML/);
  });

  it("a foreign key column masked differently from its parent is refused", () => {
    const yaml = policyYaml.replace(
      "    contractor:",
      "    contractor:\n      databases:\n        shop:\n          tables:\n            orders:\n              columns:\n                customer_email: hash\n    other:",
    );
    const e = errorOf(() => resolvePolicy(parsePolicy(yaml, "dbclone.yml"), "contractor", facts));
    expect(e.message).toMatch(/customer_email references customers\.email.*same transformer and family/);
  });

  it("the published JSON Schema file is the schema the loader uses, and it compiles", () => {
    const published = JSON.parse(readFileSync(new URL("../../../schemas/masking-policy.schema.json", import.meta.url), "utf8"));
    expect(published).toEqual(JSON.parse(JSON.stringify(maskingPolicySchema)));
    expect(new Ajv({ strict: false }).compile(published)({ databases: { shop: { tables: { t: { columns: { c: "email" } } } } } })).toBe(true);
  });
});
