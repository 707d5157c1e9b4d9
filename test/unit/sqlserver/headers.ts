// RESTORE HEADERONLY rows for a made-up database, with LSNs as SQL Server prints them (strings).
import type { Row } from "../../../packages/core/src/engine/sqlserver/executor.js";

export const FAMILY = "6f9619ff-8b86-d011-b42d-00c04fc964ff";

export function header(o: {
  type: 1 | 2 | 5;
  first: string;
  last: string;
  checkpoint?: string;
  diffBase?: string;
  db?: string;
  family?: string;
  set?: string;
  diffBaseGuid?: string;
}): Row {
  return {
    BackupType: o.type,
    Position: 1,
    DatabaseName: o.db ?? "Sales ]DB' 販売 Ünïcode",
    FirstLSN: o.first,
    LastLSN: o.last,
    CheckpointLSN: o.checkpoint ?? o.first,
    DifferentialBaseLSN: o.diffBase ?? null,
    DifferentialBaseGUID: o.diffBaseGuid ?? null,
    FamilyGUID: o.family ?? FAMILY,
    BackupSetGUID: o.set ?? `set-${o.first}`,
  };
}

// A realistic chain: full, logs 1-2, differential, log 3 (LSNs above 2^53, as real ones are).
export const FULL = header({ type: 1, first: "37000000012300037", last: "37000000012800001", checkpoint: "37000000012300037", set: "full-set" });
export const LOG1 = header({ type: 2, first: "37000000010000001", last: "37000000013000001" });
export const DIFF = header({
  type: 5,
  first: "37000000014000037",
  last: "37000000014200001",
  checkpoint: "37000000014000037",
  diffBase: "37000000012300037",
  diffBaseGuid: "full-set",
});
export const LOG2 = header({ type: 2, first: "37000000013000001", last: "37000000015000001" });
export const LOG3 = header({ type: 2, first: "37000000015000001", last: "37000000016000001" });
