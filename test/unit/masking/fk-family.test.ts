// A foreign key child that uses the parent's transformer but another family gets another mapping:
// the same email would mask to two different values and every join on the key would break.
import { describe, expect, it } from "vitest";
import { parsePolicy, PolicyError, resolvePolicy, type SchemaFacts } from "../../../packages/core/src/masking/index.js";

const col = (name: string) => ({ name, type: "text", nullable: true });
const facts: SchemaFacts = {
  defaultSchema: "public",
  databases: [
    {
      name: "shop",
      sizeBytes: 0,
      tables: [
        { schema: "public", name: "customers", rowEstimate: 1, sizeBytes: 0, columns: [col("id"), col("email")] },
        { schema: "public", name: "orders", rowEstimate: 1, sizeBytes: 0, columns: [col("id"), col("customer_email")] },
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

const policyWith = (childRule: string) => `databases:
  shop:
    tables:
      customers:
        columns:
          email: { transformer: email, family: people }
      orders:
        columns:
          customer_email: ${childRule}
`;

describe("foreign keys in a masking policy", () => {
  it("refuses a child with the parent's transformer but another family, naming the child's line", () => {
    let error: unknown;
    try {
      resolvePolicy(parsePolicy(policyWith("{ transformer: email, family: buyers }"), "dbclone.yml"), undefined, facts);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as Error).message).toMatch(/^dbclone\.yml:9:\d+: .*orders\.customer_email references customers\.email, which is masked as family 'people'/);
  });

  it("refuses a child with the parent's family left to its default (it differs from an explicit parent family)", () => {
    expect(() => resolvePolicy(parsePolicy(policyWith("{ transformer: email }"), "dbclone.yml"), undefined, facts)).toThrow(/family 'people'/);
  });

  it("accepts a child with the same transformer and family, and one that inherits", () => {
    const same = resolvePolicy(parsePolicy(policyWith("{ transformer: email, family: people }"), "dbclone.yml"), undefined, facts);
    expect(same.rules.find((r) => r.column === "customer_email")).toMatchObject({ family: "people", unique: true });
    const inherited = resolvePolicy(
      parsePolicy(policyWith("{ transformer: email, family: people }").replace(/ {6}orders:\n.*\n.*\n/, ""), "dbclone.yml"),
      undefined,
      facts,
    );
    expect(inherited.rules.find((r) => r.column === "customer_email")).toMatchObject({ family: "people", origin: "foreign-key" });
  });
});
