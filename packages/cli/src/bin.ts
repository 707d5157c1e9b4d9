#!/usr/bin/env node
// Entry of the installed `dbclone` binary, kept tiny so that `dbclone --version` starts as fast as node
// itself: the CLI (commander, core and their dependencies) is main.cjs beside this file (built from
// index.ts), loaded only when there is a command to run. main() answers --version the same way.
import { createRequire } from "node:module";
import { TOOL_VERSION } from "../../core/src/util/version.js";

// Only a leading --version is the tool's: `build … --version v1` is the image version.
if (process.argv[2] === "--version" || process.argv[2] === "-V") process.stdout.write(`${TOOL_VERSION}\n`);
else createRequire(import.meta.url)("./main.cjs");
