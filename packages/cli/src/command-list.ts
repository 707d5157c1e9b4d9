// Every `dbclone` subcommand, in the order `dbclone --help` lists them (main.cjs registers them all).
import { registerAudit } from "./commands/audit.js";
import { registerBuild } from "./commands/build.js";
import { registerCatalog } from "./commands/catalog.js";
import { registerClone } from "./commands/clone.js";
import { registerClones } from "./commands/clones.js";
import { registerDemo } from "./commands/demo.js";
import { registerDiff } from "./commands/diff.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerGc } from "./commands/gc.js";
import { registerImages } from "./commands/images.js";
import { registerLog } from "./commands/log.js";
import { registerPromote } from "./commands/promote.js";
import { registerPrune } from "./commands/prune.js";
import { registerRm } from "./commands/rm.js";
import { registerScan } from "./commands/scan.js";
import { registerShow } from "./commands/show.js";
import { registerTag, registerUntag } from "./commands/tag.js";
import { registerTeardown } from "./commands/teardown.js";
import type { RegisterCommand } from "./program.js";

export const ALL_COMMANDS: readonly RegisterCommand[] = [
  registerImages,
  registerShow,
  registerLog,
  registerDiff,
  registerPrune,
  registerPromote,
  registerTag,
  registerUntag,
  registerRm,
  registerAudit,
  registerCatalog,
  registerClones,
  registerBuild,
  registerScan,
  registerClone,
  registerTeardown,
  registerGc,
  registerDemo,
  registerDoctor,
];
