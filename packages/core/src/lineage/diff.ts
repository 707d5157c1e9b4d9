// What changed between two image versions, from their manifests alone (no disk is opened):
// databases added/removed, tables added/removed, row counts and column lists that differ.
import type { ImageManifest } from "../image/manifest.js";

type Table = ImageManifest["databases"][number]["tables"][number];

export interface TableDiff {
  database: string;
  schema: string;
  table: string;
  /** "added"/"removed" alone, or any of "rows" and "schema" for a table in both. */
  changes: Array<"added" | "removed" | "rows" | "schema">;
  rowsBefore?: number;
  rowsAfter?: number;
  columnsAdded?: string[];
  columnsRemoved?: string[];
  /** Columns whose type or nullability changed: "name: old → new". */
  columnsChanged?: string[];
}

export interface ManifestDiff {
  databasesAdded: string[];
  databasesRemoved: string[];
  tables: TableDiff[];
  /** True when nothing differs. */
  same: boolean;
}

const columnText = (c: Table["columns"][number]) => `${c.type}${c.nullable ? "" : " not null"}`;

export function diffManifests(before: ImageManifest, after: ImageManifest): ManifestDiff {
  const dbBefore = new Map(before.databases.map((d) => [d.name, d]));
  const dbAfter = new Map(after.databases.map((d) => [d.name, d]));
  const databasesAdded = [...dbAfter.keys()].filter((n) => !dbBefore.has(n)).sort();
  const databasesRemoved = [...dbBefore.keys()].filter((n) => !dbAfter.has(n)).sort();
  const tables: TableDiff[] = [];
  for (const name of [...new Set([...dbBefore.keys(), ...dbAfter.keys()])].sort()) {
    const key = (t: Table) => `${t.schema}.${t.name}`;
    const tBefore = new Map((dbBefore.get(name)?.tables ?? []).map((t) => [key(t), t]));
    const tAfter = new Map((dbAfter.get(name)?.tables ?? []).map((t) => [key(t), t]));
    for (const k of [...new Set([...tBefore.keys(), ...tAfter.keys()])].sort()) {
      const a = tBefore.get(k);
      const b = tAfter.get(k);
      const base = { database: name, schema: (a ?? b)!.schema, table: (a ?? b)!.name };
      if (!a) tables.push({ ...base, changes: ["added"], rowsAfter: b!.rowEstimate });
      else if (!b) tables.push({ ...base, changes: ["removed"], rowsBefore: a.rowEstimate });
      else {
        const d = compareTable(a, b);
        if (d.changes.length) tables.push({ ...base, ...d });
      }
    }
  }
  return { databasesAdded, databasesRemoved, tables, same: !databasesAdded.length && !databasesRemoved.length && !tables.length };
}

function compareTable(a: Table, b: Table): Omit<TableDiff, "database" | "schema" | "table"> {
  const changes: TableDiff["changes"] = [];
  const out: Omit<TableDiff, "database" | "schema" | "table" | "changes"> = {};
  if (a.rowEstimate !== b.rowEstimate) {
    changes.push("rows");
    Object.assign(out, { rowsBefore: a.rowEstimate, rowsAfter: b.rowEstimate });
  }
  const ca = new Map(a.columns.map((c) => [c.name, c]));
  const cb = new Map(b.columns.map((c) => [c.name, c]));
  const added = [...cb.keys()].filter((n) => !ca.has(n));
  const removed = [...ca.keys()].filter((n) => !cb.has(n));
  const changed = [...ca.keys()]
    .filter((n) => cb.has(n) && columnText(ca.get(n)!) !== columnText(cb.get(n)!))
    .map((n) => `${n}: ${columnText(ca.get(n)!)} → ${columnText(cb.get(n)!)}`);
  if (added.length || removed.length || changed.length) {
    changes.push("schema");
    if (added.length) out.columnsAdded = added;
    if (removed.length) out.columnsRemoved = removed;
    if (changed.length) out.columnsChanged = changed;
  }
  return { changes, ...out };
}
