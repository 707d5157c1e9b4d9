#!/usr/bin/env node
// Entry of the installed `dbclone` binary, kept tiny so that `dbclone --version` starts as fast as node
// itself: the CLI (commander, core and their dependencies) is main.cjs beside this file (built from
// index.ts), loaded only when there is a command to run, with its V8 code cache (code-cache.ts; off
// with DBCLONE_CODE_CACHE=off). main() answers --version the same way. `dbclone clone`, the command
// every CI job waits for, loads clone.cjs instead (clone-main.ts): that command alone, less to load.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { TOOL_VERSION } from "../../core/src/util/version.js";
import { commandOf, loadWithCodeCache } from "./code-cache.js";

const command = commandOf(process.argv);
const bundle = command === "clone" ? "./clone.cjs" : "./main.cjs";
// Only a leading --version is the tool's: `build … --version v1` is the image version.
if (process.argv[2] === "--version" || process.argv[2] === "-V") process.stdout.write(`${TOOL_VERSION}\n`);
else if (process.env.DBCLONE_CODE_CACHE === "off") createRequire(import.meta.url)(bundle);
else {
  const load = loadWithCodeCache(fileURLToPath(new URL(bundle, import.meta.url)), command);
  if (load.stale) process.once("exit", load.save);
}
