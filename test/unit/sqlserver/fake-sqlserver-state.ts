// The state a behavioural fake SQL Server keeps per database, and the T-SQL name/literal readers it
// parses batches with.

export interface FakeUser {
  name: string;
  /** sys.database_principals.type: S SQL user, U Windows user, G group, C certificate… */
  type: string;
  /** 0 none (WITHOUT LOGIN), 1 instance (login), 2 database (contained password), 3 Windows. */
  authenticationType: number;
  principalId: number;
  roles?: string[];
  execute?: boolean;
}

export interface FakeTable {
  schema: string;
  name: string;
  memoryOptimized?: boolean;
  /** System-versioned: the history table, and whether it holds production values. */
  history?: { schema: string; name: string };
  triggers?: string[];
  columns?: { name: string; type: string }[];
}

export interface TableState extends FakeTable {
  versioning: boolean;
  historyHoldsOriginals: boolean;
  enabledTriggers: Set<string>;
  /** A trigger ran while the table was masked: its audit rows hold the originals. */
  triggerFiredOnMask: boolean;
}

/** What a backup carries besides its files: the database's own settings and contents. */
export interface FakeDatabaseContent {
  brokerGuid: string;
  containment?: 0 | 1;
  filestreamDirectory?: string;
  users?: FakeUser[];
  tables?: FakeTable[];
  /** Places old values hide, each cleared only by the documented statement. */
  residue?: string[];
}

export interface FakeDbFile {
  logicalName: string;
  path: string;
  kind: "ROWS" | "LOG" | "FILESTREAM" | "FULLTEXT";
}

export interface FakeDb {
  name: string;
  state: "RESTORING" | "ONLINE";
  files: FakeDbFile[];
  userAccess: "MULTI_USER" | "SINGLE_USER";
  brokerGuid: string;
  brokerEnabled: boolean;
  filestreamDirectory?: string;
  containment: 0 | 1;
  users: FakeUser[];
  tables: TableState[];
  residue: Set<string>;
  /** The attached log is the one the restore wrote (it holds pre-mask values). */
  oldLog: boolean;
  checkpointed: boolean;
  sessions: number;
}

export const KIND_OF: Record<string, FakeDbFile["kind"]> = { D: "ROWS", L: "LOG", S: "FILESTREAM", F: "FULLTEXT" };

export function tableState(t: FakeTable): TableState {
  return { ...t, versioning: Boolean(t.history), historyHoldsOriginals: false, enabledTriggers: new Set(t.triggers ?? []), triggerFiredOnMask: false };
}

/** Every [delimited] name in a text, ]] undone, in order. */
export function bracketed(text: string): string[] {
  return [...text.matchAll(/\[((?:[^\]]|\]\])*)\]/g)].map((m) => m[1]!.replace(/]]/g, "]"));
}

/** Every N'…' literal in a text, '' undone, in order. */
export function nLiterals(text: string): string[] {
  return [...text.matchAll(/N'((?:[^']|'')*)'/g)].map((m) => m[1]!.replace(/''/g, "'"));
}

/** A SQL Server error as the driver raises it: number, then message. */
export function sqlError(number: number, message: string): Error {
  return Object.assign(new Error(message), { number, name: "RequestError" });
}
