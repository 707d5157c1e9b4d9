#!/usr/bin/env node
// Entry of main.cjs, the whole CLI: everything lives in main(), which never exits the process itself.
import { main } from "./main.js";
import { runAsProcess } from "./run.js";

runAsProcess(main);
