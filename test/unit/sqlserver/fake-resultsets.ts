// RESTORE HEADERONLY and RESTORE FILELISTONLY rows with every column the documentation lists
// (learn.microsoft.com "RESTORE Statements - HEADERONLY / FILELISTONLY"), named exactly as
// documented (a client sees `FileID`, never `FileId`) and valued the way the mssql/tedious driver
// hands each SQL type to JavaScript: numeric → number, bigint → string, bit → boolean,
// uniqueidentifier → upper-case string, datetime → Date.
import type { Row } from "../../../packages/core/src/engine/sqlserver/executor.js";

type SqlType = "nvarchar" | "char" | "smallint" | "tinyint" | "int" | "bigint" | "numeric" | "bit" | "uniqueidentifier" | "datetime" | "varbinary";

const HEADERONLY: [string, SqlType][] = [
  ["BackupName", "nvarchar"],
  ["BackupDescription", "nvarchar"],
  ["BackupType", "smallint"],
  ["ExpirationDate", "datetime"],
  ["Compressed", "tinyint"],
  ["Position", "smallint"],
  ["DeviceType", "tinyint"],
  ["UserName", "nvarchar"],
  ["ServerName", "nvarchar"],
  ["DatabaseName", "nvarchar"],
  ["DatabaseVersion", "int"],
  ["DatabaseCreationDate", "datetime"],
  ["BackupSize", "numeric"],
  ["FirstLSN", "numeric"],
  ["LastLSN", "numeric"],
  ["CheckpointLSN", "numeric"],
  ["DatabaseBackupLSN", "numeric"],
  ["BackupStartDate", "datetime"],
  ["BackupFinishDate", "datetime"],
  ["SortOrder", "smallint"],
  ["CodePage", "smallint"],
  ["UnicodeLocaleId", "int"],
  ["UnicodeComparisonStyle", "int"],
  ["CompatibilityLevel", "tinyint"],
  ["SoftwareVendorId", "int"],
  ["SoftwareVersionMajor", "int"],
  ["SoftwareVersionMinor", "int"],
  ["SoftwareVersionBuild", "int"],
  ["MachineName", "nvarchar"],
  ["Flags", "int"],
  ["BindingID", "uniqueidentifier"],
  ["RecoveryForkID", "uniqueidentifier"],
  ["Collation", "nvarchar"],
  ["FamilyGUID", "uniqueidentifier"],
  ["HasBulkLoggedData", "bit"],
  ["IsSnapshot", "bit"],
  ["IsReadOnly", "bit"],
  ["IsSingleUser", "bit"],
  ["HasBackupChecksums", "bit"],
  ["IsDamaged", "bit"],
  ["BeginsLogChain", "bit"],
  ["HasIncompleteMetaData", "bit"],
  ["IsForceOffline", "bit"],
  ["IsCopyOnly", "bit"],
  ["FirstRecoveryForkID", "uniqueidentifier"],
  ["ForkPointLSN", "numeric"],
  ["RecoveryModel", "nvarchar"],
  ["DifferentialBaseLSN", "numeric"],
  ["DifferentialBaseGUID", "uniqueidentifier"],
  ["BackupTypeDescription", "nvarchar"],
  ["BackupSetGUID", "uniqueidentifier"],
  ["CompressedBackupSize", "bigint"],
  ["Containment", "tinyint"],
  ["KeyAlgorithm", "nvarchar"],
  ["EncryptorThumbprint", "varbinary"],
  ["EncryptorType", "nvarchar"],
  ["LastValidRestoreTime", "datetime"],
  ["TimeZone", "nvarchar"],
  ["CompressionAlgorithm", "nvarchar"],
];

const FILELISTONLY: [string, SqlType][] = [
  ["LogicalName", "nvarchar"],
  ["PhysicalName", "nvarchar"],
  ["Type", "char"],
  ["FileGroupName", "nvarchar"],
  ["Size", "numeric"],
  ["MaxSize", "numeric"],
  ["FileID", "bigint"],
  ["CreateLSN", "numeric"],
  ["DropLSN", "numeric"],
  ["UniqueID", "uniqueidentifier"],
  ["ReadOnlyLSN", "numeric"],
  ["ReadWriteLSN", "numeric"],
  ["BackupSizeInBytes", "bigint"],
  ["SourceBlockSize", "int"],
  ["FileGroupID", "int"],
  ["LogGroupGUID", "uniqueidentifier"],
  ["DifferentialBaseLSN", "numeric"],
  ["DifferentialBaseGUID", "uniqueidentifier"],
  ["IsReadOnly", "bit"],
  ["IsPresent", "bit"],
  ["TDEThumbprint", "varbinary"],
  ["SnapshotURL", "nvarchar"],
];

/** The JavaScript value tedious gives for a value of this SQL type (NULL stays null). */
function asDriverValue(type: SqlType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "numeric":
    case "smallint":
    case "tinyint":
    case "int":
      return Number(v);
    case "bigint":
      return String(v);
    case "bit":
      return Boolean(v);
    case "uniqueidentifier":
      return String(v).toUpperCase();
    case "datetime":
      return v instanceof Date ? v : new Date(String(v));
    case "varbinary":
      return Buffer.isBuffer(v) ? v : Buffer.from(String(v));
    default:
      return String(v);
  }
}

function documentedRow(columns: [string, SqlType][], values: Record<string, unknown>): Row {
  for (const k of Object.keys(values)) {
    if (!columns.some(([c]) => c === k))
      throw new Error(`fake result set: ${k} is not a documented column (did you mean ${columns.find(([c]) => c.toLowerCase() === k.toLowerCase())?.[0]}?)`);
  }
  return Object.fromEntries(columns.map(([c, t]) => [c, asDriverValue(t, values[c])]));
}

export interface FakeBackupFile {
  logicalName: string;
  /** Where the file was in production (RESTORE puts it there unless MOVEd). */
  physicalName: string;
  type: "D" | "L" | "S" | "F";
  fileId: number;
  sizeBytes: number;
}

export const headerRow = (values: Record<string, unknown>): Row =>
  documentedRow(HEADERONLY, { Compressed: 0, DeviceType: 2, DatabaseVersion: 957, CompatibilityLevel: 160, Containment: 0, RecoveryModel: "FULL", ...values });

export const fileListRow = (f: FakeBackupFile): Row =>
  documentedRow(FILELISTONLY, {
    LogicalName: f.logicalName,
    PhysicalName: f.physicalName,
    Type: f.type,
    FileGroupName: f.type === "L" ? null : f.type === "S" ? "FS" : "PRIMARY",
    Size: f.sizeBytes,
    MaxSize: 35184372080640,
    FileID: f.fileId,
    CreateLSN: 0,
    UniqueID: `00000000-0000-0000-0000-${String(f.fileId).padStart(12, "0")}`,
    BackupSizeInBytes: f.sizeBytes,
    SourceBlockSize: 512,
    FileGroupID: f.type === "L" ? 0 : 1,
    IsReadOnly: false,
    IsPresent: true,
  });
