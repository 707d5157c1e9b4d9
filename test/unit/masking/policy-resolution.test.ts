// Resolving a masking policy against the databases really restored, as a policy author's
// mistakes and overlaps meet it: every name that is not in the image is an error naming what is,
// default patterns apply in a stated order and never to skipped tables, foreign keys inherit
// through chains, and uniqueness follows the family. A wrong resolution is an unmasked column.
import { describe, expect, it } from "vitest";
import { parsePolicy, PolicyError, resolvePolicy, type SchemaFacts } from "../../../packages/core/src/masking/index.js";

const typeOf = (name: string) => (name.endsWith("_at") ? "timestamp" : name.endsWith("_email") && name !== "backup_email" ? "varchar" : "text");
const cols = (...names: string[]) => names.map((name) => ({ name, type: typeOf(name), nullable: true }));
const table = (schema: string, name: string, ...columns: string[]) => ({ schema, name, rowEstimate: 1, sizeBytes: 0, columns: cols(...columns) });
const ref = (table: string, column: string, schema = "public") => ({ database: "shop", schema, table, column });
const facts: SchemaFacts = {
  defaultSchema: "public",
  databases: [
    {
      name: "shop",
      sizeBytes: 0,
      tables: [
        table("public", "customers", "id", "email", "backup_email", "phone", "born_at"),
        table("sales", "customers", "id", "email"),
        table("public", "orders", "id", "customer_email", "note"),
        table("public", "shipments", "id", "order_email"),
        table("public", "audit", "id", "email"),
        table("public", "report", "email"),
        table("public", "staging", "email"),
      ],
    },
    { name: "crm", sizeBytes: 0, tables: [table("public", "leads", "id", "email")] },
  ],
  uniqueColumns: [ref("customers", "backup_email"), ref("customers", "born_at")],
  // The chain's second link first: resolving it takes a second round.
  foreignKeys: [
    { from: ref("shipments", "order_email"), to: ref("orders", "customer_email") },
    { from: ref("orders", "customer_email"), to: ref("customers", "email") },
  ],
  readOnlyTables: [{ database: "shop", schema: "public", table: "report" }],
};

const resolve = (yaml: string, variant?: string, f: SchemaFacts = facts) => resolvePolicy(parsePolicy(yaml, "dbclone.yml"), variant, f);
const errorOf = (fn: () => unknown): PolicyError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return e as PolicyError;
  }
  throw new Error("expected a PolicyError");
};
const rule = (r: ReturnType<typeof resolve>, table: string, column: string, schema = "public", database = "shop") =>
  r.rules.find((x) => x.database === database && x.schema === schema && x.table === table && x.column === column);

