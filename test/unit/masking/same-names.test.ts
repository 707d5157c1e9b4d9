// Policy resolution when tables share a name across schemas or databases (orders in public and in
// sales; leads in crm and in shop): each rule, type and exclusion must land on the table it names,
// never on its namesake — an exclusion that reached the wrong database would leave a column unmasked.
import { describe, expect, it } from "vitest";
import { parsePolicy, resolvePolicy, type SchemaFacts } from "../../../packages/core/src/masking/index.js";

const col = (name: string, type = "text") => ({ name, type, nullable: true });
const table = (schema: string, name: string, ...columns: ReturnType<typeof col>[]) => ({ schema, name, rowEstimate: 1, sizeBytes: 0, columns });
const ref = (database: string, schema: string, table: string, column: string) => ({ database, schema, table, column });

const facts: SchemaFacts = {
  defaultSchema: "public",
  databases: [
    // Listed first: a lookup that ignored the database would find these namesakes.
    {
      name: "crm",
      sizeBytes: 0,
      tables: [table("sales", "orders", col("id", "integer"), col("customer_email", "citext")), table("public", "leads", col("email"))],
    },
    {
      name: "shop",
      sizeBytes: 0,
      tables: [
        table("public", "customers", col("id", "integer"), col("email")),
        // Listed before sales.orders: a lookup that ignored the schema would find this one.
        table("public", "orders", col("id", "integer"), col("customer_email", "varchar(40)")),
        table("sales", "invoices", col("id", "integer"), col("customer_email", "varchar(60)")),
        table("sales", "orders", col("id", "integer"), col("customer_email", "varchar(80)")),
        table("public", "leads", col("email")),
      ],
    },
  ],
  uniqueColumns: [],
  foreignKeys: [
    { from: ref("shop", "sales", "orders", "customer_email"), to: ref("shop", "public", "customers", "email") },
    // A referencing table the inventory does not list (a partition, say): it inherits the parent's type.
    { from: ref("shop", "archive", "orders_2019", "customer_email"), to: ref("shop", "public", "customers", "email") },
  ],
};

const resolve = (yaml: string) => resolvePolicy(parsePolicy(yaml, "dbclone.yml"), undefined, facts);
const find = (r: ReturnType<typeof resolve>, database: string, schema: string, table: string) =>
  r.rules.find((x) => x.database === database && x.schema === schema && x.table === table);

describe("same-named tables in two schemas or databases", () => {
  it("a foreign key child inherits the parent's rule with its own column's type, not a namesake's", () => {
    const r = resolve("databases:\n  shop:\n    tables:\n      customers:\n        columns: { email: email }\n");
    expect(find(r, "shop", "sales", "orders")).toMatchObject({ column: "customer_email", transformer: "email", type: "varchar(80)", origin: "foreign-key" });
    expect(find(r, "shop", "archive", "orders_2019")).toMatchObject({ column: "customer_email", type: "text", origin: "foreign-key" });
    expect(find(r, "shop", "public", "orders")).toBeUndefined();
    expect(find(r, "crm", "sales", "orders")).toBeUndefined();
  });

  it("excluding a table in one database leaves its namesake in another masked", () => {
    const r = resolve(
      "databases:\n  crm:\n    exclude: [leads]\n  shop:\n    tables:\n      leads:\n        columns: { email: email }\n      customers:\n        columns: { email: email }\n",
    );
    expect(r.exclude).toEqual([{ database: "crm", schema: "public", table: "leads" }]);
    expect(find(r, "shop", "public", "leads")).toMatchObject({ column: "email", transformer: "email" });
  });
});
