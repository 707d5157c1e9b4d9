// Who must be able to open a clone's files, in names icacls resolves, and the icacls argv.
// sys.dm_server_services reports the logon account as SQL Server Configuration Manager shows it:
// "LocalSystem" is no account name at all, and the engine opens files as its per-service SID
// (NT SERVICE\MSSQLSERVER or NT SERVICE\MSSQL$<instance>) whichever account it logs on as
// ("Configure Windows Service Accounts and Permissions"). Well-known accounts go by SID (*S-1-5-…).

const WELL_KNOWN: Record<string, string> = {
  localsystem: "*S-1-5-18",
  "nt authority\\system": "*S-1-5-18",
  "nt authority\\localservice": "*S-1-5-19",
  "nt authority\\local service": "*S-1-5-19",
  "nt authority\\networkservice": "*S-1-5-20",
  "nt authority\\network service": "*S-1-5-20",
};

export const serviceSidName = (instance: string | null | undefined): string => (instance ? `NT SERVICE\\MSSQL$${instance}` : "NT SERVICE\\MSSQLSERVER");

/** Administrators: icacls /T must walk into folders (FILESTREAM containers) the detach locked, and gc deletes them. */
export const ADMINISTRATORS = "*S-1-5-32-544";

/**
 * The principals to grant: the service SID, the logon account, (Windows authentication) the caller,
 * whom attach impersonates, and Administrators.
 */
export function filePrincipals(account: string, instance: string | null | undefined, windowsCaller?: string): string[] {
  const out: string[] = [];
  for (const p of [serviceSidName(instance), WELL_KNOWN[account.trim().toLowerCase()] ?? account.trim(), windowsCaller ?? "", ADMINISTRATORS]) {
    if (p && !out.some((q) => q.toLowerCase() === p.toLowerCase())) out.push(p);
  }
  return out;
}

/**
 * Take ownership for the Administrators group first (/setowner uses SeRestorePrivilege; no prompt,
 * unlike takeown's localized /D Y): the image's files carry the ACL sp_detach_db left, which may
 * leave the elevated runner out, and only an owner may always rewrite a DACL.
 */
export function icaclsSetOwnerArgs(folder: string): string[] {
  return [folder, "/setowner", ADMINISTRATORS, "/T", "/C", "/Q"];
}

/**
 * Grant on the databases folder only, recursively: never /T over the mount root, which walks
 * "System Volume Information" (access denied, non-zero exit). (OI)(CI)F: inherited by new files too.
 */
export function icaclsGrantArgs(folder: string, principals: string[]): string[] {
  return [folder, "/grant", ...principals.map((p) => `${p}:(OI)(CI)F`), "/T", "/C", "/Q"];
}
