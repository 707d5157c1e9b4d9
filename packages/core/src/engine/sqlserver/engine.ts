// SQL Server behind the engine contract: how its clones are reached. The host (connection
// settings, VHDX driver, runner) is injected; tests pass the fake one. Its build and clone
// lifecycle still run through engine/sqlserver/{build,clone}.ts.
import type { CloneLogin, Credentials, EngineConnection } from "../types.js";
import { adoConnectionString, sqlServerHost, type SqlServerHost } from "./host.js";

export class SqlServerEngine implements EngineConnection {
  readonly kind = "sqlserver" as const;

  constructor(private readonly host: SqlServerHost = sqlServerHost()) {}

  credentials(login: CloneLogin, database?: string): Credentials {
    const { user, password, host, port, databases } = login;
    return { user, password, host, port, databases, connectionString: this.connectionString(login, { withPassword: true, database }) };
  }

  /** An ADO.NET-style string (Server=…;Database=…); without the password it shows Password=*** (docs/windows.md). */
  connectionString(login: CloneLogin, opts: { withPassword: boolean; database?: string }): string {
    const database = opts.database ?? login.databases[0] ?? "master";
    const text = adoConnectionString(this.host.connection, login, database, login.port);
    return opts.withPassword ? text : text.replace(/Password=("(?:[^"]|"")*"|[^;]*)/, "Password=***");
  }
}