describe("names that are not in the image", () => {
  it("an unknown variant lists the variants there are, or says none", () => {
    const e = errorOf(() => resolve("variants:\n  a: {}\n  b: {}\n", "c"));
    expect(e.message).toMatch(/no variant 'c' in the policy; it has: a, b$/);
    expect(e.field).toBe("variants");
    expect(errorOf(() => resolve("databases: {}\n", "c")).message).toMatch(/no variant 'c' in the policy; it has: none$/);
  });

  it("an unknown database lists the databases in the image", () => {
    expect(errorOf(() => resolve("databases:\n  warehouse:\n    tables: {}\n")).message).toMatch(
      /database 'warehouse' is not in the image; it has: shop, crm$/,
    );
  });

  it("an unknown table in truncate or exclude is refused at its item", () => {
    const e = errorOf(() => resolve("databases:\n  shop:\n    exclude: [audit, ghosts]\n"));
    expect(e.field).toBe("databases.shop.exclude.1");
    expect(e.message).toMatch(/table 'public\.ghosts' does not exist in database 'shop'/);
  });

  it("an unknown column lists the table's columns", () => {
    expect(errorOf(() => resolve("databases:\n  shop:\n    tables:\n      orders:\n        columns:\n          mail: email\n")).message).toMatch(
      /column 'mail' does not exist in public\.orders \(database 'shop'\); it has: id, customer_email, note$/,
    );
  });

  it("notPersonal may name only an existing column that the policy does not mask", () => {
    const unknown = errorOf(() => resolve("databases:\n  shop:\n    tables:\n      orders:\n        columns: {}\n        notPersonal: { memo: internal }\n"));
    expect(unknown.message).toMatch(/column 'memo' does not exist in public\.orders \(database 'shop'\)$/);
    expect(unknown.field).toBe("databases.shop.tables.orders.notPersonal.memo");
    const masked = errorOf(() =>
      resolve("databases:\n  shop:\n    tables:\n      orders:\n        columns: { note: text }\n        notPersonal: { note: free text }\n"),
    );
    expect(masked.message).toMatch(/column 'note' is masked by this policy; notPersonal is for unmasked columns$/);
    const ok = resolve("databases:\n  shop:\n    tables:\n      orders:\n        columns: {}\n        notPersonal: { note: order status codes }\n");
    expect(ok.notPersonal).toEqual([{ ...ref("orders", "note"), reason: "order status codes" }]);
  });

  it("an sql rule without any engine's expression is refused", () => {
    const e = errorOf(() =>
      resolve('databases:\n  shop:\n    tables:\n      orders:\n        columns:\n          note: { transformer: sql, expression: { postgres: "" } }\n'),
    );
    expect(e.message).toMatch(/an sql rule needs an expression$/);
    const ok = resolve(
      "databases:\n  shop:\n    tables:\n      orders:\n        columns:\n          note: { transformer: sql, expression: { sqlserver: \"N''\" } }\n",
    );
    expect(rule(ok, "orders", "note")?.transformer).toBe("sql");
    const oneForAll = resolve("databases:\n  shop:\n    tables:\n      orders:\n        columns:\n          note: { transformer: sql, expression: \"'-'\" }\n");
    expect(rule(oneForAll, "orders", "note")?.expression).toBe("'-'");
  });

  it("an invalid default pattern is refused at its position", () => {
    const e = errorOf(() => resolve("defaults:\n  - { column: email, transformer: email }\n  - { column: '(unclosed', transformer: text }\n"));
    expect(e.field).toBe("defaults.1");
    expect(e.message).toMatch(/'\(unclosed' is not a valid regular expression \(/);
  });
});

describe("which rule a column gets", () => {
  it("a table name starting with a dot is not read as an empty schema", () => {
    expect(errorOf(() => resolve("databases:\n  shop:\n    tables:\n      .orders:\n        columns: { note: text }\n")).message).toMatch(
      /table 'public\.\.orders' does not exist/,
    );
  });

  it("a schema-qualified table is that schema's; an unqualified one is the default schema's", () => {
    const r = resolve(
      "databases:\n  shop:\n    tables:\n      sales.customers:\n        columns: { email: hash }\n      customers:\n        columns: { email: redact }\n",
    );
    expect(rule(r, "customers", "email", "sales")?.transformer).toBe("hash");
    expect(rule(r, "customers", "email")?.transformer).toBe("redact");
    expect(rule(r, "customers", "email")?.policyPath).toEqual(["databases", "shop", "tables", "customers", "columns", "email"]);
  });

  it("defaults: the variant's before the policy's, the first match wins, case-insensitively; an explicit rule beats them all", () => {
    const yaml = `defaults:
  - { column: "^BACKUP_EMAIL$", transformer: hash }
  - { column: "backup", transformer: redact }
  - { column: "^email$", transformer: email }
databases:
  crm:
    tables:
      leads:
        columns: { email: text }
variants:
  partner:
    defaults:
      - { column: "phone", transformer: phone }
      - { column: "backup_", transformer: email }
`;
    const base = resolve(yaml);
    expect(rule(base, "customers", "backup_email")).toMatchObject({ transformer: "hash", origin: "default", policyPath: ["defaults", 0] });
    expect(rule(base, "customers", "email")).toMatchObject({ transformer: "email", policyPath: ["defaults", 2] });
    expect(rule(base, "customers", "phone")).toBeUndefined();
    expect(rule(base, "leads", "email", "public", "crm")).toMatchObject({ transformer: "text", origin: "policy" });
    const swapped = resolve(
      yaml
        .replace('"^BACKUP_EMAIL$", transformer: hash', '"backup", transformer: redact')
        .replace('"backup", transformer: redact }\n  - { column: "^email', '"^BACKUP_EMAIL$", transformer: hash }\n  - { column: "^email'),
    );
    expect(rule(swapped, "customers", "backup_email")).toMatchObject({ transformer: "redact", policyPath: ["defaults", 0] });
    const partner = resolve(yaml, "partner");
    expect(partner.variant).toBe("partner");
    expect(rule(partner, "customers", "phone")).toMatchObject({ transformer: "phone", policyPath: ["variants", "partner", "defaults", 0] });
    expect(rule(partner, "customers", "backup_email")).toMatchObject({ transformer: "email", policyPath: ["variants", "partner", "defaults", 1] });
    expect(rule(partner, "customers", "email")?.transformer).toBe("email");
  });

  it("no default reaches an excluded, truncated or read-only table, and their explicit rules are dropped", () => {
    const r = resolve(`defaults:
  - { column: email, transformer: email }
databases:
  shop:
    exclude: [audit]
    truncate: [staging]
    tables:
      audit:
        columns: { email: hash }
`);
    for (const t of ["audit", "staging", "report"]) expect(rule(r, t, "email")).toBeUndefined();
    expect(r.exclude).toEqual([{ database: "shop", schema: "public", table: "audit" }]);
    expect(r.truncate).toEqual([{ database: "shop", schema: "public", table: "staging" }]);
    expect(rule(r, "customers", "email")?.transformer).toBe("email");
    const sales = resolve("defaults:\n  - { column: email, transformer: email }\ndatabases:\n  shop:\n    exclude: [sales.customers]\n");
    expect(rule(sales, "customers", "email", "sales")).toBeUndefined();
    expect(rule(sales, "customers", "email")?.transformer).toBe("email");
    expect(rule(sales, "leads", "email", "public", "crm")?.transformer).toBe("email");
  });

  it("a rule without a locale takes the variant's locale over the policy's", () => {
    const yaml = "locale: de\ndatabases:\n  shop:\n    tables:\n      orders:\n        columns: { note: text }\nvariants:\n  fr:\n    locale: fr\n  same: {}\n";
    expect(rule(resolve(yaml), "orders", "note")?.locale).toBe("de");
    expect(rule(resolve(yaml, "fr"), "orders", "note")?.locale).toBe("fr");
    expect(rule(resolve(yaml, "same"), "orders", "note")?.locale).toBe("de");
  });

  it("the result carries the policy's settings, and a variant key and access list only for a variant that has them", () => {
    const r = resolve("onUnmaskedPii: fail\ndatabases: {}\nvariants:\n  open: {}\n");
    expect(r.onUnmaskedPii).toBe("fail");
    expect(r.leakScan).toEqual(parsePolicy("databases: {}\n", "x.yml").leakScan);
    expect("variant" in r).toBe(false);
    expect("access" in r).toBe(false);
    expect("access" in resolve("databases: {}\nvariants:\n  open: {}\n", "open")).toBe(false);
  });
});

describe("foreign keys and uniqueness", () => {
  it("a chain of foreign keys inherits the parent's rule, with the child's own column type, and no where clause", () => {
    const r = resolve(
      "databases:\n  shop:\n    tables:\n      customers:\n        where: \"id <> '0'\"\n        columns: { email: { transformer: email, family: people } }\n",
    );
    expect(rule(r, "customers", "email")?.where).toBe("id <> '0'");
    for (const [t, c] of [
      ["orders", "customer_email"],
      ["shipments", "order_email"],
    ] as const) {
      const child = rule(r, t, c);
      expect(child).toMatchObject({ transformer: "email", family: "people", origin: "foreign-key", type: "varchar" });
      expect(child?.where).toBeUndefined();
    }
  });

  it("a child masked by a value rule under a parent that is not masked is refused", () => {
    const e = errorOf(() => resolve("databases:\n  shop:\n    tables:\n      orders:\n        columns: { customer_email: email }\n"));
    expect(e.message).toMatch(
      /orders\.customer_email references customers\.email, which is not masked: mask customers\.email with the same rule, or the foreign key breaks$/,
    );
    expect(e.field).toBe("databases.shop.tables.orders.columns.customer_email");
  });

  it("a child with the parent's family but another transformer is refused", () => {
    const e = errorOf(() =>
      resolve(
        "databases:\n  shop:\n    tables:\n      customers:\n        columns: { email: { transformer: email, family: people } }\n      orders:\n        columns: { customer_email: { transformer: hash, family: people } }\n",
      ),
    );
    expect(e.message).toMatch(/which is masked as family 'people': mask it the same way/);
  });

  it("a parent masked by an SQL transformer passes nothing on and refuses nothing", () => {
    const r = resolve(
      'databases:\n  shop:\n    tables:\n      customers:\n        columns: { email: { transformer: "null" } }\n      orders:\n        columns: { customer_email: { transformer: "null" } }\n',
    );
    expect(rule(r, "orders", "customer_email")?.origin).toBe("policy");
    expect(rule(r, "shipments", "order_email")).toBeUndefined();
  });

  it("a family is unique when any of its columns is; other families and non-replacing transformers are not", () => {
    const r = resolve(`databases:
  shop:
    tables:
      customers:
        columns:
          email: { transformer: email, family: contact }
          backup_email: { transformer: email, family: contact }
          phone: phone
          born_at: { transformer: dateShift, unique: true }
      orders:
        columns: { note: { transformer: text, unique: true } }
`);
    expect(rule(r, "customers", "email")?.unique).toBe(true);
    expect(rule(r, "orders", "customer_email")?.unique).toBe(true);
    expect(rule(r, "customers", "phone")?.unique).toBe(false);
    expect(rule(r, "customers", "born_at")?.unique).toBe(false);
    expect(rule(r, "orders", "note")?.unique).toBe(true);
  });
});
