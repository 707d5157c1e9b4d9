// The masking policy model: engine-neutral, plain JSON after loading. PostgreSQL and SQL Server
// generate their own SQL from it; the keyed mapping (keyed-digest.ts) is the same for both.

export const VALUE_TRANSFORMERS = [
  "firstName",
  "lastName",
  "fullName",
  "email",
  "phone",
  "address",
  "company",
  "iban",
  "creditCard",
  "nationalId",
  "text",
  "hash",
  "redact",
  "dateShift",
  "noise",
] as const;
/** Transformers done by the database itself, row by row in one statement (no mapping needed). */
export const SQL_TRANSFORMERS = ["null", "constant", "shuffle", "sql"] as const;
export const TRANSFORMERS = [...VALUE_TRANSFORMERS, ...SQL_TRANSFORMERS] as const;

export type ValueTransformerName = (typeof VALUE_TRANSFORMERS)[number];
export type TransformerName = (typeof TRANSFORMERS)[number];

/** One column's rule as written in the policy (the string shorthand `email` is normalised to this). */
export interface ColumnRule {
  transformer: TransformerName;
  /** Columns of one family share one mapping: same input → same output (default: derived from transformer + options). */
  family?: string;
  /** Outputs must be distinct (default: detected from a unique index on the column). */
  unique?: boolean;
  locale?: string;
  keepDomain?: boolean;
  /** redact: characters kept at the end (default 4). */
  keep?: number;
  maskChar?: string;
  /** dateShift: shift within ±days (default 30, never 0). */
  days?: number;
  /** noise: ±percent (default 10). */
  percent?: number;
  /** constant: the value. */
  value?: string | number | boolean | null;
  /** sql: an expression over the row's columns, per engine or one for all. */
  expression?: string | { postgres?: string; sqlserver?: string };
  /** hash: hex characters kept (default 32). */
  length?: number;
  /** address: which part (default street). */
  part?: "street" | "city" | "postcode" | "country" | "full";
  /** nationalId: output format (default us-ssn). */
  format?: "us-ssn" | "digits";
  /** iban: country code of the generated IBANs (default: the original's). */
  country?: string;
  /** null/constant: also replace NULLs (default: NULL stays NULL). */
  fillNulls?: boolean;
}

export interface TablePolicy {
  /** Only rows matching this condition (engine SQL) are masked. */
  where?: string;
  columns: Record<string, ColumnRule>;
  /**
   * Unmasked columns declared not personal, each with the reason (recorded in the manifest): a
   * masked column's original found in them is reported, not a failed build.
   */
  notPersonal?: Record<string, string>;
}

export interface DatabasePolicy {
  /** Keys are `schema.table`, or `table` for the default schema. */
  tables: Record<string, TablePolicy>;
  /** Emptied (kept, with no rows). */
  truncate: string[];
  /** Dropped: not in the image at all. */
  exclude: string[];
}

export interface DefaultRule extends ColumnRule {
  /** Regular expression (case-insensitive) matched against column names not listed explicitly. */
  column: string;
}

export interface VariantPolicy {
  access?: { users: string[]; teams: string[] };
  locale?: string;
  defaults: DefaultRule[];
  databases: Record<string, DatabasePolicy>;
}

/** `exhaustive` (the default) searches the disk for every original; `none` needs a reason. */
export interface LeakScanPolicy {
  mode: "exhaustive" | "none";
  reason?: string;
}

export interface MaskingPolicy {
  version: 1;
  locale: string;
  /** Default `fail`: a build stops when an unmasked column looks like personal data. */
  onUnmaskedPii: "warn" | "fail";
  leakScan: LeakScanPolicy;
  defaults: DefaultRule[];
  databases: Record<string, DatabasePolicy>;
  variants: Record<string, VariantPolicy>;
  /** Where each part was written, for errors that point at the file (not part of the digest). */
  origin?: PolicyOrigin;
}

export interface SourcePosition {
  line: number;
  column: number;
}

export interface PolicyOrigin {
  file: string;
  /** Key: path segments joined by "\u0000"; value: where that key (or item) was written. */
  positions: Map<string, SourcePosition>;
}

/** A rule resolved against a real database: one column, its transformer and family. */
export interface ResolvedRule extends ColumnRule {
  database: string;
  schema: string;
  table: string;
  column: string;
  /** The column's type as the engine names it (for casts). */
  type: string;
  family: string;
  where?: string;
  /** Why the rule applies: written for this column, a default pattern, or inherited through a foreign key. */
  origin: "policy" | "default" | "foreign-key";
  /** Where the rule was written in the policy (the column, the default, or the parent key's rule), for errors. */
  policyPath?: (string | number)[];
}
