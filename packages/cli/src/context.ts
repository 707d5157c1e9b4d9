// What every command gets: the streams, the environment, the global options resolved to
// concrete values, a reporter, and lazy access to the repository and the clone registry.
import path from "node:path";
import type { Command } from "commander";
import { CloneRegistry, diskDigestsInUse } from "../../core/src/clones/index.js";
import type { Repository } from "../../core/src/repository/index.js";
import { dbcloneHome, defaultRepository } from "../../core/src/util/index.js";
import { openRepository } from "../../core/src/repository/index.js";
import { TerminalReporter, type TextSink } from "./terminal-reporter.js";

export interface CliIo {
  stdout: TextSink;
  stderr: TextSink & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface GlobalOptions {
  repo?: string;
  home?: string;
  json?: boolean;
  debug?: boolean;
}

export class CliContext {
  readonly reporter: TerminalReporter;
  /** Set by a command that succeeded in running but reports a failed outcome (doctor: something missing). */
  exitCode?: number;
  private repository?: Promise<Repository>;

  constructor(
    readonly io: CliIo,
    readonly debug: boolean,
  ) {
    this.reporter = new TerminalReporter({ stderr: io.stderr, debug });
  }

  /** Global options as seen from `cmd`, with defaults from the environment. */
  globals(cmd: Command): { repo: string; home: string; json: boolean } {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    return {
      repo: g.repo ?? defaultRepository(this.io.env),
      home: g.home ?? dbcloneHome(this.io.env),
      json: Boolean(g.json),
    };
  }

  /**
   * The repository of --repo / DBCLONE_REPO / the default. A named directory that does not exist is
   * an error (a typo must not read as "no images"), unless the command makes it (`create`: build,
   * promote); the default <home>/repository not made yet is simply empty (a fresh machine).
   */
  openRepository(cmd: Command, opts: { create?: boolean } = {}): Promise<Repository> {
    const { repo, home } = this.globals(cmd);
    const named = cmd.optsWithGlobals<GlobalOptions>().repo !== undefined || !!this.io.env.DBCLONE_REPO;
    // Verified-blob stamps belong to this --home, not to whatever DBCLONE_HOME the process has.
    // The image cache never evicts a base this --home's clones read (not those of the default home).
    this.repository ??= openRepository(repo, {
      cacheDir: path.join(home, "cache"),
      mustExist: named && !opts.create,
      oci: { cache: { inUse: diskDigestsInUse(home) } },
    });
    return this.repository;
  }

  registry(cmd: Command): CloneRegistry {
    return new CloneRegistry(this.globals(cmd).home);
  }

  print(text: string): void {
    this.io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }
}

export const isDebugEnv = (env: NodeJS.ProcessEnv): boolean => !!env.DBCLONE_DEBUG && !/^(0|false|no)$/i.test(env.DBCLONE_DEBUG);
