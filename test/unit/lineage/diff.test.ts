import { afterEach, describe, expect, it } from "vitest";
import { diffManifests } from "../../../packages/core/src/lineage/index.js";
import { makeLineageWorld, type LineageWorld } from "./fixture.js";

let world: LineageWorld | undefined;
afterEach(() => world?.cleanup());

describe("diffManifests", () => {
  it("reports row count and column changes, and nothing for identical versions", async () => {
    world = await makeLineageWorld();
    const v1 = await world.publish("v1", { rows: 10 });
    const v2 = await world.publish("v2", { rows: 12, extraColumn: true, minutes: 1 });
    const diff = diffManifests(v1.manifest, v2.manifest);
    expect(diff.same).toBe(false);
    expect(diff.tables).toEqual([
      { database: "shop", schema: "public", table: "orders", changes: ["rows", "schema"], rowsBefore: 10, rowsAfter: 12, columnsAdded: ["note"] },
    ]);
    expect(diffManifests(v1.manifest, v1.manifest)).toEqual({ databasesAdded: [], databasesRemoved: [], tables: [], same: true });
  });

  it("reports added and removed databases and tables", async () => {
    world = await makeLineageWorld();
    const v1 = await world.publish("v1");
    const m2 = structuredClone(v1.manifest);
    m2.databases.push({ name: "billing", sizeBytes: 1, tables: [] });
    m2.databases[0]!.tables = [{ schema: "public", name: "invoices", rowEstimate: 3, sizeBytes: 1, columns: [] }];
    const diff = diffManifests(v1.manifest, m2);
    expect(diff.databasesAdded).toEqual(["billing"]);
    expect(diff.tables.map((t) => `${t.table}:${t.changes.join()}`)).toEqual(["invoices:added", "orders:removed"]);
  });
});
