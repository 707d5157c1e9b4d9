// <mountPath>/dbclone-engine.json: what a data area holds, readable without starting a server.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { SourceError } from "../../errors.js";

export interface EngineFile {
  kind: "postgres";
  /** Full server version, e.g. "15.18". */
  version: string;
  /** The bootstrap superuser inside this data (reached only over the private socket). */
  adminUser: string;
}

export const ENGINE_FILE = "dbclone-engine.json";
export const DATA_DIR = "pgdata";
export const ADMIN_USER = "dbclone_admin";

export const dataDirOf = (mountPath: string): string => path.join(mountPath, DATA_DIR);

export async function writeEngineFile(mountPath: string, info: EngineFile): Promise<void> {
  await writeFile(path.join(mountPath, ENGINE_FILE), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o644 });
}

/** The engine file, or what PG_VERSION alone tells (major only, admin assumed). */
export async function readEngineFile(mountPath: string): Promise<EngineFile> {
  const file = path.join(mountPath, ENGINE_FILE);
  if (existsSync(file)) {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<EngineFile>;
    if (parsed.kind !== "postgres" || typeof parsed.version !== "string" || typeof parsed.adminUser !== "string") {
      throw new SourceError(`${file} is not a PostgreSQL engine record (expected {kind:"postgres", version, adminUser}).`);
    }
    return parsed as EngineFile;
  }
  const pgVersion = path.join(dataDirOf(mountPath), "PG_VERSION");
  if (!existsSync(pgVersion)) {
    throw new SourceError(`${mountPath} holds no PostgreSQL data (no ${ENGINE_FILE} and no ${DATA_DIR}/PG_VERSION).`);
  }
  return { kind: "postgres", version: (await readFile(pgVersion, "utf8")).trim(), adminUser: ADMIN_USER };
}
