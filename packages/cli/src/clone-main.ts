// Entry of clone.cjs: `dbclone clone` alone, the command whose start-up a user waits for in every CI
// job. The bin loads it instead of main.cjs for `clone`, so the clone's process parses and runs
// only what a clone needs, not the other commands' code and schemas (issue #16).
import { registerClone } from "./commands/clone.js";
import { runAsProcess, runCli } from "./run.js";

runAsProcess((argv, io) => runCli(argv, io, [registerClone]), { exitWhenDone: true });
