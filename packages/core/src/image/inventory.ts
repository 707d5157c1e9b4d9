// What an image holds, database by database: what an engine's inventory() reads and the manifest
// records; masking plans against it. Engine-neutral, so every layer above image can name it.
export interface TableInfo {
  schema: string;
  name: string;
  rowEstimate: number;
  sizeBytes: number;
  columns: { name: string; type: string; nullable: boolean }[];
}

export interface DatabaseInfo {
  name: string;
  sizeBytes: number;
  tables: TableInfo[];
}
