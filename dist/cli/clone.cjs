"use strict";
var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __esm = (fn, res, err) => function __init() {
  if (err) throw err[0];
  try {
    return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;
  } catch (e) {
    throw err = [e], e;
  }
};
var __commonJS = (cb, mod) => function __require() {
  try {
    return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
  } catch (e) {
    throw mod = 0, e;
  }
};
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));

// scripts/import-meta-url.mjs
var importMetaUrl;
var init_import_meta_url = __esm({
  "scripts/import-meta-url.mjs"() {
    "use strict";
    importMetaUrl = require("node:url").pathToFileURL(__filename).href;
  }
});

// packages/core/src/clones/types.ts
var init_types = __esm({
  "packages/core/src/clones/types.ts"() {
    "use strict";
    init_import_meta_url();
  }
});

// packages/core/src/clones/lifecycle-types.ts
var ON_IMAGE_CHANGE;
var init_lifecycle_types = __esm({
  "packages/core/src/clones/lifecycle-types.ts"() {
    "use strict";
    init_import_meta_url();
    ON_IMAGE_CHANGE = ["keep", "recreate", "fail"];
  }
});

// packages/core/src/disk/types.ts
function clonesLayers(driver) {
  return typeof driver.createLayeredChild === "function";
}
var init_types2 = __esm({
  "packages/core/src/disk/types.ts"() {
    "use strict";
    init_import_meta_url();
  }
});

// packages/core/src/errors.ts
var DbcloneError, UsageError, BadReferenceError, ValidationError, ImageNotFoundError, VersionExistsError, ImageInUseError, DigestMismatchError, RepositoryError, UnreachableError, AuditError, CloneNotFoundError, CloneError, BuildError, SourceError, NotSupportedError, DiskFullError, MissingToolError, PrivilegeError, CommandError, TimeoutError;
var init_errors = __esm({
  "packages/core/src/errors.ts"() {
    "use strict";
    init_import_meta_url();
    DbcloneError = class extends Error {
      exitCode = 1;
      constructor(message, options) {
        super(message, options);
        this.name = new.target.name;
      }
    };
    UsageError = class extends DbcloneError {
      exitCode = 2;
    };
    BadReferenceError = class extends UsageError {
    };
    ValidationError = class extends DbcloneError {
      constructor(message, source, field) {
        super(message);
        this.source = source;
        this.field = field;
      }
      source;
      field;
    };
    ImageNotFoundError = class extends DbcloneError {
    };
    VersionExistsError = class extends DbcloneError {
    };
    ImageInUseError = class extends DbcloneError {
    };
    DigestMismatchError = class extends DbcloneError {
    };
    RepositoryError = class extends DbcloneError {
    };
    UnreachableError = class extends RepositoryError {
    };
    AuditError = class extends DbcloneError {
    };
    CloneNotFoundError = class extends DbcloneError {
    };
    CloneError = class extends DbcloneError {
    };
    BuildError = class extends DbcloneError {
    };
    SourceError = class extends UsageError {
    };
    NotSupportedError = class extends DbcloneError {
    };
    DiskFullError = class extends DbcloneError {
    };
    MissingToolError = class extends DbcloneError {
    };
    PrivilegeError = class extends DbcloneError {
    };
    CommandError = class extends DbcloneError {
      constructor(message, command, exitStatus, stderr) {
        super(message);
        this.command = command;
        this.exitStatus = exitStatus;
        this.stderr = stderr;
      }
      command;
      exitStatus;
      stderr;
    };
    TimeoutError = class extends DbcloneError {
    };
  }
});

// packages/core/src/reporter.ts
function progressOnDemand(reporter, label, total, opts) {
  let progress;
  return {
    onProgress: (done, newTotal) => {
      progress ??= reporter.progress(label, newTotal ?? total, opts);
      progress.update(done, newTotal);
    },
    finish: (message) => progress?.finish(message)
  };
}
function redact(text, secrets) {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join("***");
  return out;
}
var noProgress, silentReporter;
var init_reporter = __esm({
  "packages/core/src/reporter.ts"() {
    "use strict";
    init_import_meta_url();
    noProgress = { update() {
    }, finish() {
    } };
    silentReporter = {
      debug() {
      },
      info() {
      },
      warn() {
      },
      secret() {
      },
      progress() {
        return noProgress;
      }
    };
  }
});

// packages/core/src/runtime/childEnv.ts
function childEnv(extra = {}, from = process.env) {
  const env = {};
  for (const [k, v] of Object.entries(from)) if (v !== void 0 && isPassedToChildren(k)) env[k] = v;
  return { ...env, ...extra };
}
function containerEnv(from = process.env) {
  const env = { LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };
  for (const [k, v] of Object.entries(childEnv({}, from))) if (k === "TZ") env[k] = v;
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}
var PASSED, isPassedToChildren;
var init_childEnv = __esm({
  "packages/core/src/runtime/childEnv.ts"() {
    "use strict";
    init_import_meta_url();
    PASSED = /* @__PURE__ */ new Set(["PATH", "LANG", "LANGUAGE", "TZ", "HOME", "TMPDIR", "TERM"]);
    isPassedToChildren = (name) => PASSED.has(name) || /^LC_[A-Z_]+$/.test(name);
  }
});

// packages/core/src/runtime/errorText.ts
function withoutDataLines(text) {
  const kept = [];
  let skipping = false;
  let cut = 0;
  for (const line of text.split("\n")) {
    if (DATA_LINE.test(line)) {
      skipping = true;
      cut++;
    } else if (KEEP_LINE.test(line)) skipping = false;
    else if (skipping || /^\s*\^\s*$/.test(line)) {
      cut++;
      continue;
    }
    if (!skipping) kept.push(line);
  }
  return cut > 0 ? `${kept.join("\n").trimEnd()}
(${cut} line(s) of detail that may echo data values left out)` : text;
}
var DATA_LINE, KEEP_LINE;
var init_errorText = __esm({
  "packages/core/src/runtime/errorText.ts"() {
    "use strict";
    init_import_meta_url();
    DATA_LINE = /^(?:\S+:\S*:\d+:\s*)?(?:DETAIL|CONTEXT|QUERY|STATEMENT|LINE \d+|Command was):/;
    KEEP_LINE = /^(?:pg_restore|pg_dump|pg_dumpall|psql|pg_basebackup|initdb|postgres)[:\s]|^(?:\S+:\S*:\d+:\s*)?(?:ERROR|FATAL|PANIC|WARNING|HINT|NOTICE):/;
  }
});

// packages/core/src/runtime/exec.ts
function commandLine(program2, args, opts = {}) {
  let argv = [program2, ...args];
  if (opts.asUser && isRoot()) argv = ["runuser", "-u", opts.asUser, "--", ...argv];
  if (opts.privileged && !isRoot()) argv = ["sudo", "-n", "--", ...argv];
  return argv;
}
async function run(program2, args, opts = {}) {
  const argv = commandLine(program2, args, opts);
  const reporter = opts.reporter ?? silentReporter;
  const secrets = opts.secrets ?? [];
  const shown = redact(argv.map(quoteForLog).join(" "), secrets);
  reporter.debug(`$ ${shown}`);
  const timeoutMs = opts.timeoutMs ?? 10 * 6e4;
  return new Promise((resolve, reject) => {
    const child = (0, import_node_child_process.spawn)(argv[0], argv.slice(1), {
      env: opts.env ?? childEnv(),
      cwd: opts.cwd,
      stdio: [typeof opts.stdin === "number" ? opts.stdin : opts.input === void 0 && !opts.stdin ? "ignore" : "pipe", "pipe", "pipe"]
    });
    if (opts.stdin && typeof opts.stdin !== "number") {
      opts.stdin.on("error", (e) => {
        child.kill("SIGKILL");
        reject(e);
      });
      child.stdin.on("error", () => {
      });
      opts.stdin.pipe(child.stdin);
    }
    const out = [];
    const err = [];
    child.stdout.on("data", (b) => out.push(b));
    child.stderr.on("data", (b) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    if (opts.input !== void 0) child.stdin.end(opts.input);
    child.on("error", (e) => {
      clearTimeout(timer);
      if (e.code === "ENOENT") {
        const hint = opts.packageHint ? ` Install it: apt-get install ${opts.packageHint}` : "";
        reject(new MissingToolError(`${argv[0]} was not found on PATH.${hint}`));
      } else reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = redact(Buffer.concat(err).toString("utf8"), secrets);
      if (timedOut) {
        reject(new TimeoutError(`${shown} did not finish within ${Math.round(timeoutMs / 1e3)} s.`));
        return;
      }
      if (code !== 0 && !opts.allowFailure) {
        if (argv[0] === "sudo" && /password is required|not allowed|may not run/i.test(stderr)) {
          reject(
            new PrivilegeError(`${program2} needs root and sudo -n was refused (${stderr.trim()}). Run as root or allow passwordless sudo for ${program2}.`)
          );
          return;
        }
        const tail = withoutDataLines(stderr.trim()).split("\n").slice(-5).join("\n");
        reject(new CommandError(`${shown} failed with exit ${code}: ${tail}`, shown, code, stderr));
        return;
      }
      resolve({ code, stdout, stderr });
    });
  });
}
async function waitForExit(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return !isAlive(pid);
}
function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code !== "EPERM") return false;
  }
  try {
    const stat27 = (0, import_node_fs.readFileSync)(`/proc/${pid}/stat`, "utf8");
    const state = stat27.slice(stat27.lastIndexOf(")") + 2, stat27.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return process.platform !== "linux";
  }
}
var import_node_child_process, import_node_fs, isRoot, quoteForLog;
var init_exec = __esm({
  "packages/core/src/runtime/exec.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_child_process = require("node:child_process");
    import_node_fs = require("node:fs");
    init_errors();
    init_reporter();
    init_childEnv();
    init_errorText();
    isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;
    quoteForLog = (a) => /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
  }
});

// packages/core/src/disk/qcow2/mounts.ts
async function readMounts() {
  const text = await (0, import_promises.readFile)("/proc/self/mountinfo", "utf8");
  const entries = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const [left, right] = line.split(" - ");
    const fields = left?.split(" ") ?? [];
    const tail = right?.split(" ") ?? [];
    if (fields.length < 5 || tail.length < 2) continue;
    entries.push({ mountPoint: unescapeMountinfo(fields[4]), fsType: tail[0], source: unescapeMountinfo(tail[1]) });
  }
  return entries;
}
async function isMountPoint(p) {
  const target = import_node_path.default.resolve(p);
  return (await readMounts()).some((m) => m.mountPoint === target);
}
async function readLoopDevices() {
  let names;
  try {
    names = (await (0, import_promises.readdir)("/sys/block")).filter((n) => n.startsWith("loop"));
  } catch {
    return [];
  }
  const out = [];
  for (const name of names) {
    try {
      const backing = (await (0, import_promises.readFile)(`/sys/block/${name}/loop/backing_file`, "utf8")).trim();
      out.push({ device: `/dev/${name}`, backingFile: backing.replace(/ \(deleted\)$/, "") });
    } catch {
    }
  }
  return out;
}
async function detachLoop(device, reporter = silentReporter) {
  const r = await run("losetup", ["-d", device], { privileged: true, allowFailure: true, reporter, packageHint: "mount" });
  if (r.code !== 0 && !/No such device|No such device or address|not a block device/i.test(r.stderr)) {
    reporter.warn(`Could not detach ${device}: ${r.stderr.trim()}`);
  }
}
async function waitForLoopRelease(backingFile, timeoutMs = 1e4) {
  const deadline = Date.now() + timeoutMs;
  for (; ; ) {
    const bound = (await readLoopDevices()).filter((l) => l.backingFile === backingFile);
    if (bound.length === 0 || Date.now() >= deadline) return bound;
    await sleep(20);
  }
}
async function unmountPath(mountPoint, reporter = silentReporter, busyRetryMs = 2e3) {
  const deadline = Date.now() + busyRetryMs;
  for (; ; ) {
    if (!await isMountPoint(mountPoint)) return;
    const r = await run("umount", [mountPoint], { privileged: true, allowFailure: true, reporter, packageHint: "mount" });
    if (r.code === 0) return;
    if (/not mounted|no mount point/i.test(r.stderr)) return;
    if (Date.now() >= deadline) break;
    await sleep(25);
  }
  reporter.warn(`${mountPoint} stayed busy for ${busyRetryMs} ms; detaching it lazily (umount -l).`);
  await run("umount", ["-l", mountPoint], { privileged: true, reporter, packageHint: "mount" });
}
async function unmountFuse(mountPoint, reporter = silentReporter) {
  if (!await isMountPoint(mountPoint)) return;
  const r = await run("umount", [mountPoint], { privileged: true, allowFailure: true, reporter, packageHint: "mount" });
  if (r.code === 0 || !await isMountPoint(mountPoint)) return;
  const f = await run("fusermount3", ["-u", mountPoint], { privileged: true, allowFailure: true, reporter, packageHint: "fuse3" });
  if (f.code === 0 || !await isMountPoint(mountPoint)) return;
  reporter.warn(`FUSE export ${mountPoint} would not unmount (${r.stderr.trim()}); detaching it lazily (umount -l).`);
  await run("umount", ["-l", mountPoint], { privileged: true, reporter, packageHint: "mount" });
}
var import_promises, import_node_path, unescapeMountinfo, isUnder, sleep;
var init_mounts = __esm({
  "packages/core/src/disk/qcow2/mounts.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises = require("node:fs/promises");
    import_node_path = __toESM(require("node:path"), 1);
    init_exec();
    init_reporter();
    unescapeMountinfo = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    isUnder = (p, rootDir) => {
      const rel = import_node_path.default.relative(import_node_path.default.resolve(rootDir), import_node_path.default.resolve(p));
      return rel === "" || !rel.startsWith("..") && !import_node_path.default.isAbsolute(rel);
    };
    sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  }
});

// packages/core/src/disk/qcow2/chain-spec.ts
function chainBlockdevArgs(diskFile, parentsNearestFirst) {
  const args = [];
  const bottomUp = [...parentsNearestFirst].reverse();
  let below = null;
  bottomUp.forEach((file, i) => {
    const node2 = `layer${i}`;
    args.push("--blockdev", JSON.stringify({ driver: "file", "node-name": `${node2}-file`, filename: file, "read-only": true }));
    args.push("--blockdev", JSON.stringify({ driver: "qcow2", "node-name": node2, file: `${node2}-file`, "read-only": true, backing: below }));
    below = node2;
  });
  args.push("--blockdev", JSON.stringify({ driver: "file", "node-name": "file0", filename: diskFile, discard: "unmap" }));
  args.push("--blockdev", JSON.stringify({ driver: "qcow2", "node-name": "disk0", file: "file0", discard: "unmap", "detect-zeroes": "unmap", backing: below }));
  return args;
}
function chainJsonFilename(top, parentsNearestFirst) {
  let node2 = null;
  for (const file of [...parentsNearestFirst].reverse()) node2 = { driver: "qcow2", file: { driver: "file", filename: file }, backing: node2 };
  const spec = { driver: "qcow2", file: { driver: "file", filename: top }, backing: node2 };
  return `json:${JSON.stringify(spec)}`;
}
var init_chain_spec = __esm({
  "packages/core/src/disk/qcow2/chain-spec.ts"() {
    "use strict";
    init_import_meta_url();
  }
});

// packages/core/src/disk/qcow2/export.ts
async function startExport(diskFile, reporter = silentReporter, parents = []) {
  const { exportFile, pidFile } = exportPathsFor(diskFile);
  if (await isMountPoint(exportFile)) {
    throw new CommandError(
      `${exportFile} is still a FUSE mount from an earlier export. Unmount the disk first (or run gc to release leftovers).`,
      STORAGE_DAEMON,
      null,
      ""
    );
  }
  await (await (0, import_promises2.open)(exportFile, "w", 384)).close();
  const blockdevs = parents.length ? chainBlockdevArgs(diskFile, parents) : [
    "--blockdev",
    `driver=file,node-name=file0,filename=${escapeOpt(diskFile)},discard=unmap`,
    "--blockdev",
    "driver=qcow2,node-name=disk0,file=file0,discard=unmap"
  ];
  const args = [
    ...blockdevs,
    "--export",
    `type=fuse,id=exp0,node-name=disk0,mountpoint=${escapeOpt(exportFile)},writable=on`,
    "--pidfile",
    pidFile,
    "--daemonize"
  ];
  try {
    await run(STORAGE_DAEMON, args, { privileged: !isRoot(), reporter, timeoutMs: 3e4, packageHint: "qemu-system-common" });
  } catch (e) {
    await (0, import_promises2.rm)(exportFile, { force: true }).catch(() => {
    });
    throw e;
  }
  const pid = await readPidFile(pidFile);
  if (pid === void 0) throw new CommandError(`${STORAGE_DAEMON} started but wrote no pid to ${pidFile}.`, STORAGE_DAEMON, null, "");
  await waitForFuseMount(exportFile, 2e3);
  return { pid, exportFile, pidFile };
}
async function waitForFuseMount(exportFile, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!await isMountPoint(exportFile)) {
    if (Date.now() > deadline) {
      throw new CommandError(`${STORAGE_DAEMON} did not mount its FUSE export on ${exportFile} within ${timeoutMs} ms.`, STORAGE_DAEMON, null, "");
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
async function readPidFile(pidFile) {
  try {
    const pid = Number.parseInt((await (0, import_promises2.readFile)(pidFile, "utf8")).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : void 0;
  } catch {
    return void 0;
  }
}
async function processArgv(pid) {
  try {
    const raw = await (0, import_promises2.readFile)(`/proc/${pid}/cmdline`, "utf8");
    return raw.split("\0").filter((a) => a.length > 0);
  } catch {
    return void 0;
  }
}
function daemonPaths(argv) {
  const i = argv.indexOf("--pidfile");
  const pidFile = i >= 0 ? argv[i + 1] : void 0;
  const exp = argv.find((a) => a.includes("mountpoint="));
  const m = exp?.match(/mountpoint=((?:[^,]|,,)*)/);
  return { pidFile, exportFile: m?.[1]?.replace(/,,/g, ",") };
}
async function findDaemonsUnder(rootDir) {
  const found = [];
  for (const entry of await (0, import_promises2.readdir)("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await processArgv(Number(entry));
    if (!isStorageDaemonArgv(argv)) continue;
    const paths = daemonPaths(argv);
    if (paths.pidFile && isUnder(paths.pidFile, rootDir) || paths.exportFile && isUnder(paths.exportFile, rootDir)) {
      found.push({ pid: Number(entry), ...paths });
    }
  }
  return found;
}
async function daemonExportFile(pid) {
  const argv = await processArgv(pid);
  return isStorageDaemonArgv(argv) ? daemonPaths(argv).exportFile : void 0;
}
async function waitForDaemonExit(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}
async function signal(pid, sig, reporter) {
  if (isRoot()) {
    try {
      process.kill(pid, sig);
    } catch {
    }
    return;
  }
  await run("kill", [`-${sig.slice(3)}`, String(pid)], { privileged: true, allowFailure: true, reporter });
}
async function stopDaemon(pid, reporter = silentReporter, timeoutMs = 5e3) {
  if (!isStorageDaemonArgv(await processArgv(pid))) return;
  await signal(pid, "SIGTERM", reporter);
  if (await waitForDaemonExit(pid, timeoutMs)) return;
  reporter.warn(`${STORAGE_DAEMON} (pid ${pid}) ignored SIGTERM for ${timeoutMs} ms; killing it.`);
  await signal(pid, "SIGKILL", reporter);
  if (!await waitForDaemonExit(pid, 2e3)) {
    reporter.warn(`${STORAGE_DAEMON} (pid ${pid}) is still alive after SIGKILL (stuck in the kernel?).`);
  }
}
async function stopExport(handle, reporter = silentReporter) {
  const pid = handle.pid ?? await readPidFile(handle.pidFile);
  if (pid !== void 0) await stopDaemon(pid, reporter);
  await unmountFuse(handle.exportFile, reporter);
  await (0, import_promises2.rm)(handle.exportFile, { force: true });
  await (0, import_promises2.rm)(handle.pidFile, { force: true });
}
var import_promises2, STORAGE_DAEMON, exportPathsFor, escapeOpt, isStorageDaemonArgv;
var init_export = __esm({
  "packages/core/src/disk/qcow2/export.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises2 = require("node:fs/promises");
    init_errors();
    init_exec();
    init_reporter();
    init_mounts();
    init_chain_spec();
    STORAGE_DAEMON = "qemu-storage-daemon";
    exportPathsFor = (diskFile) => ({ exportFile: `${diskFile}.export.raw`, pidFile: `${diskFile}.qsd.pid` });
    escapeOpt = (v) => v.replace(/,/g, ",,");
    isStorageDaemonArgv = (argv) => !!argv && argv.length > 0 && /(^|\/)qemu-storage-daemon$/.test(argv[0]);
  }
});

// packages/core/src/disk/qcow2/qemu-img.ts
async function createImage(file, virtualSizeBytes, reporter = silentReporter) {
  await run("qemu-img", ["create", "-q", "-f", "qcow2", "-o", BASE_CLUSTER_OPTS, file, String(virtualSizeBytes)], {
    reporter,
    timeoutMs: 6e4,
    packageHint: QEMU_IMG_PACKAGE
  });
  await (0, import_promises3.chmod)(file, 384);
}
async function createChildImage(parentFile, childFile, reporter = silentReporter) {
  await run("qemu-img", ["create", "-q", "-f", "qcow2", "-o", CHILD_CLUSTER_OPTS, "-b", parentFile, "-F", "qcow2", childFile], {
    reporter,
    timeoutMs: 6e4,
    packageHint: QEMU_IMG_PACKAGE
  });
}
async function convertCompact(source, target, reporter = silentReporter) {
  await run("qemu-img", ["convert", "-q", "-f", "qcow2", "-O", "qcow2", "-o", BASE_CLUSTER_OPTS, source, target], {
    reporter,
    timeoutMs: 60 * 6e4,
    packageHint: QEMU_IMG_PACKAGE
  });
}
async function imageInfo(file, reporter = silentReporter) {
  const r = await run("qemu-img", ["info", "--output=json", "-U", file], { reporter, timeoutMs: 6e4, packageHint: QEMU_IMG_PACKAGE });
  return JSON.parse(r.stdout);
}
async function backingChain(file, reporter = silentReporter) {
  const r = await run("qemu-img", ["info", "--backing-chain", "--output=json", "-U", file], {
    reporter,
    timeoutMs: 6e4,
    packageHint: QEMU_IMG_PACKAGE
  });
  const parsed = JSON.parse(r.stdout);
  const chain = Array.isArray(parsed) ? parsed : [parsed];
  if (chain.length === 0) throw new CommandError(`qemu-img info returned nothing for ${file}.`, "qemu-img info", 0, "");
  return chain;
}
async function createChildOverLayer(topLayer, childFile, virtualSizeBytes, reporter = silentReporter) {
  await run("qemu-img", ["create", "-q", "-f", "qcow2", "-o", CHILD_CLUSTER_OPTS, "-u", "-b", topLayer, "-F", "qcow2", childFile, String(virtualSizeBytes)], {
    reporter,
    timeoutMs: 6e4,
    packageHint: QEMU_IMG_PACKAGE
  });
}
async function detachBacking(file, reporter = silentReporter) {
  await run("qemu-img", ["rebase", "-q", "-u", "-f", "qcow2", "-b", "", file], { reporter, timeoutMs: 6e4, packageHint: QEMU_IMG_PACKAGE });
}
async function convertFlat(source, target, reporter = silentReporter) {
  await run("qemu-img", ["convert", "-q", "-O", "qcow2", "-o", BASE_CLUSTER_OPTS, source, target], {
    reporter,
    timeoutMs: 60 * 6e4,
    packageHint: QEMU_IMG_PACKAGE
  });
}
async function convertTopLayer(source, backingFile, target, reporter = silentReporter) {
  await run("qemu-img", ["convert", "-q", "-O", "qcow2", "-o", LAYER_CLUSTER_OPTS, "-B", backingFile, "-F", "qcow2", source, target], {
    reporter,
    timeoutMs: 60 * 6e4,
    packageHint: QEMU_IMG_PACKAGE
  });
}
var import_promises3, QEMU_IMG_PACKAGE, BASE_CLUSTER_OPTS, CHILD_CLUSTER_OPTS, LAYER_CLUSTER_OPTS;
var init_qemu_img = __esm({
  "packages/core/src/disk/qcow2/qemu-img.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises3 = require("node:fs/promises");
    init_exec();
    init_errors();
    init_reporter();
    QEMU_IMG_PACKAGE = "qemu-utils";
    BASE_CLUSTER_OPTS = "cluster_size=65536";
    CHILD_CLUSTER_OPTS = "cluster_size=131072,extended_l2=on";
    LAYER_CLUSTER_OPTS = "cluster_size=4096";
  }
});

// packages/core/src/image/digest.ts
async function sha256File(file, onProgress) {
  const total = (await (0, import_promises4.stat)(file)).size;
  const hash = (0, import_node_crypto.createHash)("sha256");
  let done = 0;
  for await (const chunk of (0, import_node_fs2.createReadStream)(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk);
    done += chunk.length;
    onProgress?.(done, total);
  }
  return `sha256:${hash.digest("hex")}`;
}
function sha256Of(data) {
  return `sha256:${(0, import_node_crypto.createHash)("sha256").update(data).digest("hex")}`;
}
function canonicalJson(value) {
  const out = encode(value);
  if (out === void 0) throw new TypeError("canonicalJson: value is not representable as JSON");
  return out;
}
function encode(value) {
  if (value !== null && typeof value === "object" && typeof value.toJSON === "function") {
    value = value.toJSON();
  }
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "bigint":
      throw new TypeError("canonicalJson: BigInt is not JSON");
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v) => encode(v) ?? "null").join(",")}]`;
      const parts = [];
      for (const key of Object.keys(value).sort()) {
        const encoded = encode(value[key]);
        if (encoded !== void 0) parts.push(`${JSON.stringify(key)}:${encoded}`);
      }
      return `{${parts.join(",")}}`;
    }
    default:
      return void 0;
  }
}
function manifestDigest(manifest) {
  return sha256Of(canonicalJson(manifest));
}
var import_node_crypto, import_node_fs2, import_promises4;
var init_digest = __esm({
  "packages/core/src/image/digest.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_crypto = require("node:crypto");
    import_node_fs2 = require("node:fs");
    import_promises4 = require("node:fs/promises");
  }
});

// packages/core/src/disk/qcow2/layers.ts
async function sealChildAsLayer(child, outFile, reporter = silentReporter) {
  if (child.parents.length === 0) throw new CloneError(`${child.file} has no parent layers; a layer needs the chain it was written over.`);
  const parents = child.parents.map((p) => import_node_path2.default.resolve(p));
  return sealInto(outFile, reporter, async (tmp) => {
    await convertTopLayer(chainJsonFilename(import_node_path2.default.resolve(child.file), parents), parents[0], tmp, reporter);
    await detachBacking(tmp, reporter);
  });
}
async function flattenChain(child, outFile, reporter = silentReporter) {
  const source = child.parents.length ? chainJsonFilename(
    import_node_path2.default.resolve(child.file),
    child.parents.map((p) => import_node_path2.default.resolve(p))
  ) : import_node_path2.default.resolve(child.file);
  return sealInto(outFile, reporter, (tmp) => convertFlat(source, tmp, reporter));
}
async function sealInto(outFile, reporter, make) {
  outFile = import_node_path2.default.resolve(outFile);
  const tmp = `${outFile}.tmp-${process.pid}-${(0, import_node_crypto2.randomBytes)(4).toString("hex")}`;
  try {
    await make(tmp);
    const fh = await (0, import_promises5.open)(tmp, "r");
    await fh.sync().finally(() => fh.close());
    await (0, import_promises5.chmod)(tmp, 292);
    const digest = await sha256File(tmp);
    await (0, import_promises5.rename)(tmp, outFile);
    const info = await imageInfo(outFile, reporter);
    const s = await (0, import_promises5.stat)(outFile);
    return { file: outFile, digest, sizeBytes: s.size, virtualSizeBytes: info["virtual-size"] };
  } finally {
    await (0, import_promises5.rm)(tmp, { force: true });
  }
}
var import_promises5, import_node_path2, import_node_crypto2;
var init_layers = __esm({
  "packages/core/src/disk/qcow2/layers.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises5 = require("node:fs/promises");
    import_node_path2 = __toESM(require("node:path"), 1);
    import_node_crypto2 = require("node:crypto");
    init_reporter();
    init_chain_spec();
    init_qemu_img();
    init_errors();
    init_digest();
  }
});

// packages/core/src/util/durable-write.ts
function tempPath(dir) {
  return import_node_path3.default.join(dir, `${TEMP_PREFIX}${TEMP_HOST}-${process.pid}-${(0, import_node_crypto3.randomBytes)(6).toString("hex")}`);
}
async function writeDurable(file, data, mode = 420) {
  const fh = await (0, import_promises6.open)(file, "wx", mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
async function syncDir(dir) {
  try {
    const fh = await (0, import_promises6.open)(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
  }
}
async function syncFileAndDir(file) {
  try {
    const fh = await (0, import_promises6.open)(file, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
  }
  await syncDir(import_node_path3.default.dirname(file));
}
async function unlinkQuietly(file) {
  await (0, import_promises6.unlink)(file).catch(() => void 0);
}
async function writeFileAtomic(file, data, mode) {
  const dir = import_node_path3.default.dirname(file);
  const tmp = tempPath(dir);
  try {
    await writeDurable(tmp, data, mode);
    await (0, import_promises6.rename)(tmp, file);
  } catch (e) {
    await unlinkQuietly(tmp);
    throw e;
  }
  await syncDir(dir);
}
var import_node_crypto3, import_promises6, import_node_os, import_node_path3, TEMP_PREFIX, TEMP_HOST;
var init_durable_write = __esm({
  "packages/core/src/util/durable-write.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_crypto3 = require("node:crypto");
    import_promises6 = require("node:fs/promises");
    import_node_os = __toESM(require("node:os"), 1);
    import_node_path3 = __toESM(require("node:path"), 1);
    TEMP_PREFIX = ".tmp-";
    TEMP_HOST = import_node_os.default.hostname().replace(/[^A-Za-z0-9.-]/g, "_");
  }
});

// packages/core/src/util/paths.ts
function dbcloneHome(env = process.env) {
  if (env.DBCLONE_HOME) return import_node_path4.default.resolve(env.DBCLONE_HOME);
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  return root ? "/var/lib/dbclone" : import_node_path4.default.join(import_node_os2.default.homedir(), ".dbclone");
}
function defaultRepository(env = process.env) {
  return env.DBCLONE_REPO || import_node_path4.default.join(dbcloneHome(env), "repository");
}
async function makeDir(dir, mode) {
  dir = import_node_path4.default.resolve(dir);
  const parent = import_node_path4.default.dirname(dir);
  const first = await (0, import_promises7.mkdir)(parent, { recursive: true, mode: TRAVERSABLE_DIR });
  if (first) {
    for (let p = parent; p.length >= first.length; p = import_node_path4.default.dirname(p)) await (0, import_promises7.chmod)(p, TRAVERSABLE_DIR);
  }
  try {
    await (0, import_promises7.mkdir)(dir, { mode });
  } catch (e) {
    if (e.code === "EEXIST") return;
    throw e;
  }
  await (0, import_promises7.chmod)(dir, mode);
}
var import_promises7, import_node_os2, import_node_path4, TRAVERSABLE_DIR, PRIVATE_DIR;
var init_paths = __esm({
  "packages/core/src/util/paths.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises7 = require("node:fs/promises");
    import_node_os2 = __toESM(require("node:os"), 1);
    import_node_path4 = __toESM(require("node:path"), 1);
    TRAVERSABLE_DIR = 457;
    PRIVATE_DIR = 448;
  }
});

// packages/core/src/util/stamped-digests.ts
async function stampOf(file) {
  const st = await (0, import_promises8.stat)(file, { bigint: true });
  return { dev: String(st.dev), ino: String(st.ino), size: String(st.size), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs) };
}
function sameStamp(a, b) {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}
var import_promises8, import_node_path5, StampedDigestCache;
var init_stamped_digests = __esm({
  "packages/core/src/util/stamped-digests.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises8 = require("node:fs/promises");
    import_node_path5 = __toESM(require("node:path"), 1);
    init_durable_write();
    init_paths();
    StampedDigestCache = class {
      /** `file`: the cache's JSON file, e.g. `<cacheDir>/verified-blobs.json`. */
      constructor(file) {
        this.file = file;
      }
      file;
      /** The digest recorded for `file`, when the file has not changed since; else undefined. */
      async known(file) {
        const key = import_node_path5.default.resolve(file);
        const hit = (await this.load())[key];
        if (!hit) return void 0;
        const now = await stampOf(key).catch(() => void 0);
        return now !== void 0 && sameStamp(hit, now) ? hit.digest : void 0;
      }
      /** True when `file` was found to hold `digest` and has not changed since. */
      async isVerified(file, digest) {
        return await this.known(file) === digest;
      }
      /**
       * The file's digest: from the cache when its stamp is unchanged, else from `hash` (and cached,
       * but only when the file did not change while it was read).
       */
      async digestOf(file, hash) {
        const key = import_node_path5.default.resolve(file);
        const before = await stampOf(key);
        const hit = (await this.load())[key];
        if (hit && sameStamp(hit, before)) return { digest: hit.digest, cached: true };
        const digest = await hash(key);
        if (sameStamp(before, await stampOf(key))) await this.remember(key, digest, before);
        return { digest, cached: false };
      }
      /** Record `digest` for the file as it is now (or as it was at `stamp`, taken before hashing). */
      async remember(file, digest, stamp) {
        const key = import_node_path5.default.resolve(file);
        const entry = { ...stamp ?? await stampOf(key), digest };
        const entries = await this.load();
        const had = entries[key];
        if (had && had.digest === digest && sameStamp(had, entry)) return;
        entries[key] = entry;
        await this.save(entries);
      }
      async forget(file) {
        const key = import_node_path5.default.resolve(file);
        const entries = await this.load();
        if (!(key in entries)) return;
        delete entries[key];
        await this.save(entries);
      }
      async save(entries) {
        await makeDir(import_node_path5.default.dirname(this.file), PRIVATE_DIR);
        await writeFileAtomic(this.file, JSON.stringify(entries), 384);
      }
      async load() {
        try {
          const parsed = JSON.parse(await (0, import_promises8.readFile)(this.file, "utf8"));
          return parsed !== null && typeof parsed === "object" ? parsed : {};
        } catch {
          return {};
        }
      }
    };
  }
});

// packages/core/src/disk/base-digests.ts
function baseDigestCache(stateDir2) {
  return new StampedDigestCache(import_node_path6.default.join(stateDir2, "verified-digests.json"));
}
var import_node_path6;
var init_base_digests = __esm({
  "packages/core/src/disk/base-digests.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_path6 = __toESM(require("node:path"), 1);
    init_stamped_digests();
  }
});

// packages/core/src/disk/host-tools.ts
function onPathSync(program2, env = process.env) {
  return (env.PATH ?? "").split(import_node_path7.default.delimiter).some((dir) => {
    if (!dir) return false;
    try {
      (0, import_node_fs3.accessSync)(import_node_path7.default.join(dir, program2), import_node_fs3.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
var import_node_fs3, import_node_path7;
var init_host_tools = __esm({
  "packages/core/src/disk/host-tools.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs3 = require("node:fs");
    import_node_path7 = __toESM(require("node:path"), 1);
  }
});

// packages/core/src/disk/qcow2/prerequisites.ts
async function checkQcow2Prerequisites(env = process.env) {
  if (process.platform !== "linux") throw new MissingToolError("The qcow2 disk driver runs on Linux only (it needs FUSE and loop devices).");
  const missing = REQUIRED_TOOLS.filter((t) => !onPathSync(t.program, env));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((t) => t.packageName))];
    throw new MissingToolError(`Missing ${missing.map((t) => t.program).join(", ")} on PATH. Install: apt-get install ${packages.join(" ")}`);
  }
  try {
    if (!(await (0, import_promises9.stat)("/dev/fuse")).isCharacterDevice()) throw new Error("not a character device");
  } catch {
    throw new MissingToolError("/dev/fuse is missing: load the fuse module (modprobe fuse) or, in a container, pass --device /dev/fuse.");
  }
  if (!isRoot()) {
    const r = await run("sudo", ["-n", "true"], { env, allowFailure: true, packageHint: "sudo" });
    if (r.code !== 0) {
      throw new PrivilegeError(
        "The qcow2 driver mounts filesystems and FUSE exports, which needs root. Run as root or allow passwordless sudo (sudo -n true failed)."
      );
    }
  }
}
function qcow2UnavailableReason(env = process.env) {
  if (process.platform !== "linux") return `it needs Linux (this is ${process.platform})`;
  const missing = REQUIRED_TOOLS.filter((t) => !onPathSync(t.program, env));
  if (missing.length)
    return `${missing.map((t) => t.program).join(", ")} not on PATH (apt-get install ${[...new Set(missing.map((t) => t.packageName))].join(" ")})`;
  if (!(0, import_node_fs4.existsSync)("/dev/fuse")) return "/dev/fuse is missing";
  return void 0;
}
var import_node_fs4, import_promises9, REQUIRED_TOOLS;
var init_prerequisites = __esm({
  "packages/core/src/disk/qcow2/prerequisites.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs4 = require("node:fs");
    import_promises9 = require("node:fs/promises");
    init_errors();
    init_exec();
    init_host_tools();
    REQUIRED_TOOLS = [
      { program: "qemu-img", packageName: "qemu-utils" },
      { program: "qemu-storage-daemon", packageName: "qemu-system-common" },
      { program: "mkfs.xfs", packageName: "xfsprogs" },
      { program: "mount", packageName: "mount" },
      { program: "umount", packageName: "mount" },
      { program: "losetup", packageName: "mount" },
      { program: "fusermount3", packageName: "fuse3" }
    ];
  }
});

// packages/core/src/disk/qcow2/leftovers.ts
async function ourFiles(dir, skip, depth, out) {
  if (depth < 0 || skip.has(dir)) return;
  let entries;
  try {
    entries = await (0, import_promises10.readdir)(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = import_node_path8.default.join(dir, e.name);
    if (e.isDirectory()) await ourFiles(p, skip, depth - 1, out);
    else if (OUR_FILE.test(e.name)) out.push(p);
  }
}
async function listLeftovers(rootDir) {
  const root = import_node_path8.default.resolve(rootDir);
  const found = [];
  const mounts = (await readMounts()).filter((m) => isUnder(m.mountPoint, root));
  for (const m of mounts) {
    const isFuse = m.fsType === "fuse" || m.fsType.startsWith("fuse.");
    found.push({ kind: isFuse ? "fuse-export" : "mount", id: m.mountPoint, ownerDir: import_node_path8.default.dirname(m.mountPoint), detail: `${m.fsType} ${m.source}` });
  }
  for (const loop of await readLoopDevices()) {
    if (isUnder(loop.backingFile, root)) {
      found.push({ kind: "loop", id: loop.device, ownerDir: import_node_path8.default.dirname(loop.backingFile), detail: loop.backingFile });
    }
  }
  for (const d of await findDaemonsUnder(root)) {
    const anchor2 = d.pidFile ?? d.exportFile;
    found.push({ kind: "daemon", id: String(d.pid), ownerDir: anchor2 ? import_node_path8.default.dirname(anchor2) : void 0, detail: `pidfile ${d.pidFile ?? "?"}` });
  }
  const files = [];
  await ourFiles(root, new Set(mounts.filter((m) => m.mountPoint !== root).map((m) => m.mountPoint)), 6, files);
  for (const f of files) {
    if (mounts.some((m) => m.mountPoint === f)) continue;
    found.push({ kind: "file", id: f, ownerDir: import_node_path8.default.dirname(f) });
  }
  return found.sort((a, b) => RELEASE_ORDER.indexOf(a.kind) - RELEASE_ORDER.indexOf(b.kind));
}
async function releaseLeftover(resource, reporter = silentReporter) {
  switch (resource.kind) {
    case "mount":
      return unmountPath(resource.id, reporter);
    case "loop":
      return detachLoop(resource.id, reporter);
    case "daemon":
      return stopDaemonUnlessInUse(Number(resource.id), reporter);
    case "fuse-export":
      await unmountFuse(resource.id, reporter);
      await (0, import_promises10.rm)(resource.id, { force: true });
      return;
    case "file":
      await (0, import_promises10.rm)(resource.id, { force: true });
      return;
  }
}
async function stopDaemonUnlessInUse(pid, reporter) {
  const exportFile = await daemonExportFile(pid);
  const held = exportFile ? await waitForLoopRelease(exportFile, 2e3) : [];
  if (held.length > 0) {
    reporter.warn(
      `${STORAGE_DAEMON} (pid ${pid}) still serves ${held.map((l) => l.device).join(", ")}, whose filesystem is still in use; kept running. Stop what uses it, then run gc again.`
    );
    return;
  }
  await stopDaemon(pid, reporter);
}
var import_promises10, import_node_path8, RELEASE_ORDER, OUR_FILE;
var init_leftovers = __esm({
  "packages/core/src/disk/qcow2/leftovers.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises10 = require("node:fs/promises");
    import_node_path8 = __toESM(require("node:path"), 1);
    init_reporter();
    init_export();
    init_mounts();
    RELEASE_ORDER = ["mount", "loop", "daemon", "fuse-export", "file"];
    OUR_FILE = /\.(qcow2|qcow2\.tmp-[\w.-]+|export\.raw|qsd\.pid)$/;
  }
});

// packages/core/src/disk/qcow2/xfs-error-policy.ts
async function failFastOnWriteErrors(loopDevice) {
  if (!loopDevice) return;
  const dir = import_node_path9.default.join("/sys/fs/xfs", import_node_path9.default.basename(loopDevice), "error");
  for (const kind of ["ENOSPC", "EIO", "ENODEV", "default"]) {
    await (0, import_promises11.writeFile)(import_node_path9.default.join(dir, "metadata", kind, "max_retries"), "0").catch(() => void 0);
  }
  await (0, import_promises11.writeFile)(import_node_path9.default.join(dir, "fail_at_unmount"), "1").catch(() => void 0);
}
var import_promises11, import_node_path9;
var init_xfs_error_policy = __esm({
  "packages/core/src/disk/qcow2/xfs-error-policy.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises11 = require("node:fs/promises");
    import_node_path9 = __toESM(require("node:path"), 1);
  }
});

// packages/core/src/disk/qcow2/xfs-quiesce.ts
async function freezeThaw(mountPath, reporter = silentReporter) {
  const r = await run("xfs_io", ["-x", "-c", "freeze", "-c", "thaw", mountPath], {
    privileged: true,
    allowFailure: true,
    reporter,
    packageHint: "xfsprogs"
  });
  if (r.code === 0) return true;
  reporter.warn(`Could not freeze/thaw ${mountPath} (${r.stderr.trim()}); freed blocks may stay in the sealed blob.`);
  return false;
}
async function assertFilesystemAlive(mountPath) {
  try {
    await (await (0, import_promises12.open)(mountPath, "r")).close();
  } catch (e) {
    throw new BuildError(
      `The filesystem on ${mountPath} failed (${e.code ?? "error"}: its disk returned an I/O or space error); its contents are incomplete and are not sealed.`,
      { cause: e }
    );
  }
}
var import_promises12;
var init_xfs_quiesce = __esm({
  "packages/core/src/disk/qcow2/xfs-quiesce.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises12 = require("node:fs/promises");
    init_errors();
    init_exec();
    init_reporter();
  }
});

// packages/core/src/disk/qcow2.ts
var import_promises13, import_node_path10, import_node_crypto4, Qcow2Driver;
var init_qcow2 = __esm({
  "packages/core/src/disk/qcow2.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises13 = require("node:fs/promises");
    import_node_path10 = __toESM(require("node:path"), 1);
    import_node_crypto4 = require("node:crypto");
    init_errors();
    init_exec();
    init_reporter();
    init_export();
    init_mounts();
    init_qemu_img();
    init_layers();
    init_digest();
    init_base_digests();
    init_prerequisites();
    init_leftovers();
    init_xfs_error_policy();
    init_xfs_quiesce();
    Qcow2Driver = class {
      constructor(options) {
        this.options = options;
        this.reporter = options.reporter ?? silentReporter;
        this.digests = baseDigestCache(options.stateDir);
      }
      options;
      name = "qcow2";
      format = "qcow2";
      reporter;
      digests;
      checkPrerequisites() {
        return checkQcow2Prerequisites();
      }
      async createStaging(file, mountPath, virtualSizeBytes) {
        file = import_node_path10.default.resolve(file);
        await (0, import_promises13.mkdir)(import_node_path10.default.dirname(file), { recursive: true });
        await createImage(file, virtualSizeBytes, this.reporter);
        const handle = await startExport(file, this.reporter);
        try {
          await run("mkfs.xfs", ["-q", "-K", handle.exportFile], { privileged: true, reporter: this.reporter, packageHint: "xfsprogs" });
          const attachment = await this.loopMount(file, handle, mountPath);
          return { file, mountPath: attachment.mountPath, attachment };
        } catch (e) {
          await stopExport(handle, this.reporter);
          throw e;
        }
      }
      async seal(staging, outFile) {
        outFile = import_node_path10.default.resolve(outFile);
        await this.trim(staging.mountPath);
        await assertFilesystemAlive(staging.mountPath);
        await this.unmount(staging.attachment);
        const tmp = `${outFile}.tmp-${process.pid}-${(0, import_node_crypto4.randomBytes)(4).toString("hex")}`;
        try {
          await convertCompact(staging.file, tmp, this.reporter);
          const fh = await (0, import_promises13.open)(tmp, "r");
          await fh.sync().finally(() => fh.close());
          await (0, import_promises13.chmod)(tmp, 292);
          const digest = await sha256File(tmp);
          await (0, import_promises13.rename)(tmp, outFile);
          const info = await imageInfo(outFile, this.reporter);
          const s = await (0, import_promises13.stat)(outFile);
          await this.digests.remember(outFile, digest);
          return { file: outFile, digest, sizeBytes: s.size, virtualSizeBytes: info["virtual-size"] };
        } finally {
          await (0, import_promises13.rm)(tmp, { force: true });
        }
      }
      async createChild(parentFile, childFile, expectedDigest) {
        parentFile = import_node_path10.default.resolve(parentFile);
        childFile = import_node_path10.default.resolve(childFile);
        await this.checkLayer(parentFile, expectedDigest);
        await (0, import_promises13.mkdir)(import_node_path10.default.dirname(childFile), { recursive: true });
        await createChildImage(parentFile, childFile, this.reporter);
        if (!this.options.resolveParentChain) return { file: childFile, parents: [parentFile] };
        const chain = await backingChain(childFile, this.reporter);
        return { file: childFile, parents: chain.slice(1).map((i) => i.filename) };
      }
      /** A child over published layers (nearest first); mount() assembles the chain explicitly. */
      async createLayeredChild(layers, childFile) {
        if (layers.length === 0) throw new CloneError("createLayeredChild needs at least one layer.");
        const files = layers.map((l) => import_node_path10.default.resolve(l.file));
        childFile = import_node_path10.default.resolve(childFile);
        for (const [i, layer] of layers.entries()) await this.checkLayer(files[i], layer.digest);
        const info = await imageInfo(files[0], this.reporter);
        await (0, import_promises13.mkdir)(import_node_path10.default.dirname(childFile), { recursive: true });
        await createChildOverLayer(files[0], childFile, info["virtual-size"], this.reporter);
        return { file: childFile, parents: files };
      }
      sealLayer(child, outFile) {
        return sealChildAsLayer(child, outFile, this.reporter);
      }
      flatten(child, outFile) {
        return flattenChain(child, outFile, this.reporter);
      }
      /** A layer others can write could change under live clones; one whose digest changed is refused. */
      async rememberVerified(file, digest) {
        await this.digests.remember(file, digest);
      }
      async checkLayer(file, expectedDigest) {
        const s = await (0, import_promises13.stat)(file);
        if (s.mode & 2) {
          throw new CloneError(`Base disk ${file} is writable by everyone; refusing to clone it. Make it read-only: chmod 0444 ${file}`);
        }
        if (s.mode & 146) this.reporter.warn(`Base disk ${file} is writable (mode ${(s.mode & 511).toString(8)}); sealed bases should be 0444.`);
        if (!expectedDigest) return;
        const { digest } = await this.digests.digestOf(file, sha256File);
        if (digest !== expectedDigest) {
          throw new DigestMismatchError(
            `Base disk ${file} has changed: its digest is ${digest}, the image says ${expectedDigest}. The base must never be modified; delete it from the local cache and pull the image again.`
          );
        }
      }
      async mount(child, mountPath) {
        const file = import_node_path10.default.resolve(child.file);
        const handle = await startExport(
          file,
          this.reporter,
          child.parents.map((p) => import_node_path10.default.resolve(p))
        );
        try {
          return await this.loopMount(file, handle, mountPath);
        } catch (e) {
          await stopExport(handle, this.reporter);
          throw e;
        }
      }
      /** Safe order: filesystem → loop device → daemon → dead FUSE mount → export file. */
      async unmount(attachment) {
        const defaults = exportPathsFor(attachment.file);
        const exportFile = String(attachment.handles.exportFile ?? defaults.exportFile);
        const pidFile = String(attachment.handles.pidFile ?? defaults.pidFile);
        await unmountPath(attachment.mountPath, this.reporter);
        const held = await waitForLoopRelease(exportFile);
        for (const loop of held) await detachLoop(loop.device, this.reporter);
        const still = (await readLoopDevices()).filter((l) => l.backingFile === exportFile);
        if (still.length > 0) {
          throw new CommandError(
            `The filesystem of ${attachment.mountPath} is still alive on ${still.map((l) => l.device).join(", ")} after unmounting (a process still uses it); its disk daemon is kept running so it can finish. Stop what uses it, then run gc.`,
            "umount",
            null,
            ""
          );
        }
        const pid = typeof attachment.handles.daemonPid === "number" ? attachment.handles.daemonPid : void 0;
        await stopExport({ pid, exportFile, pidFile }, this.reporter);
      }
      async destroy(file) {
        await (0, import_promises13.rm)(import_node_path10.default.resolve(file), { force: true });
      }
      list(rootDir) {
        return listLeftovers(rootDir);
      }
      release(resource) {
        return releaseLeftover(resource, this.reporter);
      }
      /**
       * Give freed blocks back to the qcow2 (loop discard → FUSE fallocate → qcow2 discard) so deleted
       * data is neither copied into nor published with the blob. XFS's FITRIM skips extents freed by
       * transactions not yet checkpointed ("busy"); a freeze/thaw quiesces the log so none are left
       * (through one descriptor: see xfs-quiesce.ts for why a separate thaw could leave it frozen).
       */
      async trim(mountPath) {
        await freezeThaw(mountPath, this.reporter);
        const opts = { privileged: true, allowFailure: true, reporter: this.reporter, packageHint: "util-linux" };
        const r = await run("fstrim", [mountPath], opts);
        if (r.code !== 0) this.reporter.warn(`fstrim ${mountPath} failed (${r.stderr.trim()}); the sealed blob may still hold freed blocks.`);
      }
      async loopMount(file, handle, mountPath) {
        mountPath = import_node_path10.default.resolve(mountPath);
        await (0, import_promises13.mkdir)(mountPath, { recursive: true });
        await run("mount", ["-t", "xfs", "-o", "loop,nouuid", handle.exportFile, mountPath], {
          privileged: true,
          reporter: this.reporter,
          timeoutMs: 6e4,
          packageHint: "mount"
        });
        const loop = (await readLoopDevices()).find((l) => l.backingFile === handle.exportFile);
        await failFastOnWriteErrors(loop?.device);
        if (!isRoot()) await run("chown", [`${process.getuid?.()}:${process.getgid?.()}`, mountPath], { privileged: true, reporter: this.reporter });
        return {
          driver: this.name,
          file,
          mountPath,
          handles: { daemonPid: handle.pid, exportFile: handle.exportFile, pidFile: handle.pidFile, loopDevice: loop?.device }
        };
      }
    };
  }
});

// packages/core/src/runtime/powershell.ts
function psLiteral(value) {
  if (/[\0]/.test(value)) throw new UsageError(`A PowerShell string may not hold a NUL character: ${JSON.stringify(value)}`);
  return `'${value.replace(PS_SINGLE_QUOTES, (q) => q + q)}'`;
}
function buildPowerShellScript(body, paramsFile, resultFile) {
  return [
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    "Set-StrictMode -Version 3.0",
    `$P = [IO.File]::ReadAllText(${psLiteral(paramsFile)}, [Text.Encoding]::UTF8) | ConvertFrom-Json`,
    "function Write-DbcloneResult($Value) {",
    "  $json = ConvertTo-Json -InputObject $Value -Depth 8 -Compress",
    `  [IO.File]::WriteAllText(${psLiteral(resultFile)}, $json, (New-Object Text.UTF8Encoding $false))`,
    "}",
    "try {",
    ...body.trimEnd().split("\n").map((l) => l.length ? `  ${l}` : l),
    "} catch {",
    "  [Console]::Error.WriteLine(($_ | Out-String))",
    "  exit 1",
    "}",
    "exit 0",
    ""
  ].join("\r\n");
}
async function runPowerShell(body, params, opts = {}) {
  const dir = await (0, import_promises14.mkdtemp)(import_node_path11.default.join(import_node_os3.default.tmpdir(), "dbclone-ps-"));
  try {
    const scriptFile = import_node_path11.default.join(dir, "script.ps1");
    const paramsFile = import_node_path11.default.join(dir, "params.json");
    const resultFile = import_node_path11.default.join(dir, "result.json");
    await (0, import_promises14.writeFile)(scriptFile, BOM + buildPowerShellScript(body, paramsFile, resultFile), "utf8");
    await (0, import_promises14.writeFile)(paramsFile, JSON.stringify(params), "utf8");
    await run(opts.executable ?? "powershell.exe", powerShellArgs(scriptFile), {
      timeoutMs: opts.timeoutMs,
      reporter: opts.reporter,
      secrets: opts.secrets
    });
    let text;
    try {
      text = await (0, import_promises14.readFile)(resultFile, "utf8");
    } catch {
      return null;
    }
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } finally {
    await (0, import_promises14.rm)(dir, { recursive: true, force: true });
  }
}
async function runDiskpart(script, opts = {}) {
  const dir = await (0, import_promises14.mkdtemp)(import_node_path11.default.join(import_node_os3.default.tmpdir(), "dbclone-diskpart-"));
  try {
    const file = import_node_path11.default.join(dir, "script.txt");
    await (0, import_promises14.writeFile)(file, Buffer.concat([Buffer.from([255, 254]), Buffer.from(script.replace(/\r?\n/g, "\r\n"), "utf16le")]));
    const r = await run("diskpart", ["/s", file], { allowFailure: true, reporter: opts.reporter, timeoutMs: opts.timeoutMs });
    if (r.code !== 0) {
      const tail = r.stdout.trim().split(/\r?\n/).slice(-5).join("\n");
      throw new CommandError(`diskpart /s failed with exit ${r.code}:
${script}
${tail}`, "diskpart /s", r.code, r.stdout + r.stderr);
    }
  } finally {
    await (0, import_promises14.rm)(dir, { recursive: true, force: true });
  }
}
function realWindowsRunner(opts = {}) {
  const reporter = opts.reporter ?? silentReporter;
  return {
    powershell: (label, body, params) => {
      reporter.debug(`powershell: ${label}`);
      return runPowerShell(body, params, opts);
    },
    diskpart: (label, script) => {
      reporter.debug(`diskpart: ${label}`);
      return runDiskpart(script, { reporter, timeoutMs: opts.timeoutMs });
    },
    command: async (program2, args) => (await run(program2, args, { reporter, timeoutMs: opts.timeoutMs, secrets: opts.secrets })).stdout
  };
}
var import_promises14, import_node_os3, import_node_path11, PS_SINGLE_QUOTES, powerShellArgs, BOM;
var init_powershell = __esm({
  "packages/core/src/runtime/powershell.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises14 = require("node:fs/promises");
    import_node_os3 = __toESM(require("node:os"), 1);
    import_node_path11 = __toESM(require("node:path"), 1);
    init_errors();
    init_reporter();
    init_exec();
    PS_SINGLE_QUOTES = /['\u2018\u2019\u201A\u201B]/g;
    powerShellArgs = (scriptFile) => ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", scriptFile];
    BOM = "\uFEFF";
  }
});

// packages/core/src/disk/vhdx/scripts.ts
function diskpartPath(p) {
  if (!import_node_path12.default.win32.isAbsolute(p) || /^[\\/]{2}[?.][\\/]/.test(p))
    throw new UsageError(`diskpart needs an absolute local path like C:\\dbclone\\disk.vhdx, not ${JSON.stringify(p)}.`);
  if (/["\u0000-\u001f]/.test(p))
    throw new UsageError(`The path ${JSON.stringify(p)} holds a double quote or a control character, which diskpart cannot take; choose another folder.`);
  return `"${import_node_path12.default.win32.normalize(p)}"`;
}
function createBaseDiskpart(file, virtualSizeBytes) {
  const mib = Math.max(8, Math.ceil(virtualSizeBytes / (1024 * 1024)));
  return `create vdisk file=${diskpartPath(file)} maximum=${mib} type=expandable
`;
}
function createChildDiskpart(childFile, parentFile) {
  return `create vdisk file=${diskpartPath(childFile)} parent=${diskpartPath(parentFile)}
`;
}
function indent(text) {
  return text.trim().split("\n").map((l) => `  ${l}`).join("\n").concat("\n");
}
var import_node_path12, GPT_BASIC_DATA, CHECK_ELEVATION_PS, MOUNT_TO_FOLDER_PS, ATTACH_PS, DETACH_ON_ERROR_PS, FORMAT_AND_MOUNT_PS, ATTACH_AND_MOUNT_PS, UNMOUNT_PS, LIST_DISKS_PS, DESCRIBE_PS;
var init_scripts = __esm({
  "packages/core/src/disk/vhdx/scripts.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_path12 = __toESM(require("node:path"), 1);
    init_errors();
    GPT_BASIC_DATA = "{ebd0a0a2-b9e5-4433-87c0-68b6b72699c7}";
    CHECK_ELEVATION_PS = `
$id = [Security.Principal.WindowsIdentity]::GetCurrent()
$admin = (New-Object Security.Principal.WindowsPrincipal $id).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
$storage = [bool](Get-Command Mount-DiskImage -ErrorAction SilentlyContinue)
Write-DbcloneResult @{ admin = $admin; storageModule = $storage; user = $id.Name }
`;
    MOUNT_TO_FOLDER_PS = `
[IO.Directory]::CreateDirectory($P.mountPath) | Out-Null
if ([IO.Directory]::EnumerateFileSystemEntries($P.mountPath) | Select-Object -First 1) {
  throw "The mount folder $($P.mountPath) is not empty; choose an empty folder or remove its contents."
}
$access = $P.mountPath.TrimEnd('\\') + '\\'
Add-PartitionAccessPath -DiskNumber $disk.Number -PartitionNumber $part.PartitionNumber -AccessPath $access
Write-DbcloneResult @{ diskNumber = $disk.Number; partitionNumber = $part.PartitionNumber; accessPath = $access }
`;
    ATTACH_PS = `
$image = Mount-DiskImage -ImagePath $P.file -NoDriveLetter -PassThru
try {
  $disk = $image | Get-Disk
  if ($disk.IsOffline) { Set-Disk -Number $disk.Number -IsOffline $false }
  if ($disk.IsReadOnly) { Set-Disk -Number $disk.Number -IsReadOnly $false }
`;
    DETACH_ON_ERROR_PS = `
} catch {
  Dismount-DiskImage -ImagePath $P.file -ErrorAction SilentlyContinue | Out-Null
  throw
}
`;
    FORMAT_AND_MOUNT_PS = `${ATTACH_PS.trim()}
  Initialize-Disk -Number $disk.Number -PartitionStyle GPT
  $part = New-Partition -DiskNumber $disk.Number -UseMaximumSize -GptType '${GPT_BASIC_DATA}'
  Format-Volume -Partition $part -FileSystem NTFS -AllocationUnitSize 65536 -NewFileSystemLabel $P.label -Confirm:$false | Out-Null
  Set-Partition -DiskNumber $disk.Number -PartitionNumber $part.PartitionNumber -NoDefaultDriveLetter $true
${indent(MOUNT_TO_FOLDER_PS)}${DETACH_ON_ERROR_PS.trim()}
`;
    ATTACH_AND_MOUNT_PS = `${ATTACH_PS.trim()}
  $parts = @(Get-Partition -DiskNumber $disk.Number | Where-Object { $_.GptType -eq '${GPT_BASIC_DATA}' })
  if ($parts.Count -ne 1) { throw "Expected one data partition on $($P.file), found $($parts.Count); is this a dbclone disk?" }
  $part = $parts[0]
${indent(MOUNT_TO_FOLDER_PS)}${DETACH_ON_ERROR_PS.trim()}
`;
    UNMOUNT_PS = `
$result = @{ attached = $false }
if (Test-Path -LiteralPath $P.file) {
  $image = Get-DiskImage -ImagePath $P.file
  if ($image.Attached) {
    $result.attached = $true
    foreach ($part in @(Get-Partition -DiskNumber $image.Number)) {
      foreach ($access in @($part.AccessPaths | Where-Object { $_ -and -not $_.StartsWith('\\\\?\\') })) {
        Remove-PartitionAccessPath -DiskNumber $image.Number -PartitionNumber $part.PartitionNumber -AccessPath $access
      }
    }
    Dismount-DiskImage -ImagePath $P.file | Out-Null
  }
}
if ($P.mountPath -and (Test-Path -LiteralPath $P.mountPath) -and -not ([IO.Directory]::EnumerateFileSystemEntries($P.mountPath) | Select-Object -First 1)) {
  [IO.Directory]::Delete($P.mountPath)
}
Write-DbcloneResult $result
`;
    LIST_DISKS_PS = `
$out = @()
if (Test-Path -LiteralPath $P.root) {
  foreach ($f in @(Get-ChildItem -LiteralPath $P.root -Recurse -File -Filter '*.vhdx')) {
    $image = Get-DiskImage -ImagePath $f.FullName
    $paths = @()
    if ($image.Attached) {
      $paths = @(Get-Partition -DiskNumber $image.Number | ForEach-Object { $_.AccessPaths } | Where-Object { $_ -and -not $_.StartsWith('\\\\?\\') })
    }
    $out += @{ file = $f.FullName; attached = [bool]$image.Attached; accessPaths = $paths }
  }
}
Write-DbcloneResult -Value $out
`;
    DESCRIBE_PS = `
$image = Get-DiskImage -ImagePath $P.file
Write-DbcloneResult @{ virtualSizeBytes = [int64]$image.Size; fileSizeBytes = [int64]$image.FileSize }
`;
  }
});

// packages/core/src/disk/vhdx/prerequisites.ts
async function checkVhdxPrerequisites(runner, platform = process.platform) {
  if (platform !== "win32") {
    throw new NotSupportedError(`The vhdx disk driver runs only on Windows (this is ${platform}); use the qcow2 driver on Linux.`);
  }
  const r = await runner.powershell("check elevation", CHECK_ELEVATION_PS, {});
  if (!r?.storageModule) {
    throw new MissingToolError(
      "Mount-DiskImage was not found: the Windows Storage module is needed (Windows 8 / Server 2012 or later, Windows PowerShell 5.1)."
    );
  }
  if (!r.admin) {
    throw new PrivilegeError(
      `${r.user} is not running elevated: attaching VHDX files and mounting partitions needs Administrator rights. Run the terminal as Administrator; on a self-hosted runner, run the runner service as an administrator (GitHub-hosted windows-latest jobs already are).`
    );
  }
}
var init_prerequisites2 = __esm({
  "packages/core/src/disk/vhdx/prerequisites.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_scripts();
  }
});

// packages/core/src/disk/vhdx/retry.ts
async function retryWithBackoff(fn, opts = {}) {
  const attempts = opts.attempts ?? 6;
  const sleep5 = opts.sleep ?? realSleep;
  const retryable = opts.retryable ?? isFileInUse;
  let delay = opts.firstDelayMs ?? 250;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || !retryable(e)) throw e;
      await sleep5(delay);
      delay *= 2;
    }
  }
}
var isFileInUse, realSleep;
var init_retry = __esm({
  "packages/core/src/disk/vhdx/retry.ts"() {
    "use strict";
    init_import_meta_url();
    isFileInUse = (e) => ["EBUSY", "EPERM", "EACCES", "ENOTEMPTY"].includes(e?.code ?? "");
    realSleep = (ms) => new Promise((r) => setTimeout(r, ms));
  }
});

// packages/core/src/disk/vhdx/driver.ts
var import_promises15, import_node_path13, VhdxDriver;
var init_driver = __esm({
  "packages/core/src/disk/vhdx/driver.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises15 = require("node:fs/promises");
    import_node_path13 = __toESM(require("node:path"), 1);
    init_errors();
    init_reporter();
    init_powershell();
    init_digest();
    init_base_digests();
    init_prerequisites2();
    init_retry();
    init_scripts();
    VhdxDriver = class {
      constructor(options) {
        this.options = options;
        this.reporter = options.reporter ?? silentReporter;
        this.runner = options.runner ?? realWindowsRunner({ reporter: this.reporter });
        this.digests = baseDigestCache(options.stateDir);
        this.win = options.paths ?? import_node_path13.default.win32;
      }
      options;
      name = "vhdx";
      format = "vhdx";
      reporter;
      runner;
      digests;
      win;
      checkPrerequisites() {
        return checkVhdxPrerequisites(this.runner, this.options.platform);
      }
      async createStaging(file, mountPath, virtualSizeBytes) {
        file = this.win.resolve(file);
        mountPath = this.win.resolve(mountPath);
        await (0, import_promises15.mkdir)(this.win.dirname(file), { recursive: true });
        await this.runner.diskpart("create staging vhdx", createBaseDiskpart(file, virtualSizeBytes));
        try {
          const m = await this.runner.powershell("format and mount staging", FORMAT_AND_MOUNT_PS, { file, mountPath, label: "dbclone" });
          const attachment = this.attachmentFor(file, mountPath, m);
          return { file, mountPath, attachment };
        } catch (e) {
          await this.destroy(file);
          throw e;
        }
      }
      /** Detach, move to `outFile`, mark read-only (children keep the parent's path: it must not move again). */
      async seal(staging, outFile) {
        outFile = this.win.resolve(outFile);
        await this.unmount(staging.attachment);
        if (this.win.resolve(staging.file) !== outFile) {
          await (0, import_promises15.mkdir)(this.win.dirname(outFile), { recursive: true });
          await retryWithBackoff(() => (0, import_promises15.rename)(staging.file, outFile), { sleep: this.options.sleep });
        }
        await (0, import_promises15.chmod)(outFile, 292);
        const { digest } = await this.digests.digestOf(outFile, sha256File);
        const info = await this.runner.powershell("describe sealed vhdx", DESCRIBE_PS, { file: outFile });
        const s = await (0, import_promises15.stat)(outFile);
        this.reporter.info(`Sealed ${outFile} (${digest}); children refer to it by this path, so it must stay here.`);
        return { file: outFile, digest, sizeBytes: s.size, virtualSizeBytes: info.virtualSizeBytes };
      }
      async createChild(parentFile, childFile, expectedDigest) {
        parentFile = this.win.resolve(parentFile);
        childFile = this.win.resolve(childFile);
        const s = await (0, import_promises15.stat)(parentFile);
        if (s.mode & 146) {
          throw new CloneError(`Base disk ${parentFile} is writable; refusing to clone it. Mark it read-only: attrib +R "${parentFile}"`);
        }
        if (expectedDigest) {
          const { digest } = await this.digests.digestOf(parentFile, sha256File);
          if (digest !== expectedDigest) {
            throw new DigestMismatchError(
              `Base disk ${parentFile} has changed: its digest is ${digest}, the image says ${expectedDigest}. Delete it from the local cache and pull the image again.`
            );
          }
        }
        const parent = await this.withVhdxExtension(parentFile, expectedDigest);
        await (0, import_promises15.mkdir)(this.win.dirname(childFile), { recursive: true });
        await this.runner.diskpart("create child vhdx", createChildDiskpart(childFile, parent));
        return { file: childFile, parents: [parent] };
      }
      /**
       * The virtual disk service picks the format by extension (.vhd or .vhdx), and a repository blob
       * is named by its digest alone: such a parent gets a hard link <stateDir>/bases/<hex>.vhdx (the
       * same read-only file; a copy when the cache is on another volume). Children keep this path.
       */
      async withVhdxExtension(parentFile, digest) {
        if (/\.vhdx$/i.test(parentFile)) return parentFile;
        const name = `${(digest ?? "").replace(/^sha256:/, "") || this.win.basename(parentFile)}.vhdx`;
        const linked = this.win.join(this.options.stateDir, "bases", name);
        await (0, import_promises15.mkdir)(this.win.dirname(linked), { recursive: true });
        try {
          await (0, import_promises15.link)(parentFile, linked);
        } catch (e) {
          const code = e.code;
          if (code === "EEXIST") {
            const [a, b] = await Promise.all([(0, import_promises15.stat)(parentFile), (0, import_promises15.stat)(linked)]);
            if (a.ino === b.ino && a.dev === b.dev) return linked;
            throw new CloneError(`${linked} exists and is not the base ${parentFile}; remove it (no clone may use it) and clone again.`);
          }
          if (code !== "EXDEV") throw e;
          await (0, import_promises15.copyFile)(parentFile, linked);
          await (0, import_promises15.chmod)(linked, 292);
        }
        return linked;
      }
      async mount(child, mountPath) {
        const file = this.win.resolve(child.file);
        mountPath = this.win.resolve(mountPath);
        const m = await this.runner.powershell("attach and mount child", ATTACH_AND_MOUNT_PS, { file, mountPath });
        return this.attachmentFor(file, mountPath, m);
      }
      async unmount(attachment) {
        await this.runner.powershell("unmount and detach", UNMOUNT_PS, { file: attachment.file, mountPath: attachment.mountPath });
      }
      /** Retries with backoff: a handle left open (SQL Server, antivirus, a slow detach) locks the file a while. */
      async destroy(file) {
        await retryWithBackoff(() => (0, import_promises15.rm)(this.win.resolve(file), { force: true }), { sleep: this.options.sleep });
      }
      async list(rootDir) {
        const root = this.win.resolve(rootDir);
        const disks = await this.runner.powershell("list disks", LIST_DISKS_PS, { root }) ?? [];
        const mounts = [];
        const files = [];
        for (const d of disks) {
          const ownerDir = this.win.dirname(d.file);
          if (d.attached) mounts.push({ kind: "mount", id: d.file, ownerDir, detail: (d.accessPaths ?? []).join(";") });
          files.push({ kind: "file", id: d.file, ownerDir });
        }
        return [...mounts, ...files];
      }
      async release(resource) {
        if (resource.kind === "mount") {
          const mountPath = (resource.detail ?? "").split(";")[0] ?? "";
          await this.runner.powershell("unmount and detach", UNMOUNT_PS, { file: resource.id, mountPath });
        } else if (resource.kind === "file") {
          await this.destroy(resource.id);
        } else {
          throw new CloneError(`The vhdx driver makes no ${resource.kind} resources; ${resource.id} is not ours to release.`);
        }
      }
      attachmentFor(file, mountPath, m) {
        return { driver: this.name, file, mountPath, handles: { diskNumber: m.diskNumber, partitionNumber: m.partitionNumber } };
      }
    };
  }
});

// packages/core/src/disk/vhdx.ts
var init_vhdx = __esm({
  "packages/core/src/disk/vhdx.ts"() {
    "use strict";
    init_import_meta_url();
    init_driver();
    init_prerequisites2();
    init_retry();
    init_scripts();
  }
});

// packages/core/src/disk/reflink/pool-layout.ts
function poolLayout(home) {
  const dir = import_node_path14.default.join(import_node_path14.default.resolve(home), "pool");
  return {
    home: import_node_path14.default.resolve(home),
    dir,
    poolFile: `${dir}.xfs`,
    imagesDir: import_node_path14.default.join(dir, "images"),
    clonesDir: import_node_path14.default.join(dir, "clones"),
    checkDir: import_node_path14.default.join(dir, "check")
  };
}
function cloneFileFor(layout, childFile) {
  const resolved = import_node_path14.default.resolve(childFile);
  if (import_node_path14.default.dirname(resolved) === layout.clonesDir) return resolved;
  const owner = import_node_path14.default.basename(import_node_path14.default.dirname(resolved));
  if (!/^[\w.-]+$/.test(owner)) throw new Error(`reflink: cannot name a pool clone after the directory '${owner}'`);
  return import_node_path14.default.join(layout.clonesDir, `${owner}.raw`);
}
var import_node_path14, imageFile, EXPAND_TEMP, ownerFileOf;
var init_pool_layout = __esm({
  "packages/core/src/disk/reflink/pool-layout.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_path14 = __toESM(require("node:path"), 1);
    imageFile = (layout, key) => import_node_path14.default.join(layout.imagesDir, `${key}.raw`);
    EXPAND_TEMP = /^[0-9a-f]{64}\.raw\.tmp-(\d+)-[0-9a-f]+$/;
    ownerFileOf = (cloneFile) => cloneFile.replace(/\.raw$/, ".json");
  }
});

// packages/core/src/disk/reflink/extents.ts
async function dataExtents(file, reporter) {
  const r = await run("xfs_io", ["-r", "-c", "fiemap -v", file], { reporter, packageHint: "xfsprogs", timeoutMs: 10 * 6e4 });
  const out = [];
  for (const line of r.stdout.split("\n")) {
    const m = /^\s*\d+: \[(\d+)\.\.(\d+)\]:\s+(\S+)\s+\d+(?:\s+(0x[0-9a-f]+))?/.exec(line);
    if (!m || m[3] === "hole") continue;
    const start2 = Number(m[1]) * 512;
    out.push({ offset: start2, length: (Number(m[2]) + 1) * 512 - start2, shared: (parseInt(m[4] ?? "0", 16) & FIEMAP_EXTENT_SHARED) !== 0 });
  }
  return out;
}
function subtract(ranges, minus) {
  const out = [];
  for (const r of ranges) {
    let at = r.offset;
    const end = r.offset + r.length;
    for (const m of minus) {
      const mEnd = m.offset + m.length;
      if (mEnd <= at || m.offset >= end) continue;
      if (m.offset > at) out.push({ offset: at, length: m.offset - at });
      at = Math.max(at, mEnd);
      if (at >= end) break;
    }
    if (at < end) out.push({ offset: at, length: end - at });
  }
  return out;
}
function differingRanges(clone2, image) {
  const byOffset = (a, b) => a.offset - b.offset;
  const copy = clone2.filter((e) => !e.shared).map(({ offset, length }) => ({ offset, length })).sort(byOffset);
  const zero = subtract(image.map(({ offset, length }) => ({ offset, length })).sort(byOffset), [...clone2].sort(byOffset));
  return { copy, zero };
}
var FIEMAP_EXTENT_SHARED;
var init_extents = __esm({
  "packages/core/src/disk/reflink/extents.ts"() {
    "use strict";
    init_import_meta_url();
    init_exec();
    FIEMAP_EXTENT_SHARED = 8192;
  }
});

// packages/core/src/disk/reflink/loop-at.ts
async function loopDeviceAt(mountPath, file) {
  const where = /* @__PURE__ */ new Set([mountPath, await (0, import_promises16.realpath)(mountPath).catch(() => mountPath)]);
  const table = await (0, import_promises16.readFile)("/proc/self/mountinfo", "utf8").catch(() => "");
  for (const line of table.split("\n")) {
    const fields = line.split(" ");
    const dash = fields.indexOf("-");
    const source = fields[dash + 2];
    if (dash < 0 || !where.has(unescapeMountPath(fields[4] ?? "")) || !source?.startsWith("/dev/loop")) continue;
    const backing = await (0, import_promises16.readFile)(`/sys/block/${import_node_path15.default.basename(source)}/loop/backing_file`, "utf8").catch(() => "");
    if (backing.trim().replace(/ \(deleted\)$/, "") === file) return source;
  }
  return (await readLoopDevices()).find((l) => l.backingFile === file)?.device;
}
var import_promises16, import_node_path15, unescapeMountPath;
var init_loop_at = __esm({
  "packages/core/src/disk/reflink/loop-at.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises16 = require("node:fs/promises");
    import_node_path15 = __toESM(require("node:path"), 1);
    init_mounts();
    unescapeMountPath = (p) => p.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(Number.parseInt(o, 8)));
  }
});

// packages/core/src/disk/reflink/clone.ts
async function reflinkCopy(imageFile2, cloneFile, owner) {
  await (0, import_promises17.writeFile)(ownerFileOf(cloneFile), JSON.stringify(owner), { mode: 384, flag: "wx" }).catch((e) => {
    throw e.code === "EEXIST" ? new CloneError(`the reflink pool already holds a clone disk ${cloneFile}; run dbclone gc`) : e;
  });
  try {
    await (0, import_promises17.copyFile)(imageFile2, cloneFile, import_node_fs5.constants.COPYFILE_FICLONE_FORCE | import_node_fs5.constants.COPYFILE_EXCL);
    await (0, import_promises17.chmod)(cloneFile, 384);
  } catch (e) {
    await (0, import_promises17.rm)(cloneFile, { force: true });
    await (0, import_promises17.rm)(ownerFileOf(cloneFile), { force: true });
    throw new CloneError(`reflink copy of ${imageFile2} failed: ${e.message}`, { cause: e });
  }
}
async function attachClone(driver, cloneFile, mountPath, reporter) {
  mountPath = import_node_path16.default.resolve(mountPath);
  await (0, import_promises17.mkdir)(mountPath, { recursive: true });
  await run("mount", ["-t", "xfs", "-o", "loop,nouuid", cloneFile, mountPath], { privileged: true, reporter, timeoutMs: 6e4, packageHint: "mount" });
  const attachment = { driver, file: cloneFile, mountPath, handles: {} };
  try {
    const loopDevice = await loopDeviceAt(mountPath, cloneFile);
    attachment.handles = { loopDevice };
    await failFastOnWriteErrors(loopDevice);
    if (!isRoot()) await run("chown", [`${process.getuid?.()}:${process.getgid?.()}`, mountPath], { privileged: true, reporter });
    return attachment;
  } catch (e) {
    await detachClone(attachment, reporter).catch(() => void 0);
    throw e;
  }
}
async function detachClone(attachment, reporter) {
  await unmountPath(attachment.mountPath, reporter);
  for (const loop of await readLoopDevices()) if (loop.backingFile === attachment.file) await detachLoop(loop.device, reporter);
}
async function removeCloneFile(cloneFile) {
  await (0, import_promises17.rm)(cloneFile, { force: true });
  await (0, import_promises17.rm)(ownerFileOf(cloneFile), { force: true });
}
async function ownBytes(file, reporter) {
  const extents = await dataExtents(file, reporter).catch(() => []);
  return extents.filter((e) => !e.shared).reduce((sum, e) => sum + e.length, 0);
}
var import_node_fs5, import_promises17, import_node_path16;
var init_clone = __esm({
  "packages/core/src/disk/reflink/clone.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs5 = require("node:fs");
    import_promises17 = require("node:fs/promises");
    import_node_path16 = __toESM(require("node:path"), 1);
    init_errors();
    init_exec();
    init_mounts();
    init_xfs_error_policy();
    init_pool_layout();
    init_extents();
    init_loop_at();
  }
});

// node_modules/retry/lib/retry_operation.js
var require_retry_operation = __commonJS({
  "node_modules/retry/lib/retry_operation.js"(exports2, module2) {
    init_import_meta_url();
    function RetryOperation(timeouts, options) {
      if (typeof options === "boolean") {
        options = { forever: options };
      }
      this._originalTimeouts = JSON.parse(JSON.stringify(timeouts));
      this._timeouts = timeouts;
      this._options = options || {};
      this._maxRetryTime = options && options.maxRetryTime || Infinity;
      this._fn = null;
      this._errors = [];
      this._attempts = 1;
      this._operationTimeout = null;
      this._operationTimeoutCb = null;
      this._timeout = null;
      this._operationStart = null;
      if (this._options.forever) {
        this._cachedTimeouts = this._timeouts.slice(0);
      }
    }
    module2.exports = RetryOperation;
    RetryOperation.prototype.reset = function() {
      this._attempts = 1;
      this._timeouts = this._originalTimeouts;
    };
    RetryOperation.prototype.stop = function() {
      if (this._timeout) {
        clearTimeout(this._timeout);
      }
      this._timeouts = [];
      this._cachedTimeouts = null;
    };
    RetryOperation.prototype.retry = function(err) {
      if (this._timeout) {
        clearTimeout(this._timeout);
      }
      if (!err) {
        return false;
      }
      var currentTime = (/* @__PURE__ */ new Date()).getTime();
      if (err && currentTime - this._operationStart >= this._maxRetryTime) {
        this._errors.unshift(new Error("RetryOperation timeout occurred"));
        return false;
      }
      this._errors.push(err);
      var timeout = this._timeouts.shift();
      if (timeout === void 0) {
        if (this._cachedTimeouts) {
          this._errors.splice(this._errors.length - 1, this._errors.length);
          this._timeouts = this._cachedTimeouts.slice(0);
          timeout = this._timeouts.shift();
        } else {
          return false;
        }
      }
      var self = this;
      var timer = setTimeout(function() {
        self._attempts++;
        if (self._operationTimeoutCb) {
          self._timeout = setTimeout(function() {
            self._operationTimeoutCb(self._attempts);
          }, self._operationTimeout);
          if (self._options.unref) {
            self._timeout.unref();
          }
        }
        self._fn(self._attempts);
      }, timeout);
      if (this._options.unref) {
        timer.unref();
      }
      return true;
    };
    RetryOperation.prototype.attempt = function(fn, timeoutOps) {
      this._fn = fn;
      if (timeoutOps) {
        if (timeoutOps.timeout) {
          this._operationTimeout = timeoutOps.timeout;
        }
        if (timeoutOps.cb) {
          this._operationTimeoutCb = timeoutOps.cb;
        }
      }
      var self = this;
      if (this._operationTimeoutCb) {
        this._timeout = setTimeout(function() {
          self._operationTimeoutCb();
        }, self._operationTimeout);
      }
      this._operationStart = (/* @__PURE__ */ new Date()).getTime();
      this._fn(this._attempts);
    };
    RetryOperation.prototype.try = function(fn) {
      console.log("Using RetryOperation.try() is deprecated");
      this.attempt(fn);
    };
    RetryOperation.prototype.start = function(fn) {
      console.log("Using RetryOperation.start() is deprecated");
      this.attempt(fn);
    };
    RetryOperation.prototype.start = RetryOperation.prototype.try;
    RetryOperation.prototype.errors = function() {
      return this._errors;
    };
    RetryOperation.prototype.attempts = function() {
      return this._attempts;
    };
    RetryOperation.prototype.mainError = function() {
      if (this._errors.length === 0) {
        return null;
      }
      var counts = {};
      var mainError = null;
      var mainErrorCount = 0;
      for (var i = 0; i < this._errors.length; i++) {
        var error2 = this._errors[i];
        var message = error2.message;
        var count = (counts[message] || 0) + 1;
        counts[message] = count;
        if (count >= mainErrorCount) {
          mainError = error2;
          mainErrorCount = count;
        }
      }
      return mainError;
    };
  }
});

// node_modules/retry/lib/retry.js
var require_retry = __commonJS({
  "node_modules/retry/lib/retry.js"(exports2) {
    init_import_meta_url();
    var RetryOperation = require_retry_operation();
    exports2.operation = function(options) {
      var timeouts = exports2.timeouts(options);
      return new RetryOperation(timeouts, {
        forever: options && options.forever,
        unref: options && options.unref,
        maxRetryTime: options && options.maxRetryTime
      });
    };
    exports2.timeouts = function(options) {
      if (options instanceof Array) {
        return [].concat(options);
      }
      var opts = {
        retries: 10,
        factor: 2,
        minTimeout: 1 * 1e3,
        maxTimeout: Infinity,
        randomize: false
      };
      for (var key in options) {
        opts[key] = options[key];
      }
      if (opts.minTimeout > opts.maxTimeout) {
        throw new Error("minTimeout is greater than maxTimeout");
      }
      var timeouts = [];
      for (var i = 0; i < opts.retries; i++) {
        timeouts.push(this.createTimeout(i, opts));
      }
      if (options && options.forever && !timeouts.length) {
        timeouts.push(this.createTimeout(i, opts));
      }
      timeouts.sort(function(a, b) {
        return a - b;
      });
      return timeouts;
    };
    exports2.createTimeout = function(attempt, opts) {
      var random = opts.randomize ? Math.random() + 1 : 1;
      var timeout = Math.round(random * opts.minTimeout * Math.pow(opts.factor, attempt));
      timeout = Math.min(timeout, opts.maxTimeout);
      return timeout;
    };
    exports2.wrap = function(obj, options, methods) {
      if (options instanceof Array) {
        methods = options;
        options = null;
      }
      if (!methods) {
        methods = [];
        for (var key in obj) {
          if (typeof obj[key] === "function") {
            methods.push(key);
          }
        }
      }
      for (var i = 0; i < methods.length; i++) {
        var method = methods[i];
        var original = obj[method];
        obj[method] = function retryWrapper(original2) {
          var op = exports2.operation(options);
          var args = Array.prototype.slice.call(arguments, 1);
          var callback = args.pop();
          args.push(function(err) {
            if (op.retry(err)) {
              return;
            }
            if (err) {
              arguments[0] = op.mainError();
            }
            callback.apply(this, arguments);
          });
          op.attempt(function() {
            original2.apply(obj, args);
          });
        }.bind(obj, original);
        obj[method].options = options;
      }
    };
  }
});

// node_modules/retry/index.js
var require_retry2 = __commonJS({
  "node_modules/retry/index.js"(exports2, module2) {
    init_import_meta_url();
    module2.exports = require_retry();
  }
});

// scripts/vendor-shims/assert-equal.cjs
var require_assert_equal = __commonJS({
  "scripts/vendor-shims/assert-equal.cjs"(exports2, module2) {
    "use strict";
    init_import_meta_url();
    module2.exports = {
      equal(actual, expected, message) {
        if (actual != expected) throw new Error(message);
      }
    };
  }
});

// node_modules/signal-exit/signals.js
var require_signals = __commonJS({
  "node_modules/signal-exit/signals.js"(exports2, module2) {
    init_import_meta_url();
    module2.exports = [
      "SIGABRT",
      "SIGALRM",
      "SIGHUP",
      "SIGINT",
      "SIGTERM"
    ];
    if (process.platform !== "win32") {
      module2.exports.push(
        "SIGVTALRM",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGUSR2",
        "SIGTRAP",
        "SIGSYS",
        "SIGQUIT",
        "SIGIOT"
        // should detect profiler and enable/disable accordingly.
        // see #21
        // 'SIGPROF'
      );
    }
    if (process.platform === "linux") {
      module2.exports.push(
        "SIGIO",
        "SIGPOLL",
        "SIGPWR",
        "SIGSTKFLT",
        "SIGUNUSED"
      );
    }
  }
});

// node_modules/signal-exit/index.js
var require_signal_exit = __commonJS({
  "node_modules/signal-exit/index.js"(exports2, module2) {
    init_import_meta_url();
    var process2 = global.process;
    var processOk = function(process3) {
      return process3 && typeof process3 === "object" && typeof process3.removeListener === "function" && typeof process3.emit === "function" && typeof process3.reallyExit === "function" && typeof process3.listeners === "function" && typeof process3.kill === "function" && typeof process3.pid === "number" && typeof process3.on === "function";
    };
    if (!processOk(process2)) {
      module2.exports = function() {
        return function() {
        };
      };
    } else {
      assert2 = require_assert_equal();
      signals = require_signals();
      isWin = /^win/i.test(process2.platform);
      EE = require("events");
      if (typeof EE !== "function") {
        EE = EE.EventEmitter;
      }
      if (process2.__signal_exit_emitter__) {
        emitter = process2.__signal_exit_emitter__;
      } else {
        emitter = process2.__signal_exit_emitter__ = new EE();
        emitter.count = 0;
        emitter.emitted = {};
      }
      if (!emitter.infinite) {
        emitter.setMaxListeners(Infinity);
        emitter.infinite = true;
      }
      module2.exports = function(cb, opts) {
        if (!processOk(global.process)) {
          return function() {
          };
        }
        assert2.equal(typeof cb, "function", "a callback must be provided for exit handler");
        if (loaded === false) {
          load();
        }
        var ev = "exit";
        if (opts && opts.alwaysLast) {
          ev = "afterexit";
        }
        var remove = function() {
          emitter.removeListener(ev, cb);
          if (emitter.listeners("exit").length === 0 && emitter.listeners("afterexit").length === 0) {
            unload();
          }
        };
        emitter.on(ev, cb);
        return remove;
      };
      unload = function unload2() {
        if (!loaded || !processOk(global.process)) {
          return;
        }
        loaded = false;
        signals.forEach(function(sig) {
          try {
            process2.removeListener(sig, sigListeners[sig]);
          } catch (er) {
          }
        });
        process2.emit = originalProcessEmit;
        process2.reallyExit = originalProcessReallyExit;
        emitter.count -= 1;
      };
      module2.exports.unload = unload;
      emit = function emit2(event, code, signal2) {
        if (emitter.emitted[event]) {
          return;
        }
        emitter.emitted[event] = true;
        emitter.emit(event, code, signal2);
      };
      sigListeners = {};
      signals.forEach(function(sig) {
        sigListeners[sig] = function listener() {
          if (!processOk(global.process)) {
            return;
          }
          var listeners = process2.listeners(sig);
          if (listeners.length === emitter.count) {
            unload();
            emit("exit", null, sig);
            emit("afterexit", null, sig);
            if (isWin && sig === "SIGHUP") {
              sig = "SIGINT";
            }
            process2.kill(process2.pid, sig);
          }
        };
      });
      module2.exports.signals = function() {
        return signals;
      };
      loaded = false;
      load = function load2() {
        if (loaded || !processOk(global.process)) {
          return;
        }
        loaded = true;
        emitter.count += 1;
        signals = signals.filter(function(sig) {
          try {
            process2.on(sig, sigListeners[sig]);
            return true;
          } catch (er) {
            return false;
          }
        });
        process2.emit = processEmit;
        process2.reallyExit = processReallyExit;
      };
      module2.exports.load = load;
      originalProcessReallyExit = process2.reallyExit;
      processReallyExit = function processReallyExit2(code) {
        if (!processOk(global.process)) {
          return;
        }
        process2.exitCode = code || /* istanbul ignore next */
        0;
        emit("exit", process2.exitCode, null);
        emit("afterexit", process2.exitCode, null);
        originalProcessReallyExit.call(process2, process2.exitCode);
      };
      originalProcessEmit = process2.emit;
      processEmit = function processEmit2(ev, arg) {
        if (ev === "exit" && processOk(global.process)) {
          if (arg !== void 0) {
            process2.exitCode = arg;
          }
          var ret = originalProcessEmit.apply(this, arguments);
          emit("exit", process2.exitCode, null);
          emit("afterexit", process2.exitCode, null);
          return ret;
        } else {
          return originalProcessEmit.apply(this, arguments);
        }
      };
    }
    var assert2;
    var signals;
    var isWin;
    var EE;
    var emitter;
    var unload;
    var emit;
    var sigListeners;
    var loaded;
    var load;
    var originalProcessReallyExit;
    var processReallyExit;
    var originalProcessEmit;
    var processEmit;
  }
});

// node_modules/proper-lockfile/lib/mtime-precision.js
var require_mtime_precision = __commonJS({
  "node_modules/proper-lockfile/lib/mtime-precision.js"(exports2, module2) {
    "use strict";
    init_import_meta_url();
    var cacheSymbol = /* @__PURE__ */ Symbol();
    function probe(file, fs6, callback) {
      const cachedPrecision = fs6[cacheSymbol];
      if (cachedPrecision) {
        return fs6.stat(file, (err, stat27) => {
          if (err) {
            return callback(err);
          }
          callback(null, stat27.mtime, cachedPrecision);
        });
      }
      const mtime = new Date(Math.ceil(Date.now() / 1e3) * 1e3 + 5);
      fs6.utimes(file, mtime, mtime, (err) => {
        if (err) {
          return callback(err);
        }
        fs6.stat(file, (err2, stat27) => {
          if (err2) {
            return callback(err2);
          }
          const precision = stat27.mtime.getTime() % 1e3 === 0 ? "s" : "ms";
          Object.defineProperty(fs6, cacheSymbol, { value: precision });
          callback(null, stat27.mtime, precision);
        });
      });
    }
    function getMtime(precision) {
      let now = Date.now();
      if (precision === "s") {
        now = Math.ceil(now / 1e3) * 1e3;
      }
      return new Date(now);
    }
    module2.exports.probe = probe;
    module2.exports.getMtime = getMtime;
  }
});

// node_modules/proper-lockfile/lib/lockfile.js
var require_lockfile = __commonJS({
  "node_modules/proper-lockfile/lib/lockfile.js"(exports2, module2) {
    "use strict";
    init_import_meta_url();
    var path78 = require("path");
    var fs6 = require("node:fs");
    var retry = require_retry2();
    var onExit = require_signal_exit();
    var mtimePrecision = require_mtime_precision();
    var locks = {};
    function getLockFile(file, options) {
      return options.lockfilePath || `${file}.lock`;
    }
    function resolveCanonicalPath(file, options, callback) {
      if (!options.realpath) {
        return callback(null, path78.resolve(file));
      }
      options.fs.realpath(file, callback);
    }
    function acquireLock(file, options, callback) {
      const lockfilePath = getLockFile(file, options);
      options.fs.mkdir(lockfilePath, (err) => {
        if (!err) {
          return mtimePrecision.probe(lockfilePath, options.fs, (err2, mtime, mtimePrecision2) => {
            if (err2) {
              options.fs.rmdir(lockfilePath, () => {
              });
              return callback(err2);
            }
            callback(null, mtime, mtimePrecision2);
          });
        }
        if (err.code !== "EEXIST") {
          return callback(err);
        }
        if (options.stale <= 0) {
          return callback(Object.assign(new Error("Lock file is already being held"), { code: "ELOCKED", file }));
        }
        options.fs.stat(lockfilePath, (err2, stat27) => {
          if (err2) {
            if (err2.code === "ENOENT") {
              return acquireLock(file, { ...options, stale: 0 }, callback);
            }
            return callback(err2);
          }
          if (!isLockStale(stat27, options)) {
            return callback(Object.assign(new Error("Lock file is already being held"), { code: "ELOCKED", file }));
          }
          removeLock(file, options, (err3) => {
            if (err3) {
              return callback(err3);
            }
            acquireLock(file, { ...options, stale: 0 }, callback);
          });
        });
      });
    }
    function isLockStale(stat27, options) {
      return stat27.mtime.getTime() < Date.now() - options.stale;
    }
    function removeLock(file, options, callback) {
      options.fs.rmdir(getLockFile(file, options), (err) => {
        if (err && err.code !== "ENOENT") {
          return callback(err);
        }
        callback();
      });
    }
    function updateLock(file, options) {
      const lock2 = locks[file];
      if (lock2.updateTimeout) {
        return;
      }
      lock2.updateDelay = lock2.updateDelay || options.update;
      lock2.updateTimeout = setTimeout(() => {
        lock2.updateTimeout = null;
        options.fs.stat(lock2.lockfilePath, (err, stat27) => {
          const isOverThreshold = lock2.lastUpdate + options.stale < Date.now();
          if (err) {
            if (err.code === "ENOENT" || isOverThreshold) {
              return setLockAsCompromised(file, lock2, Object.assign(err, { code: "ECOMPROMISED" }));
            }
            lock2.updateDelay = 1e3;
            return updateLock(file, options);
          }
          const isMtimeOurs = lock2.mtime.getTime() === stat27.mtime.getTime();
          if (!isMtimeOurs) {
            return setLockAsCompromised(
              file,
              lock2,
              Object.assign(
                new Error("Unable to update lock within the stale threshold"),
                { code: "ECOMPROMISED" }
              )
            );
          }
          const mtime = mtimePrecision.getMtime(lock2.mtimePrecision);
          options.fs.utimes(lock2.lockfilePath, mtime, mtime, (err2) => {
            const isOverThreshold2 = lock2.lastUpdate + options.stale < Date.now();
            if (lock2.released) {
              return;
            }
            if (err2) {
              if (err2.code === "ENOENT" || isOverThreshold2) {
                return setLockAsCompromised(file, lock2, Object.assign(err2, { code: "ECOMPROMISED" }));
              }
              lock2.updateDelay = 1e3;
              return updateLock(file, options);
            }
            lock2.mtime = mtime;
            lock2.lastUpdate = Date.now();
            lock2.updateDelay = null;
            updateLock(file, options);
          });
        });
      }, lock2.updateDelay);
      if (lock2.updateTimeout.unref) {
        lock2.updateTimeout.unref();
      }
    }
    function setLockAsCompromised(file, lock2, err) {
      lock2.released = true;
      if (lock2.updateTimeout) {
        clearTimeout(lock2.updateTimeout);
      }
      if (locks[file] === lock2) {
        delete locks[file];
      }
      lock2.options.onCompromised(err);
    }
    function lock(file, options, callback) {
      options = {
        stale: 1e4,
        update: null,
        realpath: true,
        retries: 0,
        fs: fs6,
        onCompromised: (err) => {
          throw err;
        },
        ...options
      };
      options.retries = options.retries || 0;
      options.retries = typeof options.retries === "number" ? { retries: options.retries } : options.retries;
      options.stale = Math.max(options.stale || 0, 2e3);
      options.update = options.update == null ? options.stale / 2 : options.update || 0;
      options.update = Math.max(Math.min(options.update, options.stale / 2), 1e3);
      resolveCanonicalPath(file, options, (err, file2) => {
        if (err) {
          return callback(err);
        }
        const operation = retry.operation(options.retries);
        operation.attempt(() => {
          acquireLock(file2, options, (err2, mtime, mtimePrecision2) => {
            if (operation.retry(err2)) {
              return;
            }
            if (err2) {
              return callback(operation.mainError());
            }
            const lock2 = locks[file2] = {
              lockfilePath: getLockFile(file2, options),
              mtime,
              mtimePrecision: mtimePrecision2,
              options,
              lastUpdate: Date.now()
            };
            updateLock(file2, options);
            callback(null, (releasedCallback) => {
              if (lock2.released) {
                return releasedCallback && releasedCallback(Object.assign(new Error("Lock is already released"), { code: "ERELEASED" }));
              }
              unlock(file2, { ...options, realpath: false }, releasedCallback);
            });
          });
        });
      });
    }
    function unlock(file, options, callback) {
      options = {
        fs: fs6,
        realpath: true,
        ...options
      };
      resolveCanonicalPath(file, options, (err, file2) => {
        if (err) {
          return callback(err);
        }
        const lock2 = locks[file2];
        if (!lock2) {
          return callback(Object.assign(new Error("Lock is not acquired/owned by you"), { code: "ENOTACQUIRED" }));
        }
        lock2.updateTimeout && clearTimeout(lock2.updateTimeout);
        lock2.released = true;
        delete locks[file2];
        removeLock(file2, options, callback);
      });
    }
    function check(file, options, callback) {
      options = {
        stale: 1e4,
        realpath: true,
        fs: fs6,
        ...options
      };
      options.stale = Math.max(options.stale || 0, 2e3);
      resolveCanonicalPath(file, options, (err, file2) => {
        if (err) {
          return callback(err);
        }
        options.fs.stat(getLockFile(file2, options), (err2, stat27) => {
          if (err2) {
            return err2.code === "ENOENT" ? callback(null, false) : callback(err2);
          }
          return callback(null, !isLockStale(stat27, options));
        });
      });
    }
    function getLocks() {
      return locks;
    }
    onExit(() => {
      for (const file in locks) {
        const options = locks[file].options;
        try {
          options.fs.rmdirSync(getLockFile(file, options));
        } catch (e) {
        }
      }
    });
    module2.exports.lock = lock;
    module2.exports.unlock = unlock;
    module2.exports.check = check;
    module2.exports.getLocks = getLocks;
  }
});

// node_modules/proper-lockfile/lib/adapter.js
var require_adapter = __commonJS({
  "node_modules/proper-lockfile/lib/adapter.js"(exports2, module2) {
    "use strict";
    init_import_meta_url();
    var fs6 = require("node:fs");
    function createSyncFs(fs7) {
      const methods = ["mkdir", "realpath", "stat", "rmdir", "utimes"];
      const newFs = { ...fs7 };
      methods.forEach((method) => {
        newFs[method] = (...args) => {
          const callback = args.pop();
          let ret;
          try {
            ret = fs7[`${method}Sync`](...args);
          } catch (err) {
            return callback(err);
          }
          callback(null, ret);
        };
      });
      return newFs;
    }
    function toPromise(method) {
      return (...args) => new Promise((resolve, reject) => {
        args.push((err, result) => {
          if (err) {
            reject(err);
          } else {
            resolve(result);
          }
        });
        method(...args);
      });
    }
    function toSync(method) {
      return (...args) => {
        let err;
        let result;
        args.push((_err, _result) => {
          err = _err;
          result = _result;
        });
        method(...args);
        if (err) {
          throw err;
        }
        return result;
      };
    }
    function toSyncOptions(options) {
      options = { ...options };
      options.fs = createSyncFs(options.fs || fs6);
      if (typeof options.retries === "number" && options.retries > 0 || options.retries && typeof options.retries.retries === "number" && options.retries.retries > 0) {
        throw Object.assign(new Error("Cannot use retries with the sync api"), { code: "ESYNC" });
      }
      return options;
    }
    module2.exports = {
      toPromise,
      toSync,
      toSyncOptions
    };
  }
});

// node_modules/proper-lockfile/index.js
var require_proper_lockfile = __commonJS({
  "node_modules/proper-lockfile/index.js"(exports2, module2) {
    "use strict";
    init_import_meta_url();
    var lockfile3 = require_lockfile();
    var { toPromise, toSync, toSyncOptions } = require_adapter();
    async function lock(file, options) {
      const release = await toPromise(lockfile3.lock)(file, options);
      return toPromise(release);
    }
    function lockSync(file, options) {
      const release = toSync(lockfile3.lock)(file, toSyncOptions(options));
      return toSync(release);
    }
    function unlock(file, options) {
      return toPromise(lockfile3.unlock)(file, options);
    }
    function unlockSync(file, options) {
      return toSync(lockfile3.unlock)(file, toSyncOptions(options));
    }
    function check(file, options) {
      return toPromise(lockfile3.check)(file, options);
    }
    function checkSync(file, options) {
      return toSync(lockfile3.check)(file, toSyncOptions(options));
    }
    module2.exports = lock;
    module2.exports.lock = lock;
    module2.exports.unlock = unlock;
    module2.exports.lockSync = lockSync;
    module2.exports.unlockSync = unlockSync;
    module2.exports.check = check;
    module2.exports.checkSync = checkSync;
  }
});

// packages/core/src/util/file-lock.ts
async function withFileLock(target, fn, opts = {}) {
  const waitMs = opts.waitMs ?? 6e4;
  const lost = new AbortController();
  let release;
  try {
    release = await import_proper_lockfile.default.lock(target, {
      realpath: false,
      // A holder that was SIGKILLed stops refreshing the lock's mtime; after `stale` ms others take it.
      stale: opts.staleMs ?? 1e4,
      retries: { retries: Math.ceil(waitMs / 100), factor: 1, minTimeout: 20, maxTimeout: 100, randomize: true },
      // Not thrown from a timer (that would crash the process): the work is aborted instead.
      onCompromised: (err) => lost.abort(new RepositoryError(`lost the lock ${target}.lock (${err.message}); another process may have taken it over: stopped, retry`))
    });
  } catch (e) {
    throw new RepositoryError(
      `could not lock ${target} within ${Math.round(waitMs / 1e3)} s (${e.message}); if no dbclone process is running, remove ${target}.lock`,
      { cause: e }
    );
  }
  try {
    const result = await fn(lost.signal);
    if (lost.signal.aborted) throw lost.signal.reason;
    return result;
  } catch (e) {
    throw lost.signal.aborted ? lost.signal.reason : e;
  } finally {
    await release().catch(() => void 0);
  }
}
var import_proper_lockfile;
var init_file_lock = __esm({
  "packages/core/src/util/file-lock.ts"() {
    "use strict";
    init_import_meta_url();
    import_proper_lockfile = __toESM(require_proper_lockfile(), 1);
    init_errors();
  }
});

// packages/core/src/util/disk-full.ts
function isDiskFull(e) {
  for (let err = e, depth = 0; err && depth < 5; err = err.cause, depth++) {
    if (err.code === "ENOSPC" || err.code === "EDQUOT") return true;
    if (FULL_TEXT.test(err.message ?? "") || FULL_TEXT.test(err.stderr ?? "")) return true;
  }
  return false;
}
function mountOf(p) {
  let best;
  let text = "";
  try {
    text = (0, import_node_fs6.readFileSync)("/proc/self/mountinfo", "utf8");
  } catch {
    return void 0;
  }
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    const sep = f.indexOf("-");
    if (sep < 0 || !f[4]) continue;
    const mountPoint = f[4].replace(/\\040/g, " ");
    const inside = p === mountPoint || p.startsWith(mountPoint.endsWith("/") ? mountPoint : `${mountPoint}/`);
    if (inside && (!best || mountPoint.length > best.mountPoint.length)) best = { mountPoint, fsType: f[sep + 1] ?? "?", source: f[sep + 2] ?? "?" };
  }
  return best;
}
async function describeSpace(dir) {
  for (let p = import_node_path17.default.resolve(dir); ; p = import_node_path17.default.dirname(p)) {
    const st = await (0, import_promises18.statfs)(p).catch(() => void 0);
    if (st) {
      const m = mountOf(p);
      return { where: m ? `${m.mountPoint} (${m.fsType} on ${m.source})` : p, free: st.bavail * st.bsize, size: st.blocks * st.bsize };
    }
    if (p === import_node_path17.default.dirname(p)) return void 0;
  }
}
function mentionsIoError(e) {
  for (let err = e, depth = 0; err && depth < 5; err = err.cause, depth++) {
    if (err.code === "EIO" || IO_ERROR.test(err.message ?? "") || IO_ERROR.test(err.stderr ?? "")) return true;
  }
  return false;
}
async function diskFullError(e, dirs, doing) {
  const io = mentionsIoError(e);
  if (!isDiskFull(e) && !io) return void 0;
  let fullest;
  for (const dir of dirs) {
    const space = await describeSpace(dir);
    if (space && (!fullest || space.free / Math.max(1, space.size) < fullest.free / Math.max(1, fullest.size))) fullest = space;
  }
  if (!isDiskFull(e) && !(fullest && fullest.free < NEARLY_FULL_BYTES)) return void 0;
  const where = fullest ? `${fullest.where}: ${formatBytes(fullest.free)} free of ${formatBytes(fullest.size)}` : dirs.join(", ");
  return new DiskFullError(
    `no space left while ${doing}, on ${where}; nothing partial was kept. Free space there (or point DBCLONE_HOME / the cache elsewhere) and retry`,
    { cause: e }
  );
}
function formatBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
var import_node_fs6, import_promises18, import_node_path17, FULL_TEXT, NEARLY_FULL_BYTES, IO_ERROR;
var init_disk_full = __esm({
  "packages/core/src/util/disk-full.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs6 = require("node:fs");
    import_promises18 = require("node:fs/promises");
    import_node_path17 = __toESM(require("node:path"), 1);
    init_errors();
    FULL_TEXT = /No space left on device|Disk quota exceeded|ENOSPC|EDQUOT/i;
    NEARLY_FULL_BYTES = 1 << 20;
    IO_ERROR = /Input\/output error|EIO\b|I\/O error/i;
  }
});

// packages/core/src/util/pause-point.ts
async function pausePoint(step) {
  const at = process.env.DBCLONE_TEST_PAUSE_AT;
  const file = process.env.DBCLONE_TEST_PAUSE_FILE;
  if (!at || !file || at !== step) return;
  (0, import_node_fs7.writeFileSync)(file, `${process.pid} ${step}
`);
  await new Promise(() => setInterval(() => void 0, 6e4));
}
var import_node_fs7;
var init_pause_point = __esm({
  "packages/core/src/util/pause-point.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs7 = require("node:fs");
  }
});

// packages/core/src/disk/reflink/data-check.ts
async function checkExpandedImage(rawFile, what, reporter, opts = {}) {
  const mnt = import_node_path18.default.join(opts.mountDir ?? import_node_path18.default.dirname(rawFile), `${import_node_path18.default.basename(rawFile)}.mnt`);
  await (0, import_promises19.mkdir)(import_node_path18.default.dirname(mnt), { recursive: true, mode: 457 });
  await (0, import_promises19.mkdir)(mnt, { mode: 448 });
  try {
    await run("mount", ["-t", "xfs", "-o", "loop,ro,norecovery,nouuid", rawFile, mnt], { privileged: true, reporter, packageHint: "mount", timeoutMs: 6e4 });
    try {
      await pausePoint("expand:checking");
      return await walk(mnt, what, opts.asUser, reporter);
    } finally {
      await unmountPath(mnt, reporter);
    }
  } finally {
    await (0, import_promises19.rmdir)(mnt).catch(() => void 0);
  }
}
async function find(root, args, asUser, what, reporter) {
  const r = await run("find", ["-P", root, "-xdev", ...args], {
    asUser,
    cwd: "/",
    reporter,
    packageHint: "findutils",
    allowFailure: true,
    timeoutMs: 60 * 6e4
  });
  if (r.code !== 0) {
    const detail = r.stderr.split("\n").find((l) => l.trim())?.replace(root, "") ?? `exit ${r.code}`;
    throw new CloneError(
      `${what} cannot be read whole by the database's OS user${asUser ? ` (${asUser})` : ""} (${detail.trim()}); refusing to clone it. Rebuild the image with dbclone build.`
    );
  }
  return r.stdout.split("\0").filter((l) => l !== "");
}
async function walk(root, what, asUser, reporter) {
  const refuse3 = (p, why) => {
    throw new CloneError(`${what} holds ${p || "/"}, ${why}; refusing to clone it. Rebuild the image with dbclone build.`);
  };
  const problems = [
    ["-type l", "l"],
    ["! -type d ! -type f", "x"],
    ["-perm /6000", "s"],
    ["-type f -links +1", "h%n"]
  ];
  const expr = ["-mindepth", "1", "-printf", ".", ","];
  problems.forEach(([test, tag], i) => {
    if (i > 0) expr.push("-o");
    expr.push("(", ...test.split(" "), "-printf", `\\0${tag} %P\\0`, "-quit", ")");
  });
  const [dots = "", found] = await find(root, expr, asUser, what, reporter);
  if (found) {
    const m = /^(l|x|s|h(\d+)) (.*)$/s.exec(found);
    const why = m[1] === "l" ? "a symbolic link" : m[1] === "x" ? "neither a file nor a directory" : m[1] === "s" ? "a set-user/group-id file" : `a file with ${m[2]} hard links`;
    refuse3(m[3], why);
  }
  const top = (await find(root, ["-mindepth", "1", "-maxdepth", "1", "-printf", "%y %U:%G %P\\0"], asUser, what, reporter)).map((l) => {
    const [type, owner2, ...name] = l.split(" ");
    return { type, owner: owner2, name: name.join(" ") };
  });
  const owners = new Set(top.filter((t) => t.type !== "f").map((t) => t.owner));
  const ownerList = (extra = []) => [.../* @__PURE__ */ new Set([...owners, ...extra])].slice(0, 3).join(", ");
  if (owners.size > 1) refuse3("", `files of ${owners.size} different owners (${ownerList()})`);
  for (const f of top) if (f.type === "f" && f.owner !== "0:0" && !owners.has(f.owner)) refuse3(f.name, `a file of another owner (${f.owner})`);
  const [owner] = owners;
  if (owner) {
    const [uid, gid] = owner.split(":");
    const other = await find(root, ["-mindepth", "2", "!", "(", "-uid", uid, "-gid", gid, ")", "-printf", "%U:%G %P\\0", "-quit"], asUser, what, reporter);
    if (other[0]) refuse3("", `files of 2 different owners (${ownerList([other[0].split(" ")[0]])})`);
  }
  return { entries: dots.length };
}
var import_promises19, import_node_path18;
var init_data_check = __esm({
  "packages/core/src/disk/reflink/data-check.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises19 = require("node:fs/promises");
    import_node_path18 = __toESM(require("node:path"), 1);
    init_errors();
    init_exec();
    init_pause_point();
    init_mounts();
  }
});

// packages/core/src/disk/reflink/expand.ts
function expandedKey(layers) {
  if (layers.length === 1) return hexOf(layers[0].digest);
  return (0, import_node_crypto5.createHash)("sha256").update(layers.map((l) => hexOf(l.digest)).join("\n")).digest("hex");
}
async function expandImage(pool, layers, reporter, checkAs) {
  const key = expandedKey(layers);
  const file = imageFile(pool.layout, key);
  if (await pool.index.markUsed(file)) return { key, file };
  await pool.prepare(0, /* @__PURE__ */ new Set([key]));
  return withFileLock(
    file,
    async () => {
      if (await pool.index.markUsed(file)) return { key, file };
      const why = await pool.index.untrusted(file);
      if (why !== "missing") reporter.warn(`The expanded image ${file} is ${why}; expanding it again from the verified image.`);
      const started = performance.now();
      let need = 0;
      for (const l of layers) need += (await (0, import_promises20.stat)(l.file)).size;
      await pool.prepare(need, /* @__PURE__ */ new Set([key]));
      const tmp = `${file}.tmp-${process.pid}-${(0, import_node_crypto5.randomBytes)(4).toString("hex")}`;
      try {
        await convertToRaw(layers, tmp, reporter);
        await pausePoint("expand:converted");
        const checked2 = await checkExpandedImage(tmp, `image ${layers[0].digest.slice(0, 19)}`, reporter, { asUser: checkAs, mountDir: pool.layout.checkDir });
        const fh = await (0, import_promises20.open)(tmp, "r");
        await fh.sync().finally(() => fh.close());
        await (0, import_promises20.chmod)(tmp, 292);
        await (0, import_promises20.rename)(tmp, file);
        const done = await (0, import_promises20.stat)(file);
        await pool.index.touch(key, { layers: layers.map((l) => l.digest), bytes: done.blocks * 512, mtimeMs: Math.trunc(done.mtimeMs), size: done.size });
        const seconds = (performance.now() - started) / 1e3;
        reporter.info(
          `Expanded ${layers.length > 1 ? `${layers.length} layers` : "the image"} into the reflink pool in ${seconds.toFixed(1)} s (${checked2.entries} files checked).`
        );
        return { key, file };
      } catch (e) {
        throw await diskFullError(e, [pool.layout.dir], `expanding an image into the reflink pool ${pool.layout.dir}`) ?? e;
      } finally {
        await (0, import_promises20.rm)(tmp, { force: true });
      }
    },
    { waitMs: 60 * 6e4 }
  );
}
async function convertToRaw(layers, out, reporter) {
  const files = layers.map((l) => import_node_path19.default.resolve(l.file));
  const source = chainJsonFilename(files[0], files.slice(1));
  await run("qemu-img", ["convert", "-O", "raw", source, out], { reporter, packageHint: "qemu-utils", timeoutMs: 60 * 6e4 });
}
var import_node_crypto5, import_promises20, import_node_path19, hexOf;
var init_expand = __esm({
  "packages/core/src/disk/reflink/expand.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_crypto5 = require("node:crypto");
    import_promises20 = require("node:fs/promises");
    import_node_path19 = __toESM(require("node:path"), 1);
    init_file_lock();
    init_errors();
    init_exec();
    init_disk_full();
    init_pause_point();
    init_chain_spec();
    init_data_check();
    init_pool_layout();
    hexOf = (digest) => {
      const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
      if (!m) throw new CloneError(`'${digest}' is not a sha256 digest`);
      return m[1];
    };
  }
});

// packages/core/src/disk/reflink/expanded-index.ts
async function readOwner(file) {
  try {
    const o = JSON.parse(await (0, import_promises21.readFile)(file, "utf8"));
    return typeof o.ownerDir === "string" && typeof o.key === "string" ? { ownerDir: o.ownerDir, key: o.key } : void 0;
  } catch {
    return void 0;
  }
}
var import_promises21, import_node_path20, KEY, ExpandedIndex;
var init_expanded_index = __esm({
  "packages/core/src/disk/reflink/expanded-index.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises21 = require("node:fs/promises");
    import_node_path20 = __toESM(require("node:path"), 1);
    init_file_lock();
    init_durable_write();
    init_pool_layout();
    KEY = /^[0-9a-f]{64}$/;
    ExpandedIndex = class {
      constructor(layout) {
        this.layout = layout;
        this.file = import_node_path20.default.join(layout.imagesDir, "index.json");
      }
      layout;
      file;
      async read() {
        let parsed;
        try {
          parsed = JSON.parse(await (0, import_promises21.readFile)(this.file, "utf8"));
        } catch {
          return {};
        }
        const entries = {};
        if (typeof parsed !== "object" || parsed === null) return entries;
        for (const [key, e] of Object.entries(parsed)) {
          if (KEY.test(key) && typeof e === "object" && e !== null && typeof e.lastUsedMs === "number") entries[key] = e;
        }
        return entries;
      }
      async update(fn) {
        return withFileLock(this.file, async () => {
          const entries = await this.read();
          const result = await fn(entries);
          await writeFileAtomic(this.file, `${JSON.stringify(entries, null, 1)}
`, 384);
          return result;
        });
      }
      async touch(key, entry) {
        await this.update((entries) => {
          const known = entry ?? entries[key];
          if (known) entries[key] = { ...known, lastUsedMs: Date.now() };
        });
      }
      /**
       * Record a use of an expanded image, when it is there, as its access time: no lock and no index
       * write on a clone's path. Eviction orders by the later of this and the index's time.
       */
      async markUsed(file) {
        if (await this.untrusted(file) !== void 0) return false;
        const s = await (0, import_promises21.stat)(file);
        await (0, import_promises21.utimes)(file, /* @__PURE__ */ new Date(), s.mtimeMs / 1e3).catch(() => void 0);
        return true;
      }
      /**
       * Why the expanded image `file` may not be cloned from as it is (undefined: it may): missing, not
       * a plain read-only file of ours, or changed since its expansion (a hand mount replays its log,
       * a write as root ignores 0444). Cheap (lstat and the small index): a clone's copy is never re-hashed.
       */
      async untrusted(file) {
        const s = await (0, import_promises21.lstat)(file).catch(() => void 0);
        if (!s) return "missing";
        if (!s.isFile()) return "not a regular file";
        if (s.mode & 146) return `writable (mode ${(s.mode & 511).toString(8)})`;
        const uid = process.getuid?.();
        if (uid !== void 0 && s.uid !== uid) return `owned by uid ${s.uid}, not ${uid}`;
        const recorded = (await this.read())[import_node_path20.default.basename(file, ".raw")];
        if (recorded?.mtimeMs === void 0 || recorded.size === void 0) return "not recorded as expanded in the pool's index";
        if (Math.abs(s.mtimeMs - recorded.mtimeMs) >= 2 || s.size !== recorded.size) return "modified since it was expanded";
        return void 0;
      }
      /** Keys of images live clones were copied from. */
      async inUse() {
        const keys = /* @__PURE__ */ new Set();
        for (const name of await (0, import_promises21.readdir)(this.layout.clonesDir).catch(() => [])) {
          if (!name.endsWith(".json")) continue;
          const owner = await readOwner(import_node_path20.default.join(this.layout.clonesDir, name));
          if (owner) keys.add(owner.key);
        }
        return keys;
      }
      /** Evictable images, least recently used first. */
      /** Images no live clone uses, least recently used first; `idleMs`: only those unused for that long. */
      async evictionOrder(keep, idleMs = 0) {
        const used = await this.inUse();
        const candidates = [];
        for (const [key, e] of Object.entries(await this.read())) {
          if (keep.has(key) || used.has(key)) continue;
          const s = await (0, import_promises21.stat)(imageFile(this.layout, key)).catch(() => void 0);
          const lastUsedMs = Math.max(e.lastUsedMs, s?.atimeMs ?? 0);
          if (Date.now() - lastUsedMs >= idleMs) candidates.push({ key, lastUsedMs });
        }
        return candidates.sort((a, b) => a.lastUsedMs - b.lastUsedMs).map((c) => c.key);
      }
      async evict(key, reporter) {
        if (!KEY.test(key)) return;
        const file = imageFile(this.layout, key);
        const gone = await withFileLock(
          file,
          async () => {
            if ((await this.inUse()).has(key)) return false;
            await (0, import_promises21.rm)(file, { force: true });
            return true;
          },
          { waitMs: 200 }
        ).catch(() => false);
        if (!gone) return;
        await this.update((entries) => {
          delete entries[key];
        });
        reporter.info(`reflink pool: evicted the expanded image ${key.slice(0, 12)} (unused)`);
      }
    };
  }
});

// packages/core/src/disk/reflink/leftovers.ts
async function poolClones(layout) {
  const owners = /* @__PURE__ */ new Map();
  for (const name of await (0, import_promises22.readdir)(layout.clonesDir).catch(() => [])) {
    const file = import_node_path21.default.join(layout.clonesDir, name);
    if (name.endsWith(".json")) owners.set(file, (await readOwner(file))?.ownerDir);
    else if (name.endsWith(".raw")) owners.set(file, (await readOwner(ownerFileOf(file)))?.ownerDir);
  }
  return owners;
}
async function listPoolLeftovers(layout, rootDir) {
  const root = import_node_path21.default.resolve(rootDir);
  const files = await poolClones(layout);
  const found = [];
  const loops = (await readLoopDevices()).filter((l) => import_node_path21.default.dirname(l.backingFile) === layout.clonesDir);
  const ownerOf2 = (file) => files.get(file) ?? files.get(ownerFileOf(file));
  for (const m of await readMounts()) {
    const loop = loops.find((l) => l.device === m.source);
    const ownerDir = loop ? ownerOf2(loop.backingFile) : void 0;
    if (loop && ownerDir && isUnder(ownerDir, root)) found.push({ kind: "mount", id: m.mountPoint, ownerDir, detail: `xfs on ${loop.backingFile}` });
  }
  for (const loop of loops) {
    const ownerDir = ownerOf2(loop.backingFile);
    if (ownerDir && isUnder(ownerDir, root)) found.push({ kind: "loop", id: loop.device, ownerDir, detail: loop.backingFile });
  }
  for (const [file, ownerDir] of files) {
    if (ownerDir && isUnder(ownerDir, root)) found.push({ kind: "file", id: file, ownerDir });
  }
  return found.sort((a, b) => RELEASE_ORDER2.indexOf(a.kind) - RELEASE_ORDER2.indexOf(b.kind));
}
async function releasePoolLeftover(resource, reporter = silentReporter) {
  if (resource.kind === "mount") return unmountPath(resource.id, reporter);
  if (resource.kind === "loop") return detachLoop(resource.id, reporter);
  if (resource.kind === "file") await (0, import_promises22.rm)(resource.id, { force: true });
}
async function sweepDeadExpansions(layout, reporter = silentReporter) {
  const dead = (name) => {
    const m = EXPAND_TEMP.exec(name.replace(/\.mnt$/, "")) ?? /^index\.json\.tmp-(\d+)$/.exec(name);
    return m !== null && !isAlive(Number(m[1]));
  };
  const released = [];
  const checkDirs = [layout.imagesDir, layout.checkDir];
  for (const m of await readMounts()) {
    if (checkDirs.includes(import_node_path21.default.dirname(m.mountPoint)) && dead(import_node_path21.default.basename(m.mountPoint))) {
      await unmountPath(m.mountPoint, reporter);
      released.push(`mount ${m.mountPoint}`);
    }
  }
  for (const loop of await readLoopDevices()) {
    if (import_node_path21.default.dirname(loop.backingFile) === layout.imagesDir && dead(import_node_path21.default.basename(loop.backingFile))) {
      await detachLoop(loop.device, reporter);
      released.push(`loop ${loop.device}`);
    }
  }
  for (const dir of checkDirs) {
    for (const name of await (0, import_promises22.readdir)(dir).catch(() => [])) {
      if (!dead(name)) continue;
      const p = import_node_path21.default.join(dir, name);
      if (name.endsWith(".mnt")) await (0, import_promises22.rmdir)(p).catch(() => void 0);
      else await (0, import_promises22.rm)(p, { force: true });
      released.push(`file ${p}`);
    }
  }
  for (const name of await (0, import_promises22.readdir)(layout.home).catch(() => [])) {
    const m = /^pool\.xfs\.tmp-(\d+)$/.exec(name);
    if (!m || isAlive(Number(m[1]))) continue;
    await (0, import_promises22.rm)(import_node_path21.default.join(layout.home, name), { force: true });
    released.push(`file ${import_node_path21.default.join(layout.home, name)}`);
  }
  const locks = (await (0, import_promises22.readdir)(layout.imagesDir).catch(() => [])).filter((n) => n.endsWith(".lock")).map((n) => import_node_path21.default.join(layout.imagesDir, n));
  for (const lock of [...locks, `${layout.poolFile}.lock`]) {
    const s = await (0, import_promises22.stat)(lock).catch(() => void 0);
    if (!s || Date.now() - s.mtimeMs < STALE_LOCK_MS) continue;
    await (0, import_promises22.rm)(lock, { recursive: true, force: true });
    released.push(`lock ${lock}`);
  }
  return released;
}
var import_promises22, import_node_path21, STALE_LOCK_MS, RELEASE_ORDER2;
var init_leftovers2 = __esm({
  "packages/core/src/disk/reflink/leftovers.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises22 = require("node:fs/promises");
    import_node_path21 = __toESM(require("node:path"), 1);
    init_reporter();
    init_exec();
    init_mounts();
    init_expanded_index();
    init_pool_layout();
    STALE_LOCK_MS = 12e3;
    RELEASE_ORDER2 = ["mount", "loop", "file"];
  }
});

// packages/core/src/disk/reflink/pool-file.ts
async function freeBytes(dir) {
  for (let p = import_node_path22.default.resolve(dir); ; p = import_node_path22.default.dirname(p)) {
    const s = await (0, import_promises23.statfs)(p).catch(() => void 0);
    if (s) return s.bavail * s.bsize;
    if (p === import_node_path22.default.dirname(p)) return 0;
  }
}
async function poolLoopDevice(layout) {
  return (await readLoopDevices()).find((l) => l.backingFile === layout.poolFile)?.device;
}
async function createPoolFile(layout, sizeBytes, reporter = silentReporter) {
  const hostFree = await freeBytes(layout.home);
  if (sizeBytes > hostFree) {
    throw new DiskFullError(
      `Cannot create the reflink pool ${layout.poolFile} of ${mb(sizeBytes)}: its filesystem has ${mb(hostFree)} free. Free space there, or set DBCLONE_POOL_SIZE to a smaller size.`
    );
  }
  const tmp = `${layout.poolFile}.tmp-${process.pid}`;
  await (0, import_promises23.mkdir)(layout.home, { recursive: true });
  try {
    const fh = await (0, import_promises23.open)(tmp, "wx", 384);
    await fh.truncate(sizeBytes).finally(() => fh.close());
    await run("mkfs.xfs", ["-q", "-K", "-m", "reflink=1", tmp], privileged(reporter, "xfsprogs"));
    await (0, import_promises23.rename)(tmp, layout.poolFile);
  } finally {
    await (0, import_promises23.rm)(tmp, { force: true });
  }
  reporter.info(`Created the reflink pool ${layout.poolFile} (${mb(sizeBytes)}, sparse XFS): this host's filesystem has no reflinks.`);
}
async function mountPoolFile(layout, reporter = silentReporter) {
  if (await isMountPoint(layout.dir)) return;
  await (0, import_promises23.mkdir)(layout.dir, { recursive: true, mode: 457 });
  await run("mount", ["-t", "xfs", "-o", "loop", layout.poolFile, layout.dir], privileged(reporter, "mount"));
}
async function growPoolFile(layout, sizeBytes, reporter = silentReporter) {
  const current2 = (await (0, import_promises23.stat)(layout.poolFile)).size;
  if (sizeBytes <= current2) return;
  const hostFree = await freeBytes(layout.home);
  if (sizeBytes - current2 > hostFree) {
    throw new DiskFullError(
      `The reflink pool ${layout.poolFile} needs to grow by ${mb(sizeBytes - current2)} but its filesystem has ${mb(hostFree)} free. Free space there, or tear down clones of images you no longer use (dbclone gc evicts images unused for DBCLONE_POOL_KEEP_DAYS, default 7).`
    );
  }
  const device = await poolLoopDevice(layout);
  if (!device) throw new DiskFullError(`The reflink pool ${layout.poolFile} is not attached to a loop device; cannot grow it.`);
  const fh = await (0, import_promises23.open)(layout.poolFile, "r+");
  await fh.truncate(sizeBytes).finally(() => fh.close());
  await run("losetup", ["-c", device], privileged(reporter, "mount"));
  await run("xfs_growfs", [layout.dir], privileged(reporter, "xfsprogs"));
  reporter.info(`Grew the reflink pool ${layout.poolFile} to ${mb(sizeBytes)}.`);
}
async function removePoolFile(layout, reporter = silentReporter) {
  await unmountPath(layout.dir, reporter);
  for (const loop of await readLoopDevices()) if (loop.backingFile === layout.poolFile) await detachLoop(loop.device, reporter);
  await (0, import_promises23.rm)(layout.poolFile, { force: true });
  await (0, import_promises23.rm)(layout.dir, { recursive: true, force: true });
}
var import_promises23, import_node_path22, MIN_POOL_BYTES, MiB, privileged, mb;
var init_pool_file = __esm({
  "packages/core/src/disk/reflink/pool-file.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises23 = require("node:fs/promises");
    import_node_path22 = __toESM(require("node:path"), 1);
    init_errors();
    init_reporter();
    init_exec();
    init_mounts();
    MIN_POOL_BYTES = 320 * 1024 * 1024;
    MiB = 1024 * 1024;
    privileged = (reporter, packageHint) => ({ privileged: true, reporter, packageHint, timeoutMs: 12e4 });
    mb = (bytes) => `${Math.round(bytes / MiB)} MB`;
  }
});

// packages/core/src/disk/reflink/pool.ts
function parsePoolSize(text, source = "DBCLONE_POOL_SIZE") {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${source} must be a size such as 4G or 512M, got '${text}'`);
  const bytes = Math.floor(Number(m[1]) * 1024 ** " kmgt".indexOf((m[2] || " ").toLowerCase()));
  if (bytes < MIN_POOL_BYTES) throw new UsageError(`${source} must be at least ${mb(MIN_POOL_BYTES)} (the smallest XFS), got '${text}'`);
  return bytes;
}
function poolKeepMs(env = process.env) {
  const text = env.DBCLONE_POOL_KEEP_DAYS;
  if (text === void 0 || text === "") return 7 * 24 * 36e5;
  if (!/^\d+(\.\d+)?$/.test(text.trim())) throw new UsageError(`DBCLONE_POOL_KEEP_DAYS must be a number of days such as 7 or 0.5, got '${text}'`);
  return Number(text) * 24 * 36e5;
}
async function freedSpace(dir, before, reporter) {
  await run("sync", ["-f", dir], { reporter, allowFailure: true, timeoutMs: 6e4, packageHint: "coreutils" });
  let free = await freeBytes(dir);
  for (let waited = 0; free <= before && waited < 3e3; waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
    free = await freeBytes(dir);
  }
  return free;
}
async function hostHasReflinks(dir) {
  await (0, import_promises24.mkdir)(dir, { recursive: true, mode: 457 });
  const probe = import_node_path23.default.join(dir, `.reflink-probe-${process.pid}`);
  try {
    await (0, import_promises24.writeFile)(probe, "probe");
    await (0, import_promises24.copyFile)(probe, `${probe}.copy`, import_node_fs8.constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch {
    return false;
  } finally {
    await (0, import_promises24.rm)(probe, { force: true });
    await (0, import_promises24.rm)(`${probe}.copy`, { force: true });
  }
}
async function refusePlantedLinks(layout) {
  for (const p of [layout.dir, layout.poolFile]) {
    if ((await (0, import_promises24.lstat)(p).catch(() => void 0))?.isSymbolicLink())
      throw new UsageError(`${p} is a symbolic link; the reflink pool must be dbclone's own. Remove it (rm ${p}) and clone again.`);
  }
}
async function refuseStaleMount(layout) {
  const mount2 = (await readMounts()).find((m) => m.mountPoint === layout.dir);
  if (!mount2) return;
  const backing = mount2.source.startsWith("/dev/loop") ? (await (0, import_promises24.readFile)(`/sys/block/${import_node_path23.default.basename(mount2.source)}/loop/backing_file`, "utf8").catch(() => "")).trim() : "";
  if (backing === layout.poolFile) return;
  const from = backing ? `${mount2.source} on ${backing}` : mount2.source;
  throw new CloneError(
    `The reflink pool ${layout.dir} is mounted from ${from}, not from its pool file ${layout.poolFile}${backing.endsWith(" (deleted)") ? " (the pool file was deleted while mounted)" : ""}. Tear down its clones (dbclone teardown --all), unmount it (umount ${layout.dir}) and clone again.`
  );
}
var import_node_fs8, import_promises24, import_node_path23, GiB, HEADROOM_BYTES, ReflinkPool;
var init_pool = __esm({
  "packages/core/src/disk/reflink/pool.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs8 = require("node:fs");
    import_promises24 = require("node:fs/promises");
    import_node_path23 = __toESM(require("node:path"), 1);
    init_file_lock();
    init_errors();
    init_reporter();
    init_mounts();
    init_exec();
    init_expanded_index();
    init_pool_file();
    init_pool_layout();
    GiB = 1024 ** 3;
    HEADROOM_BYTES = 256 * 1024 * 1024;
    ReflinkPool = class {
      layout;
      index;
      reporter;
      sizeOption;
      constructor(home, opts = {}) {
        this.layout = poolLayout(home);
        this.index = new ExpandedIndex(this.layout);
        this.reporter = opts.reporter ?? silentReporter;
        this.sizeOption = opts.sizeBytes;
      }
      /** Read when the pool is used, so a bad DBCLONE_POOL_SIZE never stops a teardown or gc. */
      get fixedSize() {
        const env = process.env.DBCLONE_POOL_SIZE;
        return this.sizeOption ?? (env ? parsePoolSize(env) : void 0);
      }
      /** The pool is a mounted pool file (not the host's own filesystem). */
      async usesPoolFile() {
        return await (0, import_promises24.stat)(this.layout.poolFile).catch(() => void 0) !== void 0;
      }
      /** Ready to take `needBytes` more: made or mounted the first time, then grown or evicted into. */
      async prepare(needBytes, keepKeys) {
        await (0, import_promises24.mkdir)(this.layout.home, { recursive: true });
        await withFileLock(
          this.layout.poolFile,
          async () => {
            await refusePlantedLinks(this.layout);
            if (!await this.usesPoolFile() && !await isMountPoint(this.layout.dir) && await hostHasReflinks(this.layout.dir)) {
              await this.makeDirs();
              if (needBytes > 0) await this.requireFree(needBytes, keepKeys, false);
              return;
            }
            await refuseStaleMount(this.layout);
            if (!await this.usesPoolFile()) {
              const size = this.fixedSize ?? Math.max(2 * GiB, 2 * (needBytes + HEADROOM_BYTES));
              await createPoolFile(this.layout, size, this.reporter);
            }
            await mountPoolFile(this.layout, this.reporter);
            await this.makeDirs();
            if (needBytes > 0) await this.requireFree(needBytes, keepKeys, this.fixedSize === void 0);
          },
          { waitMs: 10 * 6e4 }
        );
      }
      /**
       * gc: evict expanded images no clone has used for `idleMs` (never one a live clone was copied
       * from, nor one being expanded or copied), then give their blocks back to the host (fstrim: a
       * pool file's freed blocks become holes through the loop device's discard). Keys evicted.
       */
      async evictIdle(idleMs) {
        if (!await this.isMounted()) return [];
        const evicted = [];
        const freeBefore = await freeBytes(this.layout.dir);
        for (const key of await this.index.evictionOrder(/* @__PURE__ */ new Set(), idleMs)) {
          await this.index.evict(key, this.reporter);
          if (!await (0, import_promises24.stat)(imageFile(this.layout, key)).catch(() => void 0)) evicted.push(key);
        }
        if (evicted.length > 0 && await this.usesPoolFile()) {
          await freedSpace(this.layout.dir, freeBefore, this.reporter);
          const r = await run("fstrim", [this.layout.dir], { privileged: true, allowFailure: true, reporter: this.reporter, packageHint: "util-linux" });
          if (r.code !== 0) this.reporter.warn(`fstrim ${this.layout.dir} failed (${r.stderr.trim()}); the pool file keeps the evicted images' space.`);
        }
        return evicted;
      }
      /** The pool is there to use: its own directory on the host's filesystem, or its pool file mounted. */
      async isMounted() {
        return await this.usesPoolFile() ? isMountPoint(this.layout.dir) : await (0, import_promises24.stat)(this.layout.imagesDir).catch(() => void 0) !== void 0;
      }
      /** Unmount and delete the whole pool, under the lock its growth takes; refused while a clone uses it. False: there was none. */
      async remove() {
        const there = async (p) => await (0, import_promises24.lstat)(p).catch(() => void 0) !== void 0;
        if (!await there(this.layout.dir) && !await there(this.layout.poolFile)) return false;
        await withFileLock(
          this.layout.poolFile,
          async () => {
            const used = await this.index.inUse();
            if (used.size > 0)
              throw new CloneError(
                `the reflink pool ${this.layout.dir} still holds clones of ${used.size} image(s); tear them down first (dbclone clones lists them)`
              );
            await removePoolFile(this.layout, this.reporter);
          },
          { waitMs: 6e4 }
        );
        return true;
      }
      async makeDirs() {
        await (0, import_promises24.mkdir)(this.layout.imagesDir, { recursive: true, mode: 448 });
        await (0, import_promises24.mkdir)(this.layout.clonesDir, { recursive: true, mode: 448 });
      }
      async requireFree(needBytes, keepKeys, canGrow) {
        const want = needBytes + HEADROOM_BYTES;
        let free = await freeBytes(this.layout.dir);
        if (free >= want) return;
        let growth;
        if (canGrow) {
          const size = (await (0, import_promises24.stat)(this.layout.poolFile)).size;
          growth = await growPoolFile(this.layout, size + Math.max(want - free, size / 2), this.reporter).catch((e) => e);
          if (growth === void 0) return;
          if (!(growth instanceof DiskFullError)) throw growth;
        }
        for (const key of await this.index.evictionOrder(keepKeys)) {
          await this.index.evict(key, this.reporter);
          free = await freedSpace(this.layout.dir, free, this.reporter);
          if (free >= want) return;
        }
        if (growth) throw growth;
        const what = await this.usesPoolFile() ? `the pool file ${this.layout.poolFile} (fixed at ${mb(this.fixedSize ?? 0)} by DBCLONE_POOL_SIZE)` : `the host filesystem at ${this.layout.dir}`;
        throw new DiskFullError(
          `The reflink pool ${this.layout.dir} is full: ${mb(free)} free, expanding the image needs about ${mb(want)}; nothing was made. Images in use by clones are never evicted. Tear down clones, raise DBCLONE_POOL_SIZE, or clone with --disk qcow2. (Pool: ${what}.)`
        );
      }
    };
  }
});

// packages/core/src/disk/reflink/prerequisites.ts
function reflinkUnavailableReason(env = process.env) {
  if (process.platform !== "linux") return `it needs Linux (this is ${process.platform})`;
  const missing = TOOLS.filter((t) => !onPathSync(t.program, env));
  if (missing.length)
    return `${missing.map((t) => t.program).join(", ")} not on PATH (apt-get install ${[...new Set(missing.map((t) => t.packageName))].join(" ")})`;
  if (!(0, import_node_fs9.existsSync)("/dev/loop-control")) return "no loop devices (/dev/loop-control is missing)";
  if (!isRoot() && !onPathSync("sudo", env)) return "it mounts loop devices, which needs root or sudo";
  if (!kernelHasXfs()) return "this kernel has no XFS (not in /proc/filesystems, no xfs module), which the pool and clone images need";
  return void 0;
}
function kernelHasXfs(release = import_node_os4.default.release(), filesystems = "/proc/filesystems") {
  try {
    if (/\sxfs$/m.test((0, import_node_fs9.readFileSync)(filesystems, "utf8"))) return true;
  } catch {
  }
  return (0, import_node_fs9.existsSync)(`/lib/modules/${release}/kernel/fs/xfs`);
}
async function checkReflinkPrerequisites(env = process.env) {
  const reason = reflinkUnavailableReason(env);
  if (reason) throw new MissingToolError(`The reflink disk driver cannot run here: ${reason}.`);
  if (!isRoot()) {
    const r = await run("sudo", ["-n", "true"], { env, allowFailure: true, packageHint: "sudo" });
    if (r.code !== 0)
      throw new PrivilegeError("The reflink driver mounts loop devices, which needs root. Run as root or allow passwordless sudo (sudo -n true failed).");
  }
}
var import_node_fs9, import_node_os4, TOOLS;
var init_prerequisites3 = __esm({
  "packages/core/src/disk/reflink/prerequisites.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs9 = require("node:fs");
    import_node_os4 = __toESM(require("node:os"), 1);
    init_errors();
    init_exec();
    init_host_tools();
    TOOLS = [
      { program: "qemu-img", packageName: "qemu-utils" },
      { program: "mkfs.xfs", packageName: "xfsprogs" },
      { program: "xfs_growfs", packageName: "xfsprogs" },
      { program: "mount", packageName: "mount" },
      { program: "umount", packageName: "mount" },
      { program: "losetup", packageName: "mount" }
    ];
  }
});

// packages/core/src/disk/reflink/promote.ts
async function sealCloneAsLayer(cloneFile, imageFile2, parentsNearestFirst, outFile, reporter) {
  if (parentsNearestFirst.length === 0) throw new CloneError(`${cloneFile} has no parent layers; a layer needs the chain it was written over.`);
  const parents = parentsNearestFirst.map((p) => import_node_path24.default.resolve(p));
  const size = (await (0, import_promises25.stat)(cloneFile)).size;
  if ((await (0, import_promises25.stat)(imageFile2)).size !== size)
    throw new CloneError(`${cloneFile} and its image ${imageFile2} differ in size; cannot promote it as a layer (try --flatten).`);
  const ranges = differingRanges(await dataExtents(cloneFile, reporter), await dataExtents(imageFile2, reporter));
  return sealInto(outFile, reporter, async (tmp) => {
    await qemuImg(["create", "-q", "-f", "qcow2", "-o", LAYER_CLUSTER_OPTS, "-u", "-b", parents[0], "-F", "qcow2", tmp, String(size)], reporter);
    const handle = await startExport(tmp, reporter, parents);
    try {
      await copyRanges(cloneFile, handle.exportFile, ranges);
    } finally {
      await stopExport(handle, reporter);
    }
    await detachBacking(tmp, reporter);
  });
}
async function copyRanges(cloneFile, target, ranges) {
  const src = await (0, import_promises25.open)(cloneFile, "r");
  const dst = await (0, import_promises25.open)(target, "r+");
  try {
    const buf = Buffer.alloc(CHUNK);
    for (const r of ranges.copy) {
      for (let at = r.offset; at < r.offset + r.length; at += CHUNK) {
        const n = Math.min(CHUNK, r.offset + r.length - at);
        const { bytesRead } = await src.read(buf, 0, n, at);
        await dst.write(buf, 0, bytesRead, at);
      }
    }
    const zeros = Buffer.alloc(CHUNK);
    for (const r of ranges.zero) {
      for (let at = r.offset; at < r.offset + r.length; at += CHUNK) await dst.write(zeros, 0, Math.min(CHUNK, r.offset + r.length - at), at);
    }
    await dst.sync();
  } finally {
    await src.close();
    await dst.close();
  }
}
async function flattenClone(cloneFile, outFile, reporter) {
  return sealInto(
    outFile,
    reporter,
    (tmp) => qemuImg(["convert", "-q", "-f", "raw", "-O", "qcow2", "-o", BASE_CLUSTER_OPTS, import_node_path24.default.resolve(cloneFile), tmp], reporter).then(() => void 0)
  );
}
var import_node_path24, import_promises25, qemuImg, CHUNK;
var init_promote = __esm({
  "packages/core/src/disk/reflink/promote.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_path24 = __toESM(require("node:path"), 1);
    import_promises25 = require("node:fs/promises");
    init_errors();
    init_exec();
    init_export();
    init_layers();
    init_qemu_img();
    init_extents();
    qemuImg = (args, reporter) => run("qemu-img", args, { reporter, timeoutMs: 60 * 6e4, packageHint: "qemu-utils" });
    CHUNK = 4 * 1024 * 1024;
  }
});

// packages/core/src/disk/reflink/driver.ts
var import_promises26, import_node_path25, ReflinkDriver;
var init_driver2 = __esm({
  "packages/core/src/disk/reflink/driver.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises26 = require("node:fs/promises");
    import_node_path25 = __toESM(require("node:path"), 1);
    init_errors();
    init_reporter();
    init_exec();
    init_digest();
    init_base_digests();
    init_clone();
    init_expand();
    init_leftovers2();
    init_pool();
    init_pool_layout();
    init_expanded_index();
    init_prerequisites3();
    init_promote();
    ReflinkDriver = class {
      name = "reflink";
      /** The blob format it clones from: published images stay qcow2. */
      format = "qcow2";
      pool;
      reporter;
      digests;
      checkAs;
      constructor(options) {
        this.reporter = options.reporter ?? silentReporter;
        this.pool = new ReflinkPool(options.home, { sizeBytes: options.poolSizeBytes, reporter: this.reporter });
        this.digests = baseDigestCache(options.stateDir);
        this.checkAs = options.checkAs ?? (() => void 0);
      }
      checkPrerequisites() {
        return checkReflinkPrerequisites();
      }
      createStaging() {
        throw new NotSupportedError("the reflink disk driver only clones; images are built as qcow2 (the distribution format).");
      }
      seal() {
        throw new NotSupportedError("the reflink disk driver only clones; images are sealed as qcow2 (the distribution format).");
      }
      async rememberVerified(file, digest) {
        await this.digests.remember(file, digest);
      }
      createChild(parentFile, childFile, expectedDigest) {
        return this.createLayeredChild([{ file: parentFile, digest: expectedDigest }], childFile);
      }
      /** The version expanded once into the pool (its layers' digests checked first); reused after. */
      async prepare(layers) {
        if (layers.length === 0) throw new CloneError("a reflink clone needs at least one layer.");
        const verified = [];
        for (const layer of layers) verified.push(await this.verifiedLayer(import_node_path25.default.resolve(layer.file), layer.digest));
        return expandImage(this.pool, verified, this.reporter, this.checkAs());
      }
      async listPrepared() {
        const used = await this.pool.index.inUse();
        return Object.entries(await this.pool.index.read()).map(([key, e]) => ({
          key,
          file: imageFile(this.pool.layout, key),
          bytes: e.bytes,
          lastUsedMs: e.lastUsedMs,
          inUse: used.has(key)
        }));
      }
      async evict(key, reason) {
        if ((await this.pool.index.inUse()).has(key)) return;
        this.reporter.debug(`reflink pool: evicting ${key.slice(0, 12)} (${reason})`);
        await this.pool.index.evict(key, this.reporter);
      }
      /** A clone of a (possibly layered) version: expanded once per pool, then one reflink copy. */
      async createLayeredChild(layers, childFile) {
        const cloneFile = cloneFileFor(this.pool.layout, childFile);
        const copy = async () => {
          const image2 = await this.prepare(layers);
          await reflinkCopy(image2.file, cloneFile, { ownerDir: import_node_path25.default.dirname(import_node_path25.default.resolve(childFile)), key: image2.key });
          return image2;
        };
        const image = await copy().catch(async (e) => {
          if (e.cause?.code !== "ENOENT") throw e;
          this.reporter.debug("reflink pool: the expanded image went away before its copy (evicted); expanding it again");
          return copy();
        });
        return { file: cloneFile, parents: [image.file] };
      }
      /** The layer's digest, checked (cheaply, when a pull just verified it) before it is expanded. */
      async verifiedLayer(file, expected) {
        const s = await (0, import_promises26.stat)(file);
        if (s.mode & 2) throw new CloneError(`Base disk ${file} is writable by everyone; refusing to clone it. Make it read-only: chmod 0444 ${file}`);
        const { digest } = await this.digests.digestOf(file, sha256File);
        if (expected && digest !== expected) {
          throw new DigestMismatchError(
            `Base disk ${file} has changed: its digest is ${digest}, the image says ${expected}. The base must never be modified; delete it from the local cache and pull the image again.`
          );
        }
        return { file, digest };
      }
      mount(child, mountPath) {
        return attachClone(this.name, child.file, mountPath, this.reporter);
      }
      unmount(attachment) {
        return detachClone(attachment, this.reporter);
      }
      /** `file`: the pool clone file, or the clone's own child path (what its record holds). */
      async destroy(file) {
        await removeCloneFile(cloneFileFor(this.pool.layout, file));
      }
      /** Promote: what the (unmounted) clone differs in from its parent layers, as a qcow2 layer. */
      async sealLayer(child, outFile) {
        const cloneFile = cloneFileFor(this.pool.layout, child.file);
        const owner = await readOwner(ownerFileOf(cloneFile));
        if (!owner) throw new CloneError(`${cloneFile} has no owner record naming the image it was copied from; cannot promote it as a layer (try --flatten).`);
        return sealCloneAsLayer(cloneFile, imageFile(this.pool.layout, owner.key), child.parents, outFile, this.reporter);
      }
      /** Promote --flatten: the whole (unmounted) clone as one single-layer qcow2. */
      flatten(child, outFile) {
        return flattenClone(cloneFileFor(this.pool.layout, child.file), outFile, this.reporter);
      }
      /** Freed blocks become holes in the clone's pool file (loop discard), so a flattened blob leaves them out. */
      async trim(mountPath) {
        const r = await run("fstrim", [mountPath], { privileged: true, allowFailure: true, reporter: this.reporter, packageHint: "util-linux" });
        if (r.code !== 0) this.reporter.warn(`fstrim ${mountPath} failed (${r.stderr.trim()}); the sealed blob may still hold freed blocks.`);
      }
      /** What the clone wrote: its extents not shared with the image. */
      ownBytes(file) {
        return ownBytes(cloneFileFor(this.pool.layout, file), this.reporter);
      }
      list(rootDir) {
        return listPoolLeftovers(this.pool.layout, rootDir);
      }
      release(resource) {
        return releasePoolLeftover(resource, this.reporter);
      }
      /**
       * gc: leftovers of killed expansions (no clone owns them), then expanded images no clone used for
       * DBCLONE_POOL_KEEP_DAYS (a bad value is said and skips only this eviction).
       */
      async sweep() {
        const swept = await sweepDeadExpansions(this.pool.layout, this.reporter);
        let keepMs;
        try {
          keepMs = poolKeepMs();
        } catch (e) {
          this.reporter.warn(`${e.message}; no expanded image was evicted.`);
          return swept;
        }
        const evicted = await this.pool.evictIdle(keepMs);
        return [...swept, ...evicted.map((key) => `expanded image ${key.slice(0, 12)} (unused for ${Math.round(keepMs / 36e5)} h)`)];
      }
      /** Unmount and delete the whole pool (`dbclone gc --remove-pool`, tests, benches): refused while a clone uses it. */
      removePool() {
        return this.pool.remove();
      }
    };
  }
});

// packages/core/src/disk/index.ts
var init_disk = __esm({
  "packages/core/src/disk/index.ts"() {
    "use strict";
    init_import_meta_url();
    init_types2();
    init_qcow2();
    init_prerequisites();
    init_vhdx();
    init_driver2();
    init_prerequisites3();
    init_pool();
    init_prerequisites();
  }
});

// packages/core/src/engine/postgres/binaries.ts
async function binariesVersion(dir) {
  const { stdout } = await run(import_node_path26.default.join(dir, "postgres"), ["--version"], { packageHint: "postgresql" });
  const m = /\(PostgreSQL\)\s+(\d+(?:\.\d+)?)/.exec(stdout);
  if (!m) throw new MissingToolError(`Could not read the version of ${dir}/postgres ("${stdout.trim()}").`);
  return m[1];
}
async function findBinaries(wanted, env = process.env) {
  const key = `${wanted ?? "any"}|${env.PG_BIN ?? ""}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const found = [];
  const accept = (dir, major) => {
    const bins = { dir, major, bin: (p) => import_node_path26.default.join(dir, p) };
    cache.set(key, bins);
    return bins;
  };
  const tryDir = async (dir) => {
    if (!(0, import_node_fs10.existsSync)(import_node_path26.default.join(dir, "postgres"))) return void 0;
    const version2 = await binariesVersion(dir);
    found.push(`${dir} (${version2})`);
    return wanted === void 0 || majorOf(version2) === wanted ? accept(dir, majorOf(version2)) : void 0;
  };
  if (env.PG_BIN) {
    const bins = await tryDir(env.PG_BIN);
    if (bins) return bins;
  }
  const debianMajors = wanted !== void 0 ? [wanted] : [17, 16, 15, 14, 13];
  for (const m of debianMajors) {
    const dir = `/usr/lib/postgresql/${m}/bin`;
    if ((0, import_node_fs10.existsSync)(import_node_path26.default.join(dir, "postgres"))) return accept(dir, m);
  }
  const cfg = await run("pg_config", ["--bindir"], { allowFailure: true }).catch(() => void 0);
  if (cfg?.code === 0 && cfg.stdout.trim()) {
    const bins = await tryDir(cfg.stdout.trim());
    if (bins) return bins;
  }
  if (wanted === void 0) {
    throw new MissingToolError("No PostgreSQL server binaries were found. Install them: apt-get install postgresql (or set PG_BIN).");
  }
  const seen = found.length ? ` Found only: ${found.join(", ")}.` : "";
  throw new SourceError(
    `The data needs PostgreSQL ${wanted}, but no PostgreSQL ${wanted} binaries were found.${seen} Install them (apt-get install postgresql-${wanted}, from apt.postgresql.org if your distribution lacks it) or set PG_BIN.`
  );
}
var import_node_fs10, import_node_path26, cache, majorOf;
var init_binaries = __esm({
  "packages/core/src/engine/postgres/binaries.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs10 = require("node:fs");
    import_node_path26 = __toESM(require("node:path"), 1);
    init_errors();
    init_exec();
    cache = /* @__PURE__ */ new Map();
    majorOf = (version2) => Number.parseInt(version2, 10);
  }
});

// packages/core/src/engine/postgres/osUser.ts
function serverUser() {
  if (cached) return cached;
  if (!isRoot()) {
    const me = import_node_os5.default.userInfo();
    cached = { name: me.username, uid: me.uid, gid: me.gid };
    return cached;
  }
  const ids = passwdIds("postgres") ?? idIds("postgres");
  if (!ids) {
    throw new MissingToolError(
      "PostgreSQL cannot run as root and there is no `postgres` OS user. Install the server package (apt-get install postgresql) or run dbclone as a non-root user."
    );
  }
  cached = { name: "postgres", uid: ids.uid, gid: ids.gid, asUser: "postgres" };
  return cached;
}
function passwdIds(user, text) {
  try {
    text ??= (0, import_node_fs11.readFileSync)("/etc/passwd", "utf8");
  } catch {
    return void 0;
  }
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f[0] !== user || f.length < 4) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    return /^\d+$/.test(f[2]) && /^\d+$/.test(f[3]) ? { uid, gid } : void 0;
  }
  return void 0;
}
function idIds(user) {
  try {
    const uid = (0, import_node_child_process2.execFileSync)("id", ["-u", user], { encoding: "utf8" }).trim();
    const gid = (0, import_node_child_process2.execFileSync)("id", ["-g", user], { encoding: "utf8" }).trim();
    return /^\d+$/.test(uid) && /^\d+$/.test(gid) ? { uid: Number(uid), gid: Number(gid) } : void 0;
  } catch {
    return void 0;
  }
}
async function giveToServerUser(target, recursive2 = false) {
  const u = serverUser();
  if (!u.asUser) return;
  if (recursive2) await run("chown", ["-R", `${u.uid}:${u.gid}`, target]);
  else await (0, import_promises27.chown)(target, u.uid, u.gid);
}
async function assertReachable(target) {
  const u = serverUser();
  if (!u.asUser) return;
  let dir = import_node_path27.default.resolve(target);
  const chain = [];
  while (true) {
    chain.unshift(dir);
    const parent = import_node_path27.default.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const d of chain.slice(0, -1)) {
    const s = await (0, import_promises27.stat)(d);
    const bit = s.uid === u.uid ? 64 : s.gid === u.gid ? 8 : 1;
    if ((s.mode & bit) === 0) {
      throw new DbcloneError(
        `PostgreSQL runs as the OS user "${u.name}", which cannot enter ${d} (mode ${(s.mode & 511).toString(8)}, owner uid ${s.uid}) on the way to ${target}. Make it traversable (chmod o+x ${d}) or keep dbclone's data elsewhere (DBCLONE_HOME).`
      );
    }
  }
}
var import_node_child_process2, import_node_fs11, import_promises27, import_node_os5, import_node_path27, cached;
var init_osUser = __esm({
  "packages/core/src/engine/postgres/osUser.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_child_process2 = require("node:child_process");
    import_node_fs11 = require("node:fs");
    import_promises27 = require("node:fs/promises");
    import_node_os5 = __toESM(require("node:os"), 1);
    import_node_path27 = __toESM(require("node:path"), 1);
    init_errors();
    init_exec();
  }
});

// packages/core/src/engine/postgres/config.ts
function commonSettings(_dataDir, socketDir, hbaFile) {
  return {
    config_file: import_node_path28.default.join(socketDir, CONFIG_FILE),
    ...HARDENED_SETTINGS,
    unix_socket_directories: socketDir,
    unix_socket_permissions: "0700",
    hba_file: hbaFile,
    ident_file: import_node_path28.default.join(socketDir, IDENT_FILE)
  };
}
async function writeRunConfig(socketDir) {
  await writeServerFile(
    import_node_path28.default.join(socketDir, CONFIG_FILE),
    "# Written by dbclone; every setting is passed on the command line. The data directory's postgresql.conf is not read.\n"
  );
  await writeServerFile(import_node_path28.default.join(socketDir, IDENT_FILE), "# Written by dbclone: no ident maps.\n");
}
function durabilitySettings(d) {
  return d === "durable" ? {} : { fsync: "off", synchronous_commit: "off", full_page_writes: "off" };
}
function hbaContents(adminUser, host, listenAll = false, onlyPeer) {
  const lines = [
    "# Written by dbclone for this server; the data directory's own pg_hba.conf is not used.",
    "local all all trust",
    `host all ${hbaQuote(adminUser)} all reject`,
    "host all all 127.0.0.1/32 scram-sha-256",
    "host all all ::1/128 scram-sha-256"
  ];
  if (onlyPeer) lines.push(`host all all ${onlyPeer.includes(":") ? `${onlyPeer}/128` : `${onlyPeer}/32`} scram-sha-256`);
  else if (listenAll || !["127.0.0.1", "::1", "localhost"].includes(host)) lines.push("host all all all scram-sha-256");
  return `${lines.join("\n")}
`;
}
async function writeServerFile(file, text) {
  const existing = await (0, import_promises28.lstat)(file).catch(() => void 0);
  if (existing) await (0, import_promises28.unlink)(file);
  const fh = await (0, import_promises28.open)(file, import_node_fs12.constants.O_WRONLY | import_node_fs12.constants.O_CREAT | import_node_fs12.constants.O_EXCL | import_node_fs12.constants.O_NOFOLLOW, 384).catch((e) => {
    throw new BuildError(`Could not create ${file} (${e.code}): something else created it meanwhile; nothing was written through it. Retry.`);
  });
  try {
    await fh.writeFile(text);
    const u = serverUser();
    if (u.asUser) await fh.chown(u.uid, u.gid);
  } finally {
    await fh.close();
  }
}
async function replaceSourceConfig(dataDir) {
  for (const f of SOURCE_CONFIG_FILES) {
    await writeServerFile(
      import_node_path28.default.join(dataDir, f),
      `# Replaced by dbclone at build: servers read dbclone's own ${f === "postgresql.auto.conf" ? "settings" : "configuration"}.
`
    );
  }
}
var import_node_fs12, import_promises28, import_node_path28, CONFIG_FILE, IDENT_FILE, HARDENED_SETTINGS, BUILD_SETTINGS, hbaQuote, LOCAL_TRUST_HBA, SOURCE_CONFIG_FILES;
var init_config = __esm({
  "packages/core/src/engine/postgres/config.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs12 = require("node:fs");
    import_promises28 = require("node:fs/promises");
    import_node_path28 = __toESM(require("node:path"), 1);
    init_errors();
    init_osUser();
    CONFIG_FILE = "postgresql.conf";
    IDENT_FILE = "pg_ident.conf";
    HARDENED_SETTINGS = {
      archive_mode: "off",
      archive_command: "",
      archive_library: "",
      restore_command: "",
      archive_cleanup_command: "",
      recovery_end_command: "",
      primary_conninfo: "",
      shared_preload_libraries: "",
      local_preload_libraries: "",
      session_preload_libraries: "",
      dynamic_library_path: "$libdir",
      jit: "off",
      jit_provider: "llvmjit",
      ssl: "off",
      ssl_passphrase_command: "",
      logging_collector: "off",
      log_destination: "stderr",
      log_statement: "none",
      log_min_duration_statement: "-1",
      log_min_duration_sample: "-1",
      log_transaction_sample_rate: "0",
      log_min_error_statement: "panic",
      // the failing statement would carry its values into the log
      log_error_verbosity: "terse",
      // no DETAIL/CONTEXT lines, which echo row values
      log_parameter_max_length: "0",
      log_parameter_max_length_on_error: "0",
      password_encryption: "scram-sha-256",
      external_pid_file: "",
      // A subscription copied with a data directory would connect to its publisher and apply from it.
      max_logical_replication_workers: "0"
    };
    BUILD_SETTINGS = {
      listen_addresses: "",
      wal_level: "minimal",
      max_wal_senders: "0",
      archive_mode: "off",
      fsync: "off",
      synchronous_commit: "off",
      full_page_writes: "off",
      autovacuum: "off",
      maintenance_work_mem: "256MB",
      max_wal_size: "4GB"
    };
    hbaQuote = (name) => `"${name.replace(/"/g, "")}"`;
    LOCAL_TRUST_HBA = "# dbclone build server: private socket only\nlocal all all trust\n";
    SOURCE_CONFIG_FILES = ["postgresql.conf", "postgresql.auto.conf", "pg_hba.conf", "pg_ident.conf"];
  }
});

// packages/core/src/engine/postgres/engineFile.ts
async function writeEngineFile(mountPath, info) {
  await (0, import_promises29.writeFile)(import_node_path29.default.join(mountPath, ENGINE_FILE), `${JSON.stringify(info, null, 2)}
`, { mode: 420 });
}
async function readEngineFile(mountPath) {
  const file = import_node_path29.default.join(mountPath, ENGINE_FILE);
  if ((0, import_node_fs13.existsSync)(file)) {
    const parsed = JSON.parse(await (0, import_promises29.readFile)(file, "utf8"));
    if (parsed.kind !== "postgres" || typeof parsed.version !== "string" || typeof parsed.adminUser !== "string") {
      throw new SourceError(`${file} is not a PostgreSQL engine record (expected {kind:"postgres", version, adminUser}).`);
    }
    return parsed;
  }
  const pgVersion = import_node_path29.default.join(dataDirOf(mountPath), "PG_VERSION");
  if (!(0, import_node_fs13.existsSync)(pgVersion)) {
    throw new SourceError(`${mountPath} holds no PostgreSQL data (no ${ENGINE_FILE} and no ${DATA_DIR}/PG_VERSION).`);
  }
  return { kind: "postgres", version: (await (0, import_promises29.readFile)(pgVersion, "utf8")).trim(), adminUser: ADMIN_USER };
}
var import_node_fs13, import_promises29, import_node_path29, ENGINE_FILE, DATA_DIR, ADMIN_USER, dataDirOf;
var init_engineFile = __esm({
  "packages/core/src/engine/postgres/engineFile.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs13 = require("node:fs");
    import_promises29 = require("node:fs/promises");
    import_node_path29 = __toESM(require("node:path"), 1);
    init_errors();
    ENGINE_FILE = "dbclone-engine.json";
    DATA_DIR = "pgdata";
    ADMIN_USER = "dbclone_admin";
    dataDirOf = (mountPath) => import_node_path29.default.join(mountPath, DATA_DIR);
  }
});

// packages/core/src/engine/postgres/copyFresh.ts
function isLeftBehind(relative) {
  const parts = relative.split(import_node_path30.default.sep);
  if (parts.length === 1 && SKIPPED_FILES.has(parts[0])) return true;
  if (parts.length >= 2 && EMPTIED_DIRS.has(parts[0])) return true;
  return parts[parts.length - 1] === "pg_internal.init";
}
async function keepMetadata(target, s) {
  if (isRoot()) await (0, import_promises30.lchown)(target, s.uid, s.gid);
  await (0, import_promises30.chmod)(target, s.mode & 4095);
  await (0, import_promises30.utimes)(target, s.atime, s.mtime);
}
async function copyTree(src, dst, relative, stats, onFile) {
  const s = await src.stat();
  await (0, import_promises30.mkdir)(dst, { recursive: true });
  const entries = (await (0, import_promises30.readdir)(byDescriptor(src))).filter((e) => !isLeftBehind(import_node_path30.default.join(relative, e)));
  for (let i = 0; i < entries.length; i += 4) {
    await Promise.all(entries.slice(i, i + 4).map((e) => copyEntry(src, e, import_node_path30.default.join(dst, e), import_node_path30.default.join(relative, e), stats, onFile)));
  }
  await keepMetadata(dst, s);
}
async function copyEntry(parent, name, dst, relative, stats, onFile) {
  const where = `${byDescriptor(parent)}/${name}`;
  const fh = await (0, import_promises30.open)(where, import_node_fs14.constants.O_RDONLY | import_node_fs14.constants.O_NOFOLLOW | import_node_fs14.constants.O_NONBLOCK).catch(async (e) => {
    if (e.code === "ELOOP") return linkEntry(where, dst, relative);
    if (e.code === "ENXIO") return void 0;
    throw e;
  });
  if (!fh) return;
  try {
    const s = await fh.stat();
    if (s.isDirectory()) return await copyTree(fh, dst, relative, stats, onFile);
    if (!s.isFile()) return;
    await (0, import_promises30.copyFile)(byDescriptor(fh), dst, import_node_fs14.constants.COPYFILE_EXCL);
    stats.bytes += s.size;
    onFile();
    await keepMetadata(dst, s);
  } finally {
    await fh.close();
  }
}
async function linkEntry(where, dst, relative) {
  if (relative !== "pg_wal") {
    throw new BuildError(
      `The data directory holds a symbolic link at ${relative} (to ${await (0, import_promises30.readlink)(where).catch(() => "?")}); dbclone images hold no links. It was planted by the source or a restore: nothing was copied through it.`
    );
  }
  await (0, import_promises30.mkdir)(dst, { mode: 448 });
  const owner = serverUser();
  if (isRoot()) await (0, import_promises30.lchown)(dst, owner.uid, owner.gid);
  return void 0;
}
async function copyFresh(fromMount, toMount, reporter) {
  const from = dataDirOf(fromMount);
  const to = dataDirOf(toMount);
  const info = await readEngineFile(fromMount);
  const bins = await findBinaries(majorOf(info.version));
  if ((0, import_node_fs14.existsSync)(import_node_path30.default.join(from, "postmaster.pid"))) {
    throw new BuildError(`${from} still has postmaster.pid: stop its server (scrub does) before copying it.`);
  }
  if ((0, import_node_fs14.existsSync)(to)) throw new BuildError(`${to} already exists; copyFresh needs a fresh disk.`);
  const progress = reporter.progress("Copying data to the fresh disk");
  const stats = { bytes: 0 };
  let files = 0;
  const root = await (0, import_promises30.open)(from, import_node_fs14.constants.O_RDONLY | import_node_fs14.constants.O_DIRECTORY | import_node_fs14.constants.O_NOFOLLOW).catch((e) => {
    throw new BuildError(`${from} cannot be opened as a directory (${e.code}); a data directory is never a link.`);
  });
  try {
    await copyTree(root, to, "", stats, () => progress.update(++files));
  } finally {
    await root.close();
  }
  await replaceSourceConfig(to);
  await (0, import_promises30.mkdir)(import_node_path30.default.join(to, "pg_wal", "archive_status"), { recursive: true, mode: 448 });
  const walStat = await (0, import_promises30.lstat)(import_node_path30.default.join(to, "pg_wal"));
  await keepMetadata(import_node_path30.default.join(to, "pg_wal", "archive_status"), walStat);
  progress.finish(`Copied ${files} files, ${Math.round(stats.bytes / 1048576)} MiB`);
  try {
    await run(bins.bin("pg_resetwal"), ["-D", to], { asUser: serverUser().asUser, cwd: "/" });
  } catch (e) {
    if (e instanceof CommandError && /not shut down cleanly/i.test(e.stderr)) {
      throw new BuildError(`${from} was not shut down cleanly, so its WAL is still needed; start and stop it (scrub does) before copying. ${e.stderr.trim()}`);
    }
    throw e;
  }
  await (0, import_promises30.copyFile)(import_node_path30.default.join(fromMount, ENGINE_FILE), import_node_path30.default.join(toMount, ENGINE_FILE));
  reporter.debug(`copyFresh ${fromMount}/${DATA_DIR} \u2192 ${toMount}/${DATA_DIR}: ${stats.bytes} bytes`);
}
var import_node_fs14, import_promises30, import_node_path30, SKIPPED_FILES, EMPTIED_DIRS, byDescriptor;
var init_copyFresh = __esm({
  "packages/core/src/engine/postgres/copyFresh.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs14 = require("node:fs");
    import_promises30 = require("node:fs/promises");
    import_node_path30 = __toESM(require("node:path"), 1);
    init_errors();
    init_exec();
    init_binaries();
    init_config();
    init_engineFile();
    init_osUser();
    SKIPPED_FILES = /* @__PURE__ */ new Set(["postmaster.pid", "postmaster.opts", "postgresql.auto.conf.tmp", "current_logfiles", "backup_label.old"]);
    EMPTIED_DIRS = /* @__PURE__ */ new Set([
      "pg_wal",
      "pg_stat_tmp",
      "pg_stat",
      "pg_replslot",
      "pg_dynshmem",
      "pg_notify",
      "pg_serial",
      "pg_snapshots",
      "pg_subtrans",
      "log",
      "pg_log"
    ]);
    byDescriptor = (fh) => `/proc/self/fd/${fh.fd}`;
  }
});

// packages/core/src/util/map-limit.ts
async function mapLimit(items, limit, fn, openLane) {
  const results = new Array(items.length);
  let next = 0;
  let failed;
  const body = async (lane2) => {
    while (failed === void 0 && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i, lane2);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  const lane = openLane ? () => openLane(body).catch((e) => {
    failed ??= e;
  }) : () => body(void 0);
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failed !== void 0) throw failed;
  return results;
}
var init_map_limit = __esm({
  "packages/core/src/util/map-limit.ts"() {
    "use strict";
    init_import_meta_url();
  }
});

// lazy-vendor:pg
var require_pg = __commonJS({
  "lazy-vendor:pg"(exports2, module2) {
    init_import_meta_url();
    var real;
    var load = () => real ??= require("./vendor/pg.cjs");
    module2.exports = {};
    Object.defineProperty(module2.exports, "Client", { enumerable: true, configurable: true, get: () => load()["Client"] });
    Object.defineProperty(module2.exports, "Connection", { enumerable: true, configurable: true, get: () => load()["Connection"] });
    Object.defineProperty(module2.exports, "DatabaseError", { enumerable: true, configurable: true, get: () => load()["DatabaseError"] });
    Object.defineProperty(module2.exports, "Pool", { enumerable: true, configurable: true, get: () => load()["Pool"] });
    Object.defineProperty(module2.exports, "Query", { enumerable: true, configurable: true, get: () => load()["Query"] });
    Object.defineProperty(module2.exports, "Result", { enumerable: true, configurable: true, get: () => load()["Result"] });
    Object.defineProperty(module2.exports, "TypeOverrides", { enumerable: true, configurable: true, get: () => load()["TypeOverrides"] });
    Object.defineProperty(module2.exports, "_pools", { enumerable: true, configurable: true, get: () => load()["_pools"] });
    Object.defineProperty(module2.exports, "defaults", { enumerable: true, configurable: true, get: () => load()["defaults"] });
    Object.defineProperty(module2.exports, "escapeIdentifier", { enumerable: true, configurable: true, get: () => load()["escapeIdentifier"] });
    Object.defineProperty(module2.exports, "escapeLiteral", { enumerable: true, configurable: true, get: () => load()["escapeLiteral"] });
    Object.defineProperty(module2.exports, "types", { enumerable: true, configurable: true, get: () => load()["types"] });
    Object.defineProperty(module2.exports, "utils", { enumerable: true, configurable: true, get: () => load()["utils"] });
  }
});

// packages/core/src/engine/postgres/client.ts
async function adminClient(server, database = "postgres", opts = {}) {
  if (!server.socketDir) throw new Error("This PostgreSQL server has no private socket directory; admin access needs it.");
  const client = new import_pg.default.Client({
    host: server.socketDir,
    port: server.port,
    user: server.adminUser,
    database,
    options: opts.catalogOnly ? CATALOG_ONLY_SESSION : ADMIN_SESSION
  });
  await client.connect();
  return client;
}
async function withAdmin(server, database, fn, opts = {}) {
  const client = opts.session ?? await adminClient(server, database, opts);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {
    });
  }
}
async function connectableDatabases(c) {
  const r = await c.query("SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname");
  return r.rows.map((row) => row.datname);
}
async function userDatabases(c) {
  const r = await c.query("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname");
  return r.rows.map((row) => row.datname);
}
var import_pg, ADMIN_SESSION, CATALOG_ONLY_SESSION;
var init_client = __esm({
  "packages/core/src/engine/postgres/client.ts"() {
    "use strict";
    init_import_meta_url();
    import_pg = __toESM(require_pg(), 1);
    ADMIN_SESSION = "-c session_preload_libraries= -c local_preload_libraries= -c log_statement=none -c log_min_duration_statement=-1 -c log_min_error_statement=panic -c debug_print_parse=off -c debug_print_rewritten=off -c debug_print_plan=off";
    CATALOG_ONLY_SESSION = `${ADMIN_SESSION} -c search_path=pg_catalog -c statement_timeout=0 -c lock_timeout=0 -c idle_in_transaction_session_timeout=0 -c default_transaction_read_only=off`;
  }
});

// packages/core/src/engine/postgres/foreign-access.ts
async function foreignOptionHolders(c) {
  return (await c.query(HOLDERS, [DROPPED_OPTIONS])).rows.map(({ what, options }) => ({ what, options }));
}
async function dropForeignSecrets(c, fail) {
  const holders = (await c.query(HOLDERS, [DROPPED_OPTIONS])).rows;
  for (const h of holders) {
    try {
      await c.query(h.stmt);
    } catch (e) {
      throw fail(`Could not take ${h.options} out of ${h.what} (SQLSTATE ${e.code ?? "unknown"}); drop it in the source.`);
    }
  }
  const left = await foreignOptionHolders(c);
  if (left.length > 0) throw fail(`${left.map((l) => l.what).join(", ")} still hold(s) a password, a file or a program after stripping.`);
  if (holders.length > 0) await rewriteWithoutStatistics(c, CATALOGS);
  return holders.map(({ what, options }) => ({ what, options }));
}
async function dropSubscriptions(c, fail) {
  const subs = await c.query(
    `SELECT quote_ident(subname) AS name,
            ARRAY[format('ALTER SUBSCRIPTION %I DISABLE', subname), format('ALTER SUBSCRIPTION %I SET (slot_name = NONE)', subname), format('DROP SUBSCRIPTION %I', subname)] AS stmts
       FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY subname`
  );
  for (const s of subs.rows) {
    for (const stmt of s.stmts) {
      try {
        await c.query(stmt);
      } catch (e) {
        throw fail(`Could not drop subscription ${s.name} (SQLSTATE ${e.code ?? "unknown"}); drop it in the source.`);
      }
    }
  }
  if (subs.rows.length > 0) await rewriteWithoutStatistics(c, ["pg_catalog.pg_subscription"]);
  return subs.rows.map((s) => s.name);
}
async function rewriteWithoutStatistics(c, catalogs) {
  await c.query(`DELETE FROM pg_catalog.pg_statistic WHERE starelid IN (${catalogs.map((t) => `'${t}'::regclass`).join(", ")})`);
  await c.query(`VACUUM FULL ${catalogs.join(", ")}, pg_catalog.pg_statistic`);
}
var DROPPED_OPTIONS, HOLDERS, CATALOGS;
var init_foreign_access = __esm({
  "packages/core/src/engine/postgres/foreign-access.ts"() {
    "use strict";
    init_import_meta_url();
    DROPPED_OPTIONS = ["password", "password_required", "passfile", "sslpassword", "sslkey", "sslcert", "program", "filename"];
    HOLDERS = `
WITH opt AS (SELECT unnest($1::text[]) AS key)
SELECT format('ALTER FOREIGN TABLE %s OPTIONS (%s)', t.ftrelid::regclass,
         CASE WHEN EXISTS (SELECT 1 FROM unnest(t.ftoptions) o WHERE split_part(o, '=', 1) = 'filename')
              THEN concat_ws(', ', CASE WHEN EXISTS (SELECT 1 FROM unnest(t.ftoptions) o WHERE split_part(o, '=', 1) = 'program') THEN 'DROP program' END,
                             'SET filename ''/dev/null''')
              WHEN EXISTS (SELECT 1 FROM unnest(t.ftoptions) o WHERE split_part(o, '=', 1) = 'program')
              THEN 'DROP program, ADD filename ''/dev/null'''
              ELSE '' END
         || (SELECT coalesce(string_agg(format(', DROP %I', split_part(o, '=', 1)), ''), '')
               FROM unnest(t.ftoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt) AND split_part(o, '=', 1) NOT IN ('program', 'filename'))) AS stmt,
       format('foreign table %s', t.ftrelid::regclass) AS what,
       (SELECT string_agg(split_part(o, '=', 1), ', ') FROM unnest(t.ftoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt)) AS options
  FROM pg_foreign_table t
 -- a file_fdw table already reading /dev/null reaches nothing
 WHERE EXISTS (SELECT 1 FROM unnest(t.ftoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt) AND o <> 'filename=/dev/null')
UNION ALL
SELECT format('ALTER SERVER %I OPTIONS (%s)', s.srvname,
         (SELECT string_agg(format('DROP %I', split_part(o, '=', 1)), ', ') FROM unnest(s.srvoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt))),
       format('server %I', s.srvname),
       (SELECT string_agg(split_part(o, '=', 1), ', ') FROM unnest(s.srvoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt))
  FROM pg_foreign_server s
 WHERE EXISTS (SELECT 1 FROM unnest(s.srvoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt))
UNION ALL
SELECT format('ALTER USER MAPPING FOR %s SERVER %I OPTIONS (%s)', CASE WHEN m.umuser = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END, s.srvname,
         (SELECT string_agg(format('DROP %I', split_part(o, '=', 1)), ', ') FROM unnest(m.umoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt))),
       format('user mapping for %s on server %I', CASE WHEN m.umuser = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END, s.srvname),
       (SELECT string_agg(split_part(o, '=', 1), ', ') FROM unnest(m.umoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt))
  FROM pg_user_mapping m JOIN pg_foreign_server s ON s.oid = m.umserver LEFT JOIN pg_roles r ON r.oid = m.umuser
 WHERE EXISTS (SELECT 1 FROM unnest(m.umoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt))
 ORDER BY what`;
    CATALOGS = ["pg_catalog.pg_user_mapping", "pg_catalog.pg_foreign_server", "pg_catalog.pg_foreign_table"];
  }
});

// packages/core/src/engine/postgres/role-settings.ts
async function carriedSettings(c) {
  return (await c.query(CARRIED, PARAMS)).rows;
}
async function resetCarriedSettings(c, fail) {
  const stmts = await c.query(
    `SELECT format('ALTER ROLE %s%s RESET %I',
                   CASE WHEN setrole = 0 THEN 'ALL' ELSE quote_ident(rolname) END,
                   CASE WHEN setdatabase = 0 THEN '' ELSE format(' IN DATABASE %I', datname) END, name) AS stmt
       FROM (${CARRIED}) carried`,
    PARAMS
  );
  const carried = await carriedSettings(c);
  for (const { stmt } of stmts.rows) await c.query(stmt);
  const left = await carriedSettings(c);
  if (left.length > 0)
    throw fail(`The source sets ${left.slice(0, 3).map(describeSetting).join("; ")} with ALTER ROLE/DATABASE \u2026 SET, and it could not be reset.`);
  return carried;
}
var OVERRIDE, PARAMS, CARRIED, describeSetting;
var init_role_settings = __esm({
  "packages/core/src/engine/postgres/role-settings.ts"() {
    "use strict";
    init_import_meta_url();
    init_config();
    OVERRIDE = `(name = ANY($1::text[]) OR name LIKE 'log\\_%' OR name LIKE 'debug\\_%' OR name LIKE 'trace\\_%')`;
    PARAMS = [Object.keys(HARDENED_SETTINGS)];
    CARRIED = `
SELECT s.setrole, s.setdatabase, r.rolname, d.datname, name
  FROM pg_db_role_setting s
  LEFT JOIN pg_roles r ON r.oid = s.setrole
  LEFT JOIN pg_database d ON d.oid = s.setdatabase
  CROSS JOIN LATERAL (SELECT split_part(c, '=', 1) AS name FROM unnest(s.setconfig) c) n
 WHERE ${OVERRIDE}
 ORDER BY d.datname NULLS FIRST, r.rolname NULLS FIRST, name`;
    describeSetting = (s) => `${s.name} (${[s.rolname ? `role ${s.rolname}` : "", s.datname ? `database ${s.datname}` : ""].filter(Boolean).join(", ") || "every role"})`;
  }
});

// packages/core/src/engine/postgres/sql.ts
function quoteIdent(name) {
  if (name.length === 0) throw new Error("An SQL identifier cannot be empty.");
  if (name.includes("\0")) throw new Error("An SQL identifier cannot contain a NUL character.");
  return `"${name.replace(/"/g, '""')}"`;
}
function qualifiedName(schema, name) {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}
var SYSTEM_SCHEMA_FILTER;
var init_sql = __esm({
  "packages/core/src/engine/postgres/sql.ts"() {
    "use strict";
    init_import_meta_url();
    SYSTEM_SCHEMA_FILTER = `nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'`;
  }
});

// packages/core/src/engine/postgres/grants.ts
async function runFormatted(c, sql, params) {
  const r = await c.query(sql, params);
  if (r.rows.length > 0) await c.query(r.rows.map((row) => row.stmt).join(";\n"));
}
function grantStatementsSql(role) {
  const made = (attributes) => `SELECT 0 AS ord, format('%s ROLE %I ${attributes} ${LEAST_PRIVILEGE}',
         CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1::text) THEN 'ALTER' ELSE 'CREATE' END, $1::text${role === "login" ? ", $3::text" : ""}) AS stmt
       UNION ALL `;
  const clause = role === "login" ? made("LOGIN PASSWORD %L") : role === "group" ? made("NOLOGIN") : "";
  return `SELECT stmt FROM (
    ${clause}SELECT 1 AS ord, format('GRANT CONNECT, CREATE, TEMPORARY ON DATABASE %I TO %I', $2::text, $1::text) AS stmt
    UNION ALL
    SELECT 2, unnest(ARRAY[
       format('GRANT USAGE, CREATE ON SCHEMA %I TO %I', nspname, $1::text),
       format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO %I', nspname, $1::text),
       format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO %I', nspname, $1::text),
       format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA %I TO %I', nspname, $1::text),
       format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT ALL ON TABLES TO %I', nspname, $1::text),
       format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT ALL ON SEQUENCES TO %I', nspname, $1::text)])
     FROM pg_namespace WHERE ${SYSTEM_SCHEMA_FILTER}
    UNION ALL
    SELECT 3, stmt FROM (${EXTENSION_MEMBERS_KEPT}) kept
    UNION ALL
    SELECT 4, owners.stmt FROM (
      SELECT DISTINCT format('GRANT %I TO %I', r.rolname, $1::text) AS stmt
      FROM (SELECT relowner AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${SYSTEM_SCHEMA_FILTER}
            UNION SELECT nspowner FROM pg_namespace WHERE ${SYSTEM_SCHEMA_FILTER}) o
      JOIN pg_roles r ON r.oid = o.owner
      WHERE ${harmlessRole("r")}
        AND r.rolname <> $1::text AND r.rolname NOT LIKE 'pg\\_%') owners
  ) s ORDER BY ord`;
}
var LEAST_PRIVILEGE, harmlessRole, EXTENSION_MEMBERS_KEPT;
var init_grants = __esm({
  "packages/core/src/engine/postgres/grants.ts"() {
    "use strict";
    init_import_meta_url();
    init_sql();
    LEAST_PRIVILEGE = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS";
    harmlessRole = (r, roles = "pg_roles") => `NOT (${r}.rolsuper OR ${r}.rolcreaterole OR ${r}.rolreplication OR ${r}.rolbypassrls)
        AND NOT EXISTS (SELECT 1 FROM ${roles} d
          WHERE (d.rolsuper OR d.rolcreaterole OR d.rolreplication OR d.rolbypassrls
                 OR d.rolname IN ('pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files'))
            AND pg_has_role(${r}.oid, d.oid, 'MEMBER'))`;
    EXTENSION_MEMBERS_KEPT = `
      SELECT format('REVOKE EXECUTE ON ROUTINE %s FROM %I', p.oid::regprocedure, $1::text) AS stmt
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
       WHERE ${SYSTEM_SCHEMA_FILTER}
         AND (NOT l.lanpltrusted OR EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'))
         AND NOT EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                          WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
      UNION ALL
      SELECT format('REVOKE ALL ON %s %s FROM %I', CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.oid::regclass, $1::text)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE ${SYSTEM_SCHEMA_FILTER} AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
         AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`;
  }
});

// packages/core/src/engine/postgres/inventory.ts
async function describeDatabase(c, name) {
  const size = await c.query("SELECT pg_database_size(current_database())::int8 AS size");
  const rows = await c.query(TABLES_SQL);
  return {
    name,
    sizeBytes: Number(size.rows[0].size),
    tables: rows.rows.map((r) => ({
      schema: r.schema,
      name: r.name,
      // -1 means "never analysed" (PostgreSQL 14+): report 0 rather than a negative count.
      rowEstimate: Math.max(0, Math.round(r.reltuples)),
      sizeBytes: Number(r.size),
      columns: r.columns
    }))
  };
}
async function inventory(server) {
  const names = await withAdmin(server, "template1", userDatabases);
  const result = [];
  for (const name of names) {
    const info = await withAdmin(server, name, (c) => describeDatabase(c, name));
    if (!isNoise(name, info.tables.length)) result.push(info);
  }
  return result;
}
async function imageDatabaseNames(server) {
  const names = await withAdmin(server, "template1", userDatabases);
  const result = [];
  for (const name of names) {
    const tables = name === "postgres" ? await withAdmin(server, name, async (c) => (await c.query(TABLES_SQL)).rowCount ?? 0, { catalogOnly: true }) : 1;
    if (!isNoise(name, tables)) result.push(name);
  }
  return result;
}
var TABLES_SQL, isNoise;
var init_inventory = __esm({
  "packages/core/src/engine/postgres/inventory.ts"() {
    "use strict";
    init_import_meta_url();
    init_client();
    init_sql();
    TABLES_SQL = `
SELECT n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS reltuples,
       pg_total_relation_size(c.oid)::int8 AS size,
       coalesce((SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                                                   'nullable', NOT a.attnotnull) ORDER BY a.attnum)
                 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND ${SYSTEM_SCHEMA_FILTER}
ORDER BY 1, 2`;
    isNoise = (name, tables) => name === "postgres" && tables === 0;
  }
});

// packages/core/src/engine/postgres/login-group.ts
async function grantCloneLoginGroup(server) {
  const databases = await imageDatabaseNames(server);
  for (const [i, db] of databases.entries()) {
    await withAdmin(server, db, (c) => runFormatted(c, grantStatementsSql(i === 0 ? "group" : "none"), [CLONE_LOGIN_GROUP, db]), { catalogOnly: true });
  }
}
async function probeCloneLogin(c, login2, verifier) {
  const r = await c.query(
    `SELECT current_setting('dbclone.clone_id', true) AS id, current_setting('dbclone.image_digest', true) AS digest,
            (SELECT format('CREATE ROLE %I LOGIN PASSWORD %L ${LEAST_PRIVILEGE} IN ROLE %I', $2::text, $3::text, g.rolname)
               FROM pg_authid g
              WHERE g.rolname = $1::text AND NOT g.rolcanlogin
                AND ${harmlessRole("g", "pg_authid")}
                AND NOT EXISTS (SELECT 1 FROM pg_authid l WHERE l.rolname = $2::text)) AS stmt`,
    [CLONE_LOGIN_GROUP, login2, verifier]
  );
  const row = r.rows[0];
  return { id: row.id, digest: row.digest, ...row.stmt ? { joinStatement: row.stmt } : {} };
}
async function joinCloneLoginGroup(c, joinStatement) {
  await c.query(`SET LOCAL synchronous_commit = off;
${joinStatement}`);
}
var CLONE_LOGIN_GROUP;
var init_login_group = __esm({
  "packages/core/src/engine/postgres/login-group.ts"() {
    "use strict";
    init_import_meta_url();
    init_client();
    init_grants();
    init_inventory();
    CLONE_LOGIN_GROUP = "dbclone_clones";
  }
});

// packages/core/src/engine/postgres/ownership.ts
async function ensureOwnerRole(c) {
  const exists2 = await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [OWNER_ROLE]);
  if (!exists2.rowCount) {
    await c.query(`CREATE ROLE ${OWNER_ROLE} NOLOGIN ${LEAST_PRIVILEGE}`);
  }
}
async function handOverOwnership(c) {
  await c.query(HAND_OVER);
}
var OWNER_ROLE, HAND_OVER;
var init_ownership = __esm({
  "packages/core/src/engine/postgres/ownership.ts"() {
    "use strict";
    init_import_meta_url();
    init_grants();
    OWNER_ROLE = "dbclone_owner";
    HAND_OVER = `
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT n.nspname FROM pg_namespace n JOIN pg_roles o ON o.oid = n.nspowner
           WHERE o.rolsuper AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO ${OWNER_ROLE}', r.nspname);
  END LOOP;
  FOR r IN SELECT c.oid, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles o ON o.oid = c.relowner
           WHERE o.rolsuper AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
             AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
           ORDER BY c.relkind = 'S', c.relkind IN ('v', 'm') LOOP
    -- Re-check: a sequence owned by a column has moved with its table by now.
    CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_class c2 JOIN pg_roles o2 ON o2.oid = c2.relowner WHERE c2.oid = r.oid AND o2.rolsuper);
    EXECUTE format('ALTER %s %s OWNER TO ${OWNER_ROLE}',
      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
      r.oid::regclass);
  END LOOP;
  -- Not a function in an untrusted language (C, internal, plpython3u\u2026): untrusted-functions.ts.
  FOR r IN SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles o ON o.oid = p.proowner
           JOIN pg_language l ON l.oid = p.prolang
           WHERE o.rolsuper AND l.lanpltrusted AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO ${OWNER_ROLE}', r.oid::regprocedure);
  END LOOP;
  FOR r IN SELECT t.oid FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_roles o ON o.oid = t.typowner
           WHERE o.rolsuper AND t.typtype IN ('d', 'e', 'r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e') LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO ${OWNER_ROLE}', r.oid::regtype);
  END LOOP;
END $$`;
  }
});

// packages/core/src/engine/postgres/source-privileges.ts
async function resetReservedRoles(c) {
  const reset = await c.query("SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[]) ORDER BY rolname", [RESERVED_ROLES]);
  if (reset.rows.length === 0) return [];
  const stmts = await c.query(
    `SELECT format('ALTER ROLE %I NOLOGIN ${LEAST_PRIVILEGE}', rolname) AS stmt FROM pg_roles WHERE rolname = ANY($1::text[])
     UNION ALL
     SELECT format('REVOKE %I FROM %I', g.rolname, m.rolname)
       FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
      WHERE m.rolname = ANY($1::text[])`,
    [RESERVED_ROLES]
  );
  for (const { stmt } of stmts.rows) await c.query(stmt);
  const left = await c.query(
    `SELECT 1 FROM pg_roles r WHERE r.rolname = ANY($1::text[])
        AND (r.rolcanlogin OR r.rolsuper OR r.rolcreatedb OR r.rolcreaterole OR r.rolreplication OR r.rolbypassrls
             OR EXISTS (SELECT 1 FROM pg_auth_members a WHERE a.member = r.oid))`,
    [RESERVED_ROLES]
  );
  if (left.rowCount)
    throw new BuildError(
      `The source's role(s) ${reset.rows.map((r) => r.rolname).join(", ")} (names dbclone reserves) kept privileges after reset; the image was not built.`
    );
  return reset.rows.map((r) => r.rolname);
}
async function widenedSystemGrants(c) {
  return (await c.query(WIDENED)).rows;
}
async function revokeWidenedSystemGrants(c) {
  const widened = await widenedSystemGrants(c);
  for (const g of widened) {
    if (!PRIVILEGES.has(g.privilege))
      throw new BuildError(`The source grants an unknown privilege (${g.privilege}) on ${g.kind.toLowerCase()} ${g.name}; the image was not built.`);
    const on = g.kind === "COLUMN" ? "" : `${g.kind} `;
    const target = g.kind === "COLUMN" ? `${g.privilege} ${g.name}` : `${g.privilege} ON ${on}${g.name}`;
    await c.query(`REVOKE ${target} FROM ${g.grantee} CASCADE`);
  }
  const left = await widenedSystemGrants(c);
  if (left.length > 0) {
    throw new BuildError(
      `The source grants ${left.length} privilege(s) on system objects beyond PostgreSQL's defaults that could not be taken back (${left.slice(0, 3).map(describe).join("; ")}); revoke them in the source. The image was not built.`
    );
  }
  return widened;
}
var RESERVED_ROLES, WIDENED, PRIVILEGES, describe, describeGrant;
var init_source_privileges = __esm({
  "packages/core/src/engine/postgres/source-privileges.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_grants();
    init_login_group();
    init_ownership();
    RESERVED_ROLES = [OWNER_ROLE, CLONE_LOGIN_GROUP];
    WIDENED = `
WITH ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e'),
objs AS (
  SELECT 'FUNCTION' AS kind, p.oid::regprocedure::text AS name, 'pg_proc'::regclass AS cls, p.oid AS obj, 0 AS sub,
         p.proacl AS acl, acldefault('f', p.proowner) AS dflt
    FROM pg_proc p
   WHERE p.proacl IS NOT NULL AND (p.pronamespace = 'pg_catalog'::regnamespace
      OR EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid))
  UNION ALL
  SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.oid::regclass::text, 'pg_class'::regclass, c.oid, 0,
         c.relacl, acldefault((CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END)::"char", c.relowner)
    FROM pg_class c
   WHERE c.relacl IS NOT NULL AND (c.relnamespace = 'pg_catalog'::regnamespace
      OR EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid))
  UNION ALL
  SELECT 'COLUMN', format('(%I) ON TABLE %s', a.attname, c.oid::regclass), 'pg_class'::regclass, c.oid, a.attnum,
         a.attacl, NULL::aclitem[]
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
   WHERE a.attacl IS NOT NULL AND (c.relnamespace = 'pg_catalog'::regnamespace
      OR EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid))
  UNION ALL
  SELECT 'SCHEMA', quote_ident(n.nspname), 'pg_namespace'::regclass, n.oid, 0, n.nspacl, acldefault('n', n.nspowner)
    FROM pg_namespace n
   WHERE n.nspacl IS NOT NULL AND (n.oid = 'pg_catalog'::regnamespace
      OR EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_namespace'::regclass AND ext.objid = n.oid))
  UNION ALL
  SELECT 'LANGUAGE', quote_ident(l.lanname), 'pg_language'::regclass, l.oid, 0, l.lanacl, acldefault('l', l.lanowner)
    FROM pg_language l WHERE l.lanacl IS NOT NULL
  UNION ALL
  SELECT 'FOREIGN DATA WRAPPER', quote_ident(w.fdwname), 'pg_foreign_data_wrapper'::regclass, w.oid, 0, w.fdwacl, acldefault('F', w.fdwowner)
    FROM pg_foreign_data_wrapper w WHERE w.fdwacl IS NOT NULL
)
SELECT o.kind, o.name, g.privilege_type AS privilege,
       CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee
  FROM objs o
  LEFT JOIN pg_init_privs i ON i.classoid = o.cls AND i.objoid = o.obj AND i.objsubid = o.sub
  CROSS JOIN LATERAL aclexplode(o.acl) g
  LEFT JOIN pg_roles r ON r.oid = g.grantee
 WHERE NOT coalesce(r.rolsuper, false)
   AND NOT EXISTS (SELECT 1 FROM aclexplode(coalesce(i.initprivs, o.dflt)) b
                    WHERE b.privilege_type = g.privilege_type AND b.grantee IN (g.grantee, 0))
UNION ALL
-- initdb grants no SET / ALTER SYSTEM on any parameter.
SELECT 'PARAMETER', quote_ident(p.parname), g.privilege_type,
       CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END
  FROM pg_parameter_acl p
  CROSS JOIN LATERAL aclexplode(p.paracl) g
  LEFT JOIN pg_roles r ON r.oid = g.grantee
 WHERE NOT coalesce(r.rolsuper, false)
 ORDER BY 1, 2, 3, 4`;
    PRIVILEGES = /* @__PURE__ */ new Set([
      "SELECT",
      "INSERT",
      "UPDATE",
      "DELETE",
      "TRUNCATE",
      "REFERENCES",
      "TRIGGER",
      "EXECUTE",
      "USAGE",
      "CREATE",
      "CONNECT",
      "TEMPORARY",
      "SET",
      "ALTER SYSTEM"
    ]);
    describe = (g) => `${g.privilege} on ${g.kind.toLowerCase()} ${g.name} to ${g.grantee}`;
    describeGrant = describe;
  }
});

// packages/core/src/engine/postgres/untrusted-functions.ts
async function reachableUntrustedFunctions(c) {
  return (await c.query(REACHABLE)).rows;
}
async function lockUntrustedFunctions(c, fail) {
  const reachable = await reachableUntrustedFunctions(c);
  if (reachable.length === 0) return [];
  const owners = await c.query(
    `SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, current_user) AS stmt ${UNTRUSTED}
       AND NOT (SELECT rolsuper FROM pg_roles WHERE oid = p.proowner)`
  );
  for (const { stmt } of owners.rows) await c.query(stmt);
  const grants = await c.query(
    `SELECT format('REVOKE ALL ON ROUTINE %s FROM %s', p.oid::regprocedure, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END) AS stmt
     ${UNTRUSTED.replace("FROM pg_proc p", "FROM pg_proc p CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a LEFT JOIN pg_roles r ON r.oid = a.grantee")}
       AND NOT coalesce(r.rolsuper, false)`
  );
  for (const { stmt } of grants.rows) await c.query(stmt);
  const left = await reachableUntrustedFunctions(c);
  if (left.length > 0)
    throw fail(
      `Function(s) ${left.slice(0, 3).map((f) => f.name).join(", ")} in an untrusted language are still reachable by a non-superuser.`
    );
  return reachable;
}
var UNTRUSTED, REACHABLE;
var init_untrusted_functions = __esm({
  "packages/core/src/engine/postgres/untrusted-functions.ts"() {
    "use strict";
    init_import_meta_url();
    UNTRUSTED = `
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE NOT l.lanpltrusted AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`;
    REACHABLE = `
WITH candidates AS MATERIALIZED (SELECT p.oid, p.proowner, p.proacl, l.lanname ${UNTRUSTED})
SELECT c.oid::regprocedure::text AS name, c.lanname AS language
  FROM candidates c
 WHERE NOT (SELECT rolsuper FROM pg_roles WHERE oid = c.proowner)
    OR EXISTS (SELECT 1 FROM aclexplode(coalesce(c.proacl, acldefault('f', c.proowner))) a LEFT JOIN pg_roles r ON r.oid = a.grantee
                WHERE NOT coalesce(r.rolsuper, false))
 ORDER BY 1`;
  }
});

// packages/core/src/engine/postgres/image-check.ts
async function imageCatalogFindings(server, limit = 5) {
  const findings = [];
  const add = (lines) => findings.push(...lines.slice(0, limit));
  const databases = await withAdmin(server, "template1", (c) => clusterFindings(c, add), { catalogOnly: true });
  const perDatabase = await mapLimit(databases, CHECK_SESSIONS, (db) => withAdmin(server, db, (c) => databaseFindings(c, db, limit), { catalogOnly: true }));
  for (const lines of perDatabase) findings.push(...lines);
  return findings;
}
async function databaseFindings(c, db, limit) {
  const at = (line) => `database ${db}: ${line}`;
  return [
    ...(await widenedSystemGrants(c)).map((g) => at(`grants ${describeGrant(g)}`)).slice(0, limit),
    ...(await reachableUntrustedFunctions(c)).map((f) => at(`function ${f.name} in untrusted language ${f.language} is reachable by a non-superuser`)).slice(0, limit),
    ...(await foreignOptionHolders(c)).map((h) => at(`${h.what} holds ${h.options}`)).slice(0, limit),
    ...(await c.query(RUNS_AS_SUPERUSER)).rows.map((r) => at(r.what)).slice(0, limit)
  ];
}
async function clusterFindings(c, add) {
  const passwords = await c.query("SELECT quote_ident(rolname) AS name FROM pg_authid WHERE rolpassword IS NOT NULL ORDER BY 1");
  add(passwords.rows.map((r) => `role ${r.name} has a password`));
  add((await carriedSettings(c)).map((s) => `sets ${describeSetting(s)} with ALTER ROLE/DATABASE \u2026 SET`));
  const subscriptions = await c.query("SELECT quote_ident(subname) AS name FROM pg_subscription ORDER BY 1");
  add(subscriptions.rows.map((r) => `has the logical subscription ${r.name}`));
  return connectableDatabases(c);
}
var CHECK_SESSIONS, RUNS_AS_SUPERUSER;
var init_image_check = __esm({
  "packages/core/src/engine/postgres/image-check.ts"() {
    "use strict";
    init_import_meta_url();
    init_map_limit();
    init_client();
    init_foreign_access();
    init_role_settings();
    init_source_privileges();
    init_untrusted_functions();
    CHECK_SESSIONS = 4;
    RUNS_AS_SUPERUSER = `
WITH ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')
SELECT format('function %s (SECURITY DEFINER, owned by superuser %I)', p.oid::regprocedure, o.rolname) AS what
  FROM pg_proc p JOIN pg_roles o ON o.oid = p.proowner JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.prosecdef AND o.rolsuper AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)
   AND EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a LEFT JOIN pg_roles r ON r.oid = a.grantee
                WHERE NOT coalesce(r.rolsuper, false))
UNION ALL
SELECT format('%s %s (owned by superuser %I)', CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END, c.oid::regclass, o.rolname)
  FROM pg_class c JOIN pg_roles o ON o.oid = c.relowner JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('v', 'm') AND o.rolsuper AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
 ORDER BY 1`;
  }
});

// packages/core/src/engine/postgres/port-proof.ts
async function portReachesSession(admin, host, port, opts = {}) {
  const key = cancelKeyOf(admin);
  const seconds = (opts.timeoutMs ?? 5e3) / 1e3;
  let settled = false;
  if (!opts.noStatementTimeout) await admin.query("SET statement_timeout = 0");
  const sleeping = admin.query("SELECT pg_catalog.pg_sleep($1)", [seconds]).then(
    () => false,
    (e) => {
      if (e?.code === "57014") return true;
      throw e;
    }
  );
  void sleeping.finally(() => {
    settled = true;
  }).catch(() => void 0);
  const inFlight = /* @__PURE__ */ new Set();
  const resending = (async () => {
    while (!settled) {
      await sendCancel(host, port, key, inFlight);
      if (!settled) await new Promise((r) => setTimeout(r, RESEND_MS));
    }
  })();
  let reached;
  try {
    reached = await sleeping;
  } finally {
    if (opts.sessionEnds) for (const socket of inFlight) socket.destroy();
    await resending;
  }
  if (opts.sessionEnds) return reached;
  await admin.query("SELECT 1").catch((e) => {
    if (e?.code !== "57014") throw e;
  });
  return reached;
}
function cancelKeyOf(admin) {
  const { processID: pid, secretKey: secret } = admin;
  if (typeof pid !== "number" || typeof secret !== "number") throw new Error("the admin session has no cancel key (not connected)");
  return { pid, secret };
}
function sendCancel(host, port, key, inFlight) {
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  packet.writeInt32BE(key.pid, 8);
  packet.writeInt32BE(key.secret, 12);
  return new Promise((resolve) => {
    const socket = import_node_net.default.connect({ host, port });
    inFlight.add(socket);
    socket.setTimeout(2e3, () => socket.destroy());
    socket.once("connect", () => socket.end(packet));
    socket.once("error", () => void 0);
    socket.once("close", () => {
      inFlight.delete(socket);
      resolve();
    });
  });
}
var import_node_net, CANCEL_REQUEST_CODE, RESEND_MS;
var init_port_proof = __esm({
  "packages/core/src/engine/postgres/port-proof.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_net = __toESM(require("node:net"), 1);
    CANCEL_REQUEST_CODE = 80877102;
    RESEND_MS = 3;
  }
});

// packages/core/src/engine/postgres/ready-session.ts
function parkReadySession(socketDir, port, database, client) {
  client.on("error", ignore);
  const key = keyOf(socketDir, port);
  void parked.get(key)?.client.end().catch(ignore);
  parked.set(key, { database, client });
}
function takeReadySession(server, database) {
  if (!server.socketDir) return void 0;
  const key = keyOf(server.socketDir, server.port);
  const p = parked.get(key);
  if (!p) return void 0;
  parked.delete(key);
  if (p.database === database) return p.client;
  void p.client.end().catch(ignore);
  return void 0;
}
async function dropReadySession(server) {
  if (!server.socketDir) return;
  const key = keyOf(server.socketDir, server.port);
  const p = parked.get(key);
  parked.delete(key);
  await p?.client.end().catch(ignore);
}
var parked, keyOf, ignore;
var init_ready_session = __esm({
  "packages/core/src/engine/postgres/ready-session.ts"() {
    "use strict";
    init_import_meta_url();
    parked = /* @__PURE__ */ new Map();
    keyOf = (socketDir, port) => `${socketDir}\0${port}`;
    ignore = () => void 0;
  }
});

// packages/core/src/engine/postgres/scram.ts
function prepareVerifier(password) {
  if (prepared.has(password)) return;
  const deriving = scramVerifier(password);
  deriving.catch(() => void 0);
  prepared.set(password, deriving);
}
function takeVerifier(password) {
  const p = prepared.get(password);
  prepared.delete(password);
  return p ?? scramVerifier(password);
}
async function scramVerifier(password, salt = (0, import_node_crypto6.randomBytes)(16), iterations = ITERATIONS) {
  const salted = await pbkdf2Async(Buffer.from(password.normalize("NFKC"), "utf8"), salt, iterations, 32, "sha256");
  const storedKey = (0, import_node_crypto6.createHash)("sha256").update(hmac(salted, "Client Key")).digest();
  const serverKey = hmac(salted, "Server Key");
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
var import_node_crypto6, import_node_util, ITERATIONS, pbkdf2Async, hmac, prepared;
var init_scram = __esm({
  "packages/core/src/engine/postgres/scram.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_crypto6 = require("node:crypto");
    import_node_util = require("node:util");
    ITERATIONS = 4096;
    pbkdf2Async = (0, import_node_util.promisify)(import_node_crypto6.pbkdf2);
    hmac = (key, text) => (0, import_node_crypto6.createHmac)("sha256", key).update(text).digest();
    prepared = /* @__PURE__ */ new Map();
  }
});

// packages/core/src/engine/postgres/login.ts
function connectionString(user, password, host, port, database) {
  const h = host.includes(":") ? `[${host}]` : host;
  const secret = password === void 0 ? "" : `:${encodeURIComponent(password)}`;
  return `postgresql://${encodeURIComponent(user)}${secret}@${h}:${port}/${encodeURIComponent(database)}`;
}
async function createLogin(server, databases, opts) {
  return makeLogin(server, databases, opts);
}
async function createVerifiedLogin(server, databases, opts, identity) {
  try {
    return await makeLogin(server, databases, opts, {
      first: (seen) => proveSettings(seen, server, identity),
      last: (c) => provePort(c, server, identity)
    });
  } catch (e) {
    if (e instanceof DbcloneError) throw e;
    throw new CloneError(`Could not prove that the server on port ${server.port} is clone ${identity.cloneId}: ${e.message}. Recreate the clone.`, {
      cause: e
    });
  }
}
function proveSettings(seen, server, identity) {
  if (seen.id !== identity.cloneId || seen.digest !== identity.imageDigest) {
    throw new CloneError(
      `The server on port ${server.port} is not clone ${identity.cloneId} of image ${identity.imageDigest} (it reports clone "${seen.id ?? "none"}", image "${seen.digest ?? "none"}"); recreate the clone.`
    );
  }
}
async function provePort(c, server, identity) {
  if (!await portReachesSession(c, server.host, server.port, { sessionEnds: true, noStatementTimeout: true })) {
    throw new CloneError(
      `The server on port ${server.port} is not clone ${identity.cloneId}: ${server.host}:${server.port} does not reach the clone's server (a cancel request with its admin session's key had no effect). Another process may have taken the port; recreate the clone.`
    );
  }
}
async function makeLogin(server, databases, opts, hooks = {}) {
  if (databases.length === 0) throw new UsageError("createLogin needs at least one database.");
  const { user, password } = opts;
  const deriving = takeVerifier(password);
  deriving.catch(() => void 0);
  let verifier = "";
  for (const [i, db] of databases.entries()) {
    const grouped = await withAdmin(
      server,
      db,
      async (c) => {
        if (i === 0) {
          verifier = await deriving;
          const probe = await probeCloneLogin(c, user, verifier);
          hooks.first?.(probe);
          if (probe.joinStatement) {
            await joinCloneLoginGroup(c, probe.joinStatement);
            await hooks.last?.(c);
            return true;
          }
        }
        await runFormatted(c, grantStatementsSql(i === 0 ? "login" : "none"), [user, db, ...i === 0 ? [verifier] : []]);
        if (i === databases.length - 1) await hooks.last?.(c);
        return false;
      },
      { catalogOnly: true, session: i === 0 ? takeReadySession(server, db) : void 0 }
    );
    if (grouped) break;
  }
  return {
    user,
    password,
    host: server.host,
    port: server.port,
    databases,
    connectionString: connectionString(user, password, server.host, server.port, databases[0])
  };
}
async function verifyIdentity(creds, cloneId, imageDigest) {
  const client = new import_pg2.default.Client({
    host: creds.host,
    port: creds.port,
    user: creds.user,
    password: creds.password,
    database: creds.databases[0],
    connectionTimeoutMillis: 1e4
  });
  let seen;
  try {
    await client.connect();
    const r = await client.query(
      "SELECT current_setting('dbclone.clone_id', true) AS id, current_setting('dbclone.image_digest', true) AS digest"
    );
    seen = r.rows[0];
  } catch (e) {
    throw new CloneError(
      `Could not log in to the server on port ${creds.port} as ${creds.user}: ${e.message}. It is not clone ${cloneId}, or it is not running.`,
      { cause: e }
    );
  } finally {
    await client.end().catch(() => {
    });
  }
  if (seen.id !== cloneId || seen.digest !== imageDigest) {
    throw new CloneError(
      `The server on port ${creds.port} is not clone ${cloneId} of image ${imageDigest} (it reports clone "${seen.id ?? "none"}", image "${seen.digest ?? "none"}"). Another process may have taken the port; recreate the clone.`
    );
  }
}
var import_pg2;
var init_login = __esm({
  "packages/core/src/engine/postgres/login.ts"() {
    "use strict";
    init_import_meta_url();
    import_pg2 = __toESM(require_pg(), 1);
    init_errors();
    init_client();
    init_port_proof();
    init_ready_session();
    init_scram();
    init_grants();
    init_login_group();
  }
});

// packages/core/src/engine/postgres/schema-snapshot.ts
async function snapshotSchema(conn, databases) {
  const lines = [];
  for (const database of databases) {
    const client = new import_pg3.default.Client({ ...conn, database, connectionTimeoutMillis: 15e3 });
    await client.connect();
    try {
      lines.push(...await databaseLines(client, database));
    } finally {
      await client.end().catch(() => void 0);
    }
  }
  return lines.sort();
}
async function databaseLines(c, db) {
  const out = [];
  const tables = await c.query(
    `SELECT format('%I.%I', n.nspname, r.relname) AS t FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
      WHERE r.relkind IN ('r', 'p') AND ${USER_SCHEMAS}`
  );
  for (const row of tables.rows) out.push(`${db}: table ${row.t}`);
  const columns = await c.query(
    `SELECT format('%I.%I', n.nspname, r.relname) AS t, quote_ident(a.attname) AS col, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def
       FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid JOIN pg_namespace n ON n.oid = r.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE r.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND ${USER_SCHEMAS}`
  );
  for (const r of columns.rows) {
    out.push(`${db}: table ${r.t} column ${r.col} ${r.type}${r.notnull ? " not null" : ""}${r.def ? ` default ${r.def}` : ""}`);
  }
  const indexes = await c.query(
    `SELECT format('%I.%I', i.schemaname, i.tablename) AS t, i.indexdef AS def FROM pg_indexes i
      WHERE i.schemaname NOT IN ('pg_catalog', 'information_schema')`
  );
  for (const r of indexes.rows) out.push(`${db}: table ${r.t} index ${r.def}`);
  const constraints = await c.query(
    `SELECT format('%I.%I', n.nspname, r.relname) AS t, quote_ident(k.conname) AS name, pg_get_constraintdef(k.oid) AS def
       FROM pg_constraint k JOIN pg_class r ON r.oid = k.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
      WHERE ${USER_SCHEMAS}`
  );
  for (const r of constraints.rows) out.push(`${db}: table ${r.t} constraint ${r.name} ${r.def}`);
  return out;
}
var import_pg3, USER_SCHEMAS;
var init_schema_snapshot = __esm({
  "packages/core/src/engine/postgres/schema-snapshot.ts"() {
    "use strict";
    init_import_meta_url();
    import_pg3 = __toESM(require_pg(), 1);
    USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";
  }
});

// packages/core/src/engine/postgres/dumpFile.ts
async function head(file, bytes) {
  const fh = await (0, import_promises31.open)(file, "r");
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
async function detectDumpKind(file) {
  const s = await (0, import_promises31.stat)(file).catch(() => void 0);
  if (!s) throw new SourceError(`${file} does not exist.`);
  if (s.isDirectory()) {
    if ((0, import_node_fs15.existsSync)(import_node_path31.default.join(file, "toc.dat"))) return "directory";
    throw new SourceError(`${file} is a directory without toc.dat, so not a PostgreSQL directory dump (${EXPECTED}).`);
  }
  const b = await head(file, 8192);
  if (b.subarray(0, 5).toString("latin1") === "PGDMP") return "custom";
  if (b.length >= 262 && b.subarray(257, 262).toString("latin1") === "ustar" && b.includes("toc.dat")) return "tar";
  if (b[0] === 31 && b[1] === 139) {
    throw new SourceError(`${file} is gzip-compressed; decompress it first (gunzip) \u2014 ${EXPECTED}.`);
  }
  const text = b.toString("utf8");
  if (text.includes("-- PostgreSQL database cluster dump")) return "dumpall";
  if (text.includes("-- PostgreSQL database dump")) return "plain";
  throw new SourceError(`${file} is not a PostgreSQL dump (${EXPECTED}).`);
}
function databaseNameFromFile(file) {
  return import_node_path31.default.basename(file).replace(/\.(sql|dump|pgdump|backup|tar|dir)$/i, "") || "restored";
}
function parseTocHeader(listing) {
  const database = /^;\s+dbname:\s*(.+)$/m.exec(listing)?.[1]?.trim();
  const version2 = /^;\s+Dumped from database version:\s*(\d+(?:\.\d+)?)/m.exec(listing)?.[1];
  return { database, version: version2 };
}
var import_node_fs15, import_promises31, import_node_path31, EXPECTED;
var init_dumpFile = __esm({
  "packages/core/src/engine/postgres/dumpFile.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs15 = require("node:fs");
    import_promises31 = require("node:fs/promises");
    import_node_path31 = __toESM(require("node:path"), 1);
    init_errors();
    EXPECTED = "expected a pg_dump custom archive (-Fc), a directory dump with toc.dat (-Fd), a tar dump (-Ft), a plain SQL dump (-Fp) or pg_dumpall output";
  }
});

// packages/core/src/engine/postgres/sqlLexer.ts
function scanSqlLine(line, start2) {
  let { mode, dollarTag, commentDepth, parenDepth, statement } = start2;
  const finished = [];
  const code = (s) => {
    if (statement.length < MAX_STATEMENT_CODE) statement += s;
  };
  let i = 0;
  while (i < line.length) {
    if (mode === "code") {
      CODE_SPECIAL.lastIndex = i;
      const m = CODE_SPECIAL.exec(line);
      if (!m) {
        code(line.slice(i));
        break;
      }
      code(line.slice(i, m.index));
      i = m.index;
      const c = line[i];
      const next = line[i + 1];
      if (c === "\\") return { state: { ...start2, mode, statement }, finished, backslashAt: i };
      if (c === "-" && next === "-") break;
      if (c === "/" && next === "*") {
        mode = "comment";
        commentDepth = 1;
        i += 2;
        continue;
      }
      if (c === "'") {
        const prefix = line[i - 1];
        const eString = (prefix === "e" || prefix === "E") && !isIdentChar(line[i - 2]);
        mode = eString ? "escapeString" : "string";
        code(" ");
      } else if (c === '"') {
        mode = "identifier";
        code(" ");
      } else if (c === "$" && !isIdentChar(line[i - 1])) {
        const tag = DOLLAR_TAG.exec(line.slice(i, i + 256))?.[0];
        if (tag) {
          mode = "dollar";
          dollarTag = tag;
          code(" ");
          i += tag.length;
          continue;
        }
        code(c);
      } else if (c === ";" && parenDepth === 0) {
        finished.push(statement);
        statement = "";
      } else {
        if (c === "(") parenDepth++;
        if (c === ")" && parenDepth > 0) parenDepth--;
        code(c);
      }
      i++;
    } else if (mode === "string" || mode === "escapeString") {
      STRING_SPECIAL.lastIndex = i;
      const m = STRING_SPECIAL.exec(line);
      if (!m) break;
      i = m.index;
      if (line[i] === "\\") {
        i += mode === "escapeString" || !start2.standardStrings ? 2 : 1;
      } else if (line[i + 1] === "'") i += 2;
      else {
        mode = "code";
        i++;
      }
    } else if (mode === "identifier") {
      const end = line.indexOf('"', i);
      if (end < 0) break;
      if (line[end + 1] === '"') i = end + 2;
      else {
        mode = "code";
        i = end + 1;
      }
    } else if (mode === "dollar") {
      const end = line.indexOf(dollarTag, i);
      if (end < 0) break;
      mode = "code";
      i = end + dollarTag.length;
    } else {
      COMMENT_SPECIAL.lastIndex = i;
      const m = COMMENT_SPECIAL.exec(line);
      if (!m) break;
      i = m.index + 2;
      commentDepth += m[0] === "/*" ? 1 : -1;
      if (commentDepth === 0) mode = "code";
    }
  }
  code("\n");
  const state = {
    mode,
    dollarTag,
    commentDepth,
    parenDepth: finished.length > 0 && statement.trim() === "" ? 0 : parenDepth,
    statement,
    atStatementStart: mode === "code" && statement.trim() === "",
    standardStrings: start2.standardStrings
  };
  return { state, finished };
}
var startOfScan, isIdentChar, DOLLAR_TAG, CODE_SPECIAL, STRING_SPECIAL, COMMENT_SPECIAL, MAX_STATEMENT_CODE;
var init_sqlLexer = __esm({
  "packages/core/src/engine/postgres/sqlLexer.ts"() {
    "use strict";
    init_import_meta_url();
    startOfScan = (standardStrings) => ({
      mode: "code",
      dollarTag: "",
      commentDepth: 0,
      parenDepth: 0,
      statement: "",
      atStatementStart: true,
      standardStrings
    });
    isIdentChar = (c) => c !== void 0 && /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
    DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;
    CODE_SPECIAL = /[\\\-/'"$;()]/g;
    STRING_SPECIAL = /['\\]/g;
    COMMENT_SPECIAL = /\/\*|\*\//g;
    MAX_STATEMENT_CODE = 1 << 20;
  }
});

// packages/core/src/engine/postgres/dumpScript.ts
async function* readScriptLines(file) {
  for await (const batch of readScriptLineBatches(file)) yield* batch;
}
async function* readScriptLineBatches(file) {
  let rest = "";
  for await (const chunk of (0, import_node_fs16.createReadStream)(file, { encoding: "latin1", highWaterMark: 1 << 20 })) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop();
    yield parts;
  }
  if (rest !== "") yield [rest];
}
function refuse(file, line, what) {
  throw new SourceError(
    `${file}, line ${line}: ${what}. dbclone refuses psql backslash commands in SQL dumps (only \\restrict, \\unrestrict, \\connect and the \\. ending COPY data, as pg_dump writes them); re-create the dump with pg_dump/pg_dumpall, or remove that line.`
  );
}
async function checkOnce(file, standardStrings) {
  const facts = { restricts: false, connects: false };
  let state = startOfScan(standardStrings);
  let inCopyData = false;
  let n = 0;
  for await (const batch of readScriptLineBatches(file))
    for (const line of batch) {
      n++;
      if (inCopyData) {
        if (isCopyEnd(line)) inCopyData = false;
        continue;
      }
      if (state.mode === "code" && line.startsWith("\\")) {
        if (!state.atStatementStart) refuse(file, n, "a backslash command inside an unfinished SQL statement");
        const m = ALLOWED_COMMAND.exec(line);
        if (!m) refuse(file, n, `the psql command ${JSON.stringify(line.split(/\s/)[0].slice(0, 20))} is not one pg_dump writes`);
        if (m[1] === "restrict") facts.restricts = true;
        if (m[2] === "connect") facts.connects = true;
        continue;
      }
      const result = scanSqlLine(line, state);
      if (result.backslashAt !== void 0)
        refuse(file, n, `a backslash outside quotes at column ${result.backslashAt + 1}, which psql would run as a command`);
      state = result.state;
      const copy = result.finished.find((stmt) => COPY_FROM_STDIN.test(stmt));
      if (copy !== void 0) {
        if (result.finished.at(-1) !== copy || !state.atStatementStart) refuse(file, n, "text after COPY \u2026 FROM stdin on the same line");
        inCopyData = true;
      }
    }
  if (inCopyData) refuse(file, n, "the file ends inside COPY data (no \\. line)");
  return facts;
}
async function checkDumpScript(file) {
  const s = await (0, import_promises32.stat)(file);
  const key = `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  const known = checked.get(key);
  if (known) return known;
  const facts = await checkOnce(file, true);
  await checkOnce(file, false);
  checked.set(key, facts);
  return facts;
}
var import_node_fs16, import_promises32, KEY2, DB_ARG, ALLOWED_COMMAND, COPY_FROM_STDIN, isCopyEnd, checked;
var init_dumpScript = __esm({
  "packages/core/src/engine/postgres/dumpScript.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs16 = require("node:fs");
    import_promises32 = require("node:fs/promises");
    init_errors();
    init_sqlLexer();
    KEY2 = "[A-Za-z0-9]+";
    DB_ARG = `(?:"(?:[^"\\\\\`]|"")*"|[A-Za-z0-9_.$-]+)`;
    ALLOWED_COMMAND = new RegExp(`^\\\\(?:(restrict|unrestrict) ${KEY2}|(connect) (?:-reuse-previous=on )?${DB_ARG})$`);
    COPY_FROM_STDIN = /^\s*COPY\s[\s\S]*\sFROM\s+STDIN\b[^;]*$/i;
    isCopyEnd = (line) => line === "\\." || line === "\\.\r";
    checked = /* @__PURE__ */ new Map();
  }
});

// packages/core/src/engine/postgres/url.ts
function redactUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = "";
    u.searchParams.delete("password");
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}
function splitPassword(url) {
  const u = new URL(url);
  const password = u.password ? decodeURIComponent(u.password) : u.searchParams.get("password") ?? void 0;
  return { url: redactUrl(url), password };
}
var init_url = __esm({
  "packages/core/src/engine/postgres/url.ts"() {
    "use strict";
    init_import_meta_url();
  }
});

// packages/core/src/engine/postgres/dataDir.ts
async function makeEmptyDataDir(dataDir) {
  if ((0, import_node_fs17.existsSync)(dataDir) && (await (0, import_promises33.readdir)(dataDir)).length > 0) {
    throw new BuildError(`${dataDir} already holds files; restore needs a fresh, empty disk.`);
  }
  await (0, import_promises33.mkdir)(dataDir, { recursive: true, mode: 448 });
  await (0, import_promises33.chmod)(dataDir, 448);
  await giveToServerUser(dataDir);
}
async function ctypeLocale() {
  if (localeChoice) return localeChoice;
  const r = await run("locale", ["-a"], { allowFailure: true }).catch(() => void 0);
  localeChoice = r && /^c\.utf-?8$/im.test(r.stdout) ? "C.UTF-8" : "C";
  return localeChoice;
}
async function initDataDir(bins, dataDir, adminUser) {
  await makeEmptyDataDir(dataDir);
  await run(
    bins.bin("initdb"),
    ["-D", dataDir, "-U", adminUser, "--auth=trust", "-E", "UTF8", `--locale=${await ctypeLocale()}`, "--lc-collate=C", "--no-sync", "--no-instructions"],
    { asUser: serverUser().asUser, cwd: "/" }
  );
}
async function copyDataDir(source, dataDir) {
  await makeEmptyDataDir(dataDir);
  await run("cp", ["-a", "--", `${source}/.`, dataDir]);
  const wal = import_node_path32.default.join(dataDir, "pg_wal");
  if ((0, import_node_fs17.lstatSync)(wal).isSymbolicLink()) {
    await (0, import_promises33.rm)(wal);
    await giveToServerUser(dataDir);
    await run("cp", ["-a", "--", `${import_node_path32.default.resolve(source, "pg_wal")}/.`, wal], { asUser: serverUser().asUser, cwd: "/" }).catch((e) => {
      throw new SourceError(
        `${source}/pg_wal links elsewhere and the server's OS user could not copy from there (${e.message.split("\n").pop()}); give it read access or copy the WAL into the data directory.`
      );
    });
  }
  await finishPhysicalCopy(dataDir);
}
async function baseBackup(bins, url, dataDir) {
  await makeEmptyDataDir(dataDir);
  const { url: safeUrl, password } = splitPassword(url);
  const env = childEnv(password !== void 0 ? { PGPASSWORD: password } : {});
  await run(bins.bin("pg_basebackup"), ["-d", safeUrl, "-D", dataDir, "-X", "stream", "-c", "fast", "--no-sync"], {
    env,
    asUser: serverUser().asUser,
    cwd: "/",
    secrets: password ? [password] : [],
    timeoutMs: 6 * 36e5
  });
  await finishPhysicalCopy(dataDir);
}
async function finishPhysicalCopy(dataDir) {
  for (const f of ["postmaster.pid", "postmaster.opts", "standby.signal", "recovery.signal"]) {
    await (0, import_promises33.rm)(import_node_path32.default.join(dataDir, f), { force: true });
  }
  await run("chown", ["-R", `${serverUser().uid}:${serverUser().gid}`, dataDir]);
  await (0, import_promises33.chmod)(dataDir, 448);
  await replaceSourceConfig(dataDir);
}
function singleUserSettings() {
  const settings = { config_file: "/dev/null", ...HARDENED_SETTINGS };
  return Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
}
async function bootstrapSuperuser(bins, dataDir) {
  const { stdout } = await run(bins.bin("postgres"), ["--single", "-D", dataDir, ...singleUserSettings(), "template1"], {
    asUser: serverUser().asUser,
    cwd: "/",
    input: "SELECT rolname FROM pg_authid WHERE oid = 10;\n"
  });
  const name = /rolname = "([^"]+)"/.exec(stdout)?.[1];
  if (!name) throw new BuildError(`Could not find the superuser of ${dataDir} (single-user mode said: ${stdout.slice(0, 300)}).`);
  return name;
}
var import_node_fs17, import_promises33, import_node_path32, localeChoice;
var init_dataDir = __esm({
  "packages/core/src/engine/postgres/dataDir.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs17 = require("node:fs");
    import_promises33 = require("node:fs/promises");
    import_node_path32 = __toESM(require("node:path"), 1);
    init_errors();
    init_childEnv();
    init_exec();
    init_config();
    init_osUser();
    init_url();
  }
});

// packages/core/src/engine/postgres/walArchive.ts
function lsnToBigInt(lsn) {
  if (!isLsn(lsn)) throw new SourceError(`"${lsn}" is not a WAL location; write it as PostgreSQL prints it, e.g. 0/3000148.`);
  const [hi, lo] = lsn.split("/");
  return BigInt(`0x${hi}`) << 32n | BigInt(`0x${lo}`);
}
function segmentEndLsn(name, segmentBytes) {
  const log2 = BigInt(`0x${name.slice(8, 16)}`);
  const seg = BigInt(`0x${name.slice(16, 24)}`);
  const perLog = 0x100000000n / BigInt(segmentBytes);
  return formatLsn((log2 * perLog + seg + 1n) * BigInt(segmentBytes));
}
function parseLabelLines(text) {
  const fields = /* @__PURE__ */ new Map();
  for (const line of text.split("\n")) {
    const m = /^([A-Z][A-Z ]+):\s?(.*)$/.exec(line.trim());
    if (m) fields.set(m[1], m[2]);
  }
  return fields;
}
function parseBackupHistory(file, text) {
  const f = parseLabelLines(text);
  return {
    file,
    startLsn: lsnOf(f.get("START WAL LOCATION")),
    stopLsn: lsnOf(f.get("STOP WAL LOCATION")),
    startTime: f.get("START TIME"),
    stopTime: f.get("STOP TIME"),
    startTimeline: intOf(f.get("START TIMELINE")),
    stopTimeline: intOf(f.get("STOP TIMELINE")),
    label: f.get("LABEL")
  };
}
async function readWalArchive(dir) {
  if (!(0, import_node_fs18.existsSync)(dir)) throw new SourceError(`The WAL archive ${dir} does not exist; pass the directory archive_command copies WAL segments into.`);
  let names;
  try {
    names = await (0, import_promises34.readdir)(dir);
  } catch (e) {
    throw new SourceError(`The WAL archive ${dir} cannot be read: ${e.message}.`);
  }
  return {
    dir,
    segments: names.filter((n) => SEGMENT_NAME.test(n)).sort(),
    histories: names.filter((n) => /^[0-9A-F]{8}\.history$/.test(n)).sort(),
    backupHistoryFiles: names.filter((n) => BACKUP_HISTORY.test(n)).sort()
  };
}
async function findBackupHistory(archive, startLsn) {
  for (const name of archive.backupHistoryFiles) {
    const h = parseBackupHistory(name, await (0, import_promises34.readFile)(import_node_path33.default.join(archive.dir, name), "utf8"));
    if (h.startLsn && lsnToBigInt(h.startLsn) === lsnToBigInt(startLsn)) return h;
  }
  return void 0;
}
function shellQuote(word) {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
function restoreCommand(archiveDir) {
  const source = shellQuote(`${import_node_path33.default.resolve(archiveDir)}/`).replace(/%/g, "%%");
  return `cp -- ${source}%f %p`;
}
var import_node_fs18, import_promises34, import_node_path33, SEGMENT_NAME, BACKUP_HISTORY, LSN, isLsn, formatLsn, lsnOf, intOf;
var init_walArchive = __esm({
  "packages/core/src/engine/postgres/walArchive.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs18 = require("node:fs");
    import_promises34 = require("node:fs/promises");
    import_node_path33 = __toESM(require("node:path"), 1);
    init_errors();
    SEGMENT_NAME = /^[0-9A-F]{24}$/;
    BACKUP_HISTORY = /^([0-9A-F]{24})\.([0-9A-F]{8})\.backup$/;
    LSN = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/;
    isLsn = (text) => LSN.test(text);
    formatLsn = (n) => `${(n >> 32n).toString(16).toUpperCase()}/${(n & 0xffffffffn).toString(16).toUpperCase()}`;
    lsnOf = (v) => v ? /^([0-9A-F]+\/[0-9A-F]+)/i.exec(v)?.[1] : void 0;
    intOf = (v) => v && /^\d+$/.test(v.trim()) ? Number(v.trim()) : void 0;
  }
});

// packages/core/src/engine/postgres/baseBackup.ts
async function backupLabelText(dir, baseTar) {
  if (!baseTar) return (0, import_promises35.readFile)(import_node_path34.default.join(dir, "backup_label"), "utf8");
  const { stdout } = await run("tar", ["-xOf", baseTar, "backup_label"], { packageHint: "tar" }).catch((e) => {
    throw new SourceError(`${baseTar} holds no backup_label (${e.message}); is it pg_basebackup's tar output?`);
  });
  return stdout;
}
async function pgVersionText(dir, baseTar) {
  if (!baseTar) return (0, import_promises35.readFile)(import_node_path34.default.join(dir, "PG_VERSION"), "utf8");
  return (await run("tar", ["-xOf", baseTar, "PG_VERSION"])).stdout;
}
async function readBaseBackup(dir) {
  if (!(0, import_node_fs19.existsSync)(dir)) throw new SourceError(`The base backup ${dir} does not exist.`);
  const names = await (0, import_promises35.readdir)(dir).catch(() => {
    throw new SourceError(`The base backup ${dir} is not a directory; pass pg_basebackup's -D directory.`);
  });
  const tarName = TAR_NAMES.find((n) => names.includes(n));
  const plain = names.includes("backup_label");
  if (!plain && !tarName) {
    throw new SourceError(
      `${dir} is not a pg_basebackup output: it has neither backup_label (plain format) nor base.tar (tar format). A stopped data directory is --from-datadir; a backup taken by other tools must keep its backup_label.`
    );
  }
  const baseTar = plain ? void 0 : import_node_path34.default.join(dir, tarName);
  const walTar = plain ? void 0 : names.filter((n) => /^pg_wal\.tar(\.gz|\.lz4|\.zst)?$/.test(n)).map((n) => import_node_path34.default.join(dir, n))[0];
  if (!plain && names.some((n) => /^\d+\.tar/.test(n))) {
    throw new SourceError(`${dir} holds tablespace tars next to base.tar; dbclone images hold a single data directory. Use a dump instead.`);
  }
  const label = parseLabelLines(await backupLabelText(dir, baseTar));
  const startLsn = /^([0-9A-F]+\/[0-9A-F]+)/i.exec(label.get("START WAL LOCATION") ?? "")?.[1];
  if (!startLsn) throw new SourceError(`The backup_label of ${dir} has no START WAL LOCATION; the backup is damaged.`);
  const major = Number.parseInt((await pgVersionText(dir, baseTar)).trim(), 10);
  let manifestEndLsn;
  let manifestTimeline;
  if (names.includes("backup_manifest")) {
    const m = JSON.parse(await (0, import_promises35.readFile)(import_node_path34.default.join(dir, "backup_manifest"), "utf8"));
    const last = m["WAL-Ranges"]?.at(-1);
    manifestEndLsn = last?.["End-LSN"];
    manifestTimeline = last?.Timeline;
  }
  return {
    format: plain ? "plain" : "tar",
    baseTar,
    walTar,
    major,
    startLsn,
    checkpointLsn: label.get("CHECKPOINT LOCATION"),
    startTimeline: Number(label.get("START TIMELINE") ?? "1"),
    startTime: label.get("START TIME"),
    label: label.get("LABEL"),
    manifestEndLsn,
    manifestTimeline
  };
}
async function placeBaseBackup(backupDir, info, dataDir) {
  if (info.format === "plain") {
    await copyDataDir(backupDir, dataDir);
  } else {
    await makeEmptyDataDir(dataDir);
    await run("tar", ["-xf", info.baseTar, "-C", dataDir], { timeoutMs: 6 * 36e5 });
    if (info.walTar) await run("tar", ["-xf", info.walTar, "-C", import_node_path34.default.join(dataDir, "pg_wal")], { timeoutMs: 36e5 });
    for (const f of ["postmaster.pid", "postmaster.opts", "standby.signal", "recovery.signal"]) await (0, import_promises35.rm)(import_node_path34.default.join(dataDir, f), { force: true });
    await run("chown", ["-R", `${serverUser().uid}:${serverUser().gid}`, dataDir]);
    await (0, import_promises35.chmod)(dataDir, 448);
    await replaceSourceConfig(dataDir);
  }
  await (0, import_promises35.rm)(import_node_path34.default.join(dataDir, "backup_manifest"), { force: true });
}
var import_node_fs19, import_promises35, import_node_path34, TAR_NAMES;
var init_baseBackup = __esm({
  "packages/core/src/engine/postgres/baseBackup.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs19 = require("node:fs");
    import_promises35 = require("node:fs/promises");
    import_node_path34 = __toESM(require("node:path"), 1);
    init_errors();
    init_exec();
    init_config();
    init_dataDir();
    init_osUser();
    init_walArchive();
    TAR_NAMES = ["base.tar", "base.tar.gz", "base.tgz", "base.tar.lz4", "base.tar.zst"];
  }
});

// packages/core/src/runtime/host.ts
function logTail(logFile, offset = 0, lines = 15) {
  try {
    const text = (0, import_node_fs20.readFileSync)(logFile).subarray(offset).toString("utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
function startFailure(launch, tail, what) {
  return `${launch.describe} did not start: ${what}.${launch.hintFor(tail)}
Last lines of ${launch.logFile}:
${tail}`;
}
async function startHostProcess(launch, opts) {
  const offset = (0, import_node_fs20.existsSync)(launch.logFile) ? (0, import_node_fs20.statSync)(launch.logFile).size : 0;
  const logFd = (0, import_node_fs20.openSync)(launch.logFile, import_node_fs20.constants.O_WRONLY | import_node_fs20.constants.O_APPEND | import_node_fs20.constants.O_CREAT | import_node_fs20.constants.O_NOFOLLOW, 416);
  let child;
  try {
    child = (0, import_node_child_process3.spawn)(launch.program, launch.args, {
      detached: true,
      // own process group: a Ctrl-C aimed at us does not hit the clone
      stdio: ["ignore", logFd, logFd],
      // The allow-list plus what this server needs: the runner's secrets never reach it.
      env: childEnv(launch.env),
      cwd: launch.cwd,
      ...launch.switchUser ? { uid: launch.uid, gid: launch.gid } : {}
    });
  } finally {
    (0, import_node_fs20.closeSync)(logFd);
  }
  let exit;
  let spawnError;
  child.once("error", (e) => spawnError = e);
  child.once("exit", (code, signal2) => exit = signal2 ? `killed by ${signal2}` : `exited with code ${code}`);
  child.unref();
  await sleep2(0);
  if (spawnError || child.pid === void 0) {
    throw new CommandError(`Could not run ${launch.program}: ${spawnError?.message}`, launch.program, null, "");
  }
  const pid = child.pid;
  const deadline = Date.now() + opts.timeoutMs;
  while (true) {
    if (exit) {
      const tail = logTail(launch.logFile, offset);
      throw new CommandError(startFailure(launch, tail, `the server ${exit}`), launch.program, null, tail);
    }
    if (Date.now() > deadline) {
      await stopHostProcess(pid, launch.signals, { graceMs: 2e3 });
      throw new TimeoutError(startFailure(launch, logTail(launch.logFile, offset), `not ready after ${Math.round(opts.timeoutMs / 1e3)} s`));
    }
    if (await launch.ready()) return { pid };
    await sleep2(POLL_MS);
  }
}
async function stopHostProcess(pid, signals, opts = {}) {
  const signal2 = (sig, target = pid) => {
    try {
      process.kill(target, sig);
    } catch (e) {
      if (e.code !== "ESRCH") throw e;
    }
  };
  if (!isAlive(pid)) return;
  signal2(opts.fast === false ? signals.smart : signals.fast);
  if (await waitForExit(pid, opts.graceMs ?? 6e4)) return;
  signal2("SIGQUIT");
  if (await waitForExit(pid, 5e3)) return;
  signal2("SIGKILL", -pid);
  await waitForExit(pid, 5e3);
}
var import_node_child_process3, import_node_fs20, POLL_MS, sleep2, DEFAULT_SIGNALS, HostRuntime;
var init_host = __esm({
  "packages/core/src/runtime/host.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_child_process3 = require("node:child_process");
    import_node_fs20 = require("node:fs");
    init_errors();
    init_childEnv();
    init_exec();
    POLL_MS = 5;
    sleep2 = (ms) => new Promise((r) => setTimeout(r, ms));
    DEFAULT_SIGNALS = { fast: "SIGINT", smart: "SIGTERM" };
    HostRuntime = class {
      kind = "host";
      async start(launch, opts) {
        return startHostProcess(launch, opts);
      }
      async stop(handle, opts = {}) {
        if (handle.pid) await stopHostProcess(handle.pid, DEFAULT_SIGNALS, { fast: opts.fast !== false, graceMs: opts.graceMs });
      }
      async isRunning(handle) {
        return handle.pid !== void 0 && isAlive(handle.pid);
      }
      async checkAvailable() {
      }
    };
  }
});

// packages/core/src/engine/postgres/launch.ts
function postgresArgs(spec) {
  const args = ["-D", spec.dataDir, "-p", String(spec.port)];
  for (const [k, v] of Object.entries(spec.settings)) args.push("-c", `${k}=${v}`);
  return args;
}
function serverLaunchOf(spec, paths = [spec.dataDir, spec.socketDir]) {
  const user = serverUser();
  const owner = (0, import_node_fs21.statSync)(spec.dataDir);
  const socket = import_node_path35.default.join(spec.socketDir, `.s.PGSQL.${spec.port}`);
  return {
    program: spec.bins.bin("postgres"),
    // The official postgres:<major> images (Debian-based) keep it where Debian does.
    containerProgram: `/usr/lib/postgresql/${spec.bins.major}/bin/postgres`,
    defaultImage: `postgres:${spec.bins.major}`,
    args: postgresArgs(spec),
    listenAddressSetting: "listen_addresses",
    admitOnly: spec.hba ? async (peer) => writeServerFile(spec.settings.hba_file, hbaContents(spec.hba.adminUser, spec.hba.host, true, peer)) : void 0,
    env: {},
    // the runtime's allow-list only: no PG* that could redirect it, no runner secrets
    cwd: spec.dataDir,
    uid: user.uid,
    gid: user.gid,
    switchUser: Boolean(user.asUser),
    dataOwner: { uid: owner.uid, gid: owner.gid },
    paths,
    port: spec.port,
    logFile: spec.logFile,
    ready: async () => {
      if ((0, import_node_fs21.existsSync)(socket)) return answers(spec);
      void import_pg4.default.Client;
      return false;
    },
    describe: `PostgreSQL over ${spec.dataDir}`,
    hintFor: (log2) => /Address already in use|could not create any TCP\/IP sockets/.test(log2) ? ` Port ${spec.port} is already in use on this host; choose another port or stop what holds it.` : "",
    signals: SIGNALS
  };
}
async function launchPostgres(spec) {
  if (spec.settings.config_file === import_node_path35.default.join(spec.socketDir, CONFIG_FILE)) await writeRunConfig(spec.socketDir);
  return startHostProcess(serverLaunchOf(spec), { timeoutMs: spec.timeoutMs });
}
async function answers(spec) {
  const keep = spec.readyDatabase;
  const client = new import_pg4.default.Client({
    host: spec.socketDir,
    port: spec.port,
    user: spec.connectUser,
    database: keep ?? "postgres",
    options: keep ? CATALOG_ONLY_SESSION : ADMIN_SESSION
  });
  let parked2 = false;
  try {
    await client.connect();
    await client.query("SELECT 1");
    if (keep) {
      parkReadySession(spec.socketDir, spec.port, keep, client);
      parked2 = true;
    }
    return true;
  } catch (e) {
    return e instanceof import_pg4.default.DatabaseError && e.code !== "57P03";
  } finally {
    if (!parked2) await client.end().catch(() => {
    });
  }
}
async function stopPostgres(pid, opts = {}) {
  await stopHostProcess(pid, SIGNALS, opts);
}
var import_node_fs21, import_node_path35, import_pg4, SIGNALS;
var init_launch = __esm({
  "packages/core/src/engine/postgres/launch.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs21 = require("node:fs");
    import_node_path35 = __toESM(require("node:path"), 1);
    import_pg4 = __toESM(require_pg(), 1);
    init_host();
    init_config();
    init_osUser();
    init_client();
    init_ready_session();
    SIGNALS = { fast: "SIGINT", smart: "SIGTERM" };
  }
});

// packages/core/src/engine/postgres/recoveryTarget.ts
function parseTargetTime(text) {
  const m = TIME.exec(text.trim());
  if (!m) return void 0;
  let zone = m[3].toUpperCase();
  if (zone === "UTC") zone = "Z";
  else if (/^[+-]\d{2}$/.test(zone)) zone += ":00";
  else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const time3 = m[2].length === 5 ? `${m[2]}:00` : m[2];
  const at = /* @__PURE__ */ new Date(`${m[1]}T${time3.replace(/(\.\d{3})\d+/, "$1")}${zone}`);
  return Number.isNaN(at.getTime()) ? void 0 : at;
}
function toServerTime(text) {
  const m = TIME.exec(text.trim());
  const zone = m[3].toUpperCase();
  return `${m[1]} ${m[2]}${zone === "Z" || zone === "UTC" ? "+00" : zone}`;
}
function recoveryTargetOf(spec) {
  if (spec.recoveryTargetTime !== void 0 && spec.recoveryTargetLsn !== void 0) {
    throw new UsageError("Give one recovery target: --recovery-target-time or --recovery-target-lsn, not both.");
  }
  if (spec.recoveryTargetTime !== void 0) {
    const at = parseTargetTime(spec.recoveryTargetTime);
    if (!at) {
      throw new UsageError(
        `--recovery-target-time "${spec.recoveryTargetTime}" is not a timestamp with a time zone; write e.g. 2026-03-01T04:00:00Z or "2026-03-01 04:00:00+01".`
      );
    }
    return { kind: "time", value: spec.recoveryTargetTime.trim(), at, setting: toServerTime(spec.recoveryTargetTime) };
  }
  if (spec.recoveryTargetLsn !== void 0) {
    if (!isLsn(spec.recoveryTargetLsn.trim())) {
      throw new UsageError(`--recovery-target-lsn "${spec.recoveryTargetLsn}" is not a WAL location; write it as PostgreSQL prints it, e.g. 0/3000148.`);
    }
    return { kind: "lsn", value: spec.recoveryTargetLsn.trim().toUpperCase() };
  }
  return { kind: "end" };
}
function targetSettings(t, action) {
  if (t.kind === "end") return {};
  const settings = { recovery_target_inclusive: "on", recovery_target_action: action };
  if (t.kind === "time") settings.recovery_target_time = t.setting;
  else settings.recovery_target_lsn = t.value;
  return settings;
}
var TIME, describeTarget;
var init_recoveryTarget = __esm({
  "packages/core/src/engine/postgres/recoveryTarget.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_walArchive();
    TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)$/i;
    describeTarget = (t) => t.kind === "time" ? `time ${t.value}` : t.kind === "lsn" ? `WAL location ${t.value}` : "the end of the WAL archive";
  }
});

// packages/core/src/engine/postgres/recoveryServer.ts
async function controlData(bins, dataDir) {
  const { stdout } = await run(bins.bin("pg_controldata"), ["-D", dataDir], { asUser: serverUser().asUser, cwd: "/" });
  const fields = /* @__PURE__ */ new Map();
  for (const line of stdout.split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) fields.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return fields;
}
function hotStandbySettings(control) {
  const pairs = [
    ["max_connections", "max_connections setting"],
    ["max_worker_processes", "max_worker_processes setting"],
    ["max_wal_senders", "max_wal_senders setting"],
    ["max_prepared_transactions", "max_prepared_xacts setting"],
    ["max_locks_per_transaction", "max_locks_per_xact setting"]
  ];
  const out = {};
  for (const [setting, field] of pairs) {
    const v = control.get(field);
    if (v && /^\d+$/.test(v)) out[setting] = v;
  }
  return out;
}
function parseRecoveryLog(log2) {
  const restoredSegments = [...log2.matchAll(/restored log file "([0-9A-F]{24})" from archive/g)].map((m) => m[1]);
  const stoppedAt = /LOG:\s+(recovery stopping [^\n]*)/.exec(log2)?.[1];
  const redo = [...log2.matchAll(/redo done at ([0-9A-F]+\/[0-9A-F]+)/g)].at(-1)?.[1];
  const lastTx = [...log2.matchAll(/last completed transaction was at log time ([^\n]+?)\.?$/gim)].at(-1)?.[1];
  const tli = [...log2.matchAll(/selected new timeline ID: (\d+)/g)].at(-1)?.[1];
  return { stoppedAt, lastReplayedLsn: redo, lastTransactionTime: lastTx, restoredSegments, timeline: tli ? Number(tli) : void 0 };
}
function failure(r, log2) {
  const tail = log2.trimEnd().split("\n").slice(-12).join("\n");
  const target = describeTarget(r.target);
  if (/recovery ended before configured recovery target was reached/.test(log2)) {
    return new SourceError(
      `The recovery target ${target} is past the end of the WAL archive (${r.explain.archiveEnd}). Archive newer WAL first (on the source, SELECT pg_switch_wal() closes the current segment) or choose an earlier target.`
    );
  }
  if (/requested recovery stop point is before consistent recovery point/.test(log2)) {
    return new SourceError(
      `The recovery target ${target} is before the end of the base backup (${r.explain.backupEnd}); choose a later target or an older base backup.`
    );
  }
  if (/WAL ends before consistent recovery point|could not locate required checkpoint record|could not find redo location/.test(log2)) {
    return new SourceError(
      `The WAL archive lacks WAL the base backup needs to become consistent (${r.explain.backupEnd}; archive: ${r.explain.archiveEnd}). Point --wal-archive at the archive the source wrote while the backup ran.
${tail}`
    );
  }
  if (/insufficient parameter settings|recovery has paused/.test(log2)) {
    return new NotSupportedError(`Recovery paused: the source raised a server limit during the replayed period, which a replay cannot follow.
${tail}`);
  }
  return new BuildError(`Recovery to ${target} failed.
${tail}`);
}
async function runRecovery(r) {
  const control = await controlData(r.bins, r.dataDir);
  if (r.archiveDir) await writeServerFile(import_node_path36.default.join(r.dataDir, "recovery.signal"), "");
  const socketDir = await (0, import_promises36.mkdtemp)(import_node_path36.default.join(import_node_os6.default.tmpdir(), "dbclone-rec-"));
  let pid;
  const logFile = import_node_path36.default.join(socketDir, "postgres.log");
  const readLog = () => (0, import_promises36.readFile)(logFile, "utf8").catch(() => "");
  try {
    await (0, import_promises36.chmod)(socketDir, 448);
    await giveToServerUser(socketDir);
    const hbaFile = import_node_path36.default.join(socketDir, "pg_hba.conf");
    await writeServerFile(hbaFile, LOCAL_TRUST_HBA);
    await (0, import_promises36.writeFile)(logFile, "", { mode: 416 });
    await giveToServerUser(logFile);
    const settings = {
      ...commonSettings(r.dataDir, socketDir, hbaFile),
      ...BUILD_SETTINGS,
      wal_level: "replica",
      // what the source wrote; minimal would end a hot standby
      hot_standby: "on",
      ...hotStandbySettings(control),
      recovery_target_timeline: "latest",
      cluster_name: "dbclone-recovery",
      ...r.archiveDir ? { restore_command: restoreCommand(r.archiveDir) } : {},
      ...r.archiveDir ? targetSettings(r.target, r.action) : {}
    };
    r.reporter.info(`Replaying WAL to ${describeTarget(r.target)}`);
    try {
      ({ pid } = await launchPostgres({
        bins: r.bins,
        dataDir: r.dataDir,
        socketDir,
        port: 5432,
        settings,
        logFile,
        connectUser: "dbclone_recovery_probe",
        timeoutMs: r.timeoutMs ?? 6 * 36e5
      }));
    } catch (e) {
      const log2 = await readLog();
      if (r.action === "shutdown" && /shutdown at recovery target/.test(log2)) return parseRecoveryLog(log2);
      if (e instanceof CommandError) throw failure(r, log2);
      throw e;
    }
    while (true) {
      const log2 = await readLog();
      if (!isAlive(pid)) {
        if (r.action === "shutdown" && /shutdown at recovery target/.test(log2)) return parseRecoveryLog(log2);
        throw failure(r, log2);
      }
      if (/recovery has paused|insufficient parameter settings/.test(log2)) throw failure(r, log2);
      if (r.action === "promote") {
        const state = (await controlData(r.bins, r.dataDir).catch(() => void 0))?.get("Database cluster state");
        if (state === "in production") break;
      }
      await sleep3(POLL_MS2);
    }
    await stopPostgres(pid, { fast: true });
    pid = void 0;
    const outcome = parseRecoveryLog(await readLog());
    r.reporter.debug(`Recovery ${outcome.stoppedAt ?? "reached the end of the WAL"}; redo done at ${outcome.lastReplayedLsn ?? "?"}`);
    return outcome;
  } finally {
    if (pid !== void 0) await stopPostgres(pid, { fast: true, graceMs: 3e4 }).catch(() => void 0);
    await (0, import_promises36.rm)(socketDir, { recursive: true, force: true });
  }
}
var import_promises36, import_node_os6, import_node_path36, POLL_MS2, sleep3;
var init_recoveryServer = __esm({
  "packages/core/src/engine/postgres/recoveryServer.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises36 = require("node:fs/promises");
    import_node_os6 = __toESM(require("node:os"), 1);
    import_node_path36 = __toESM(require("node:path"), 1);
    init_errors();
    init_exec();
    init_config();
    init_launch();
    init_osUser();
    init_recoveryTarget();
    init_walArchive();
    POLL_MS2 = 200;
    sleep3 = (ms) => new Promise((r) => setTimeout(r, ms));
  }
});

// packages/core/src/engine/postgres/recoveryState.ts
function isForward(last, next) {
  if (next.kind === "end") return false;
  if (next.kind === "lsn") return lsnToBigInt(next.value) >= lsnToBigInt(last.replayedLsn ?? (last.target.kind === "lsn" ? last.target.value : "0/0"));
  return last.target.kind !== "time" || next.at.getTime() >= new Date(last.target.at ?? last.target.value).getTime();
}
async function continueKeptState(a) {
  const stateDir2 = import_node_path37.default.resolve(a.source.keepRecoveryState);
  const target = a.probe.target;
  if (target.kind === "end" || !a.source.walArchive) {
    throw new UsageError("--keep-recovery-state needs --wal-archive and a recovery target (time or LSN): the kept state stops at that target, unpromoted.");
  }
  const stateData = import_node_path37.default.join(stateDir2, "pgdata");
  const stateFile = import_node_path37.default.join(stateDir2, STATE_FILE);
  await (0, import_promises37.mkdir)(stateDir2, { recursive: true, mode: 457 });
  await assertReachable(stateData);
  let reused = false;
  if ((0, import_node_fs22.existsSync)(stateFile)) {
    const last = JSON.parse(await (0, import_promises37.readFile)(stateFile, "utf8"));
    if (last.backupStartLsn !== a.probe.backup.startLsn) {
      throw new SourceError(
        `The kept recovery state in ${stateDir2} was restored from another base backup (started at ${last.backupStartLsn}, this one at ${a.probe.backup.startLsn}). Remove ${stateDir2} to start over from this backup.`
      );
    }
    if (!isForward(last, target)) {
      throw new SourceError(
        `The kept recovery state in ${stateDir2} has already replayed to ${last.target.kind} ${last.target.value}, past ${describeTarget(target)}; replay cannot go back. Remove ${stateDir2} for a full restore.`
      );
    }
    reused = true;
    a.reporter.info(`Continuing the kept recovery state in ${stateDir2} (last at ${last.target.kind} ${last.target.value})`);
  } else {
    if ((0, import_node_fs22.existsSync)(stateData))
      throw new SourceError(`${stateData} exists but ${stateFile} does not: not a state dbclone kept. Remove it or choose another directory.`);
    a.reporter.info(`Restoring base backup ${a.source.path} into the kept recovery state ${stateDir2}`);
    await placeBaseBackup(a.source.path, a.probe.backup, stateData);
  }
  const outcome = await runRecovery({
    bins: a.bins,
    dataDir: stateData,
    archiveDir: a.source.walArchive,
    target,
    action: "shutdown",
    reporter: a.reporter,
    explain: a.explain
  });
  await run("sync", ["-f", import_node_path37.default.join(stateData, "PG_VERSION")]);
  const control = await controlData(a.bins, stateData);
  const state = {
    systemIdentifier: control.get("Database system identifier") ?? "",
    backupStartLsn: a.probe.backup.startLsn,
    target: target.kind === "time" ? { kind: "time", value: target.value, at: target.at.toISOString() } : { kind: "lsn", value: target.value },
    replayedLsn: control.get("Minimum recovery ending location"),
    updatedAt: (/* @__PURE__ */ new Date()).toISOString()
  };
  await (0, import_promises37.writeFile)(stateFile, `${JSON.stringify(state, null, 2)}
`);
  await copyDataDir(stateData, a.dataDir);
  return { dir: stateDir2, reused, stateStoppedAt: outcome.stoppedAt, segmentsRestoredIntoState: outcome.restoredSegments.length };
}
var import_node_fs22, import_promises37, import_node_path37, STATE_FILE;
var init_recoveryState = __esm({
  "packages/core/src/engine/postgres/recoveryState.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs22 = require("node:fs");
    import_promises37 = require("node:fs/promises");
    import_node_path37 = __toESM(require("node:path"), 1);
    init_errors();
    init_exec();
    init_baseBackup();
    init_dataDir();
    init_osUser();
    init_recoveryServer();
    init_recoveryTarget();
    init_walArchive();
    STATE_FILE = "dbclone-recovery-state.json";
  }
});

// packages/core/src/engine/postgres/pitr.ts
function backupTime(text) {
  const m = text ? /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (UTC|GMT|[+-]\d{2}(?::?\d{2})?)$/.exec(text) : void 0;
  if (!m) return void 0;
  const z = m[3];
  const zone = z === "UTC" || z === "GMT" ? "Z" : z.length === 3 ? `${z}:00` : `${z.slice(0, 3)}:${z.slice(-2)}`;
  const at = /* @__PURE__ */ new Date(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(at.getTime()) ? void 0 : at;
}
async function probeBaseBackup(source, reporter) {
  const target = recoveryTargetOf(source);
  if (target.kind !== "end" && !source.walArchive) {
    throw new UsageError(`A recovery target needs the WAL archive to replay: add --wal-archive DIR.`);
  }
  const backup = await readBaseBackup(source.path);
  if (!Number.isFinite(backup.major)) throw new SourceError(`${source.path} has no readable PG_VERSION; the backup is damaged.`);
  await findBinaries(backup.major);
  let archive;
  let history;
  if (source.walArchive) {
    archive = await readWalArchive(source.walArchive);
    await assertServerUserReads(source.walArchive);
    history = await findBackupHistory(archive, backup.startLsn);
    if (archive.segments.length === 0) throw new SourceError(`The WAL archive ${source.walArchive} holds no WAL segments; is archive_command copying into it?`);
  }
  const backupEnd = { lsn: history?.stopLsn ?? backup.manifestEndLsn, time: history?.stopTime };
  refuseTargetBeforeBackupEnd(target, backup, backupEnd, (m) => reporter?.warn(m));
  const range = archive ? `, WAL archive ${import_node_path38.default.basename(import_node_path38.default.resolve(archive.dir))} (${archive.segments[0]} \u2026 ${archive.segments.at(-1)})` : "";
  return {
    description: `PostgreSQL ${backup.major} base backup ${import_node_path38.default.basename(import_node_path38.default.resolve(source.path))} (${backup.format}, from ${backup.startLsn})${range}, recovered to ${describeTarget(target)}`,
    version: String(backup.major),
    major: backup.major,
    backup,
    archive,
    history,
    target,
    backupEnd
  };
}
function refuseTargetBeforeBackupEnd(target, backup, end, warn) {
  const shown = end.lsn ? `it ends at WAL location ${end.lsn}${end.time ? `, ${end.time}` : ""}` : `it started at ${backup.startLsn}`;
  const tooEarly = () => new SourceError(
    `The recovery target ${describeTarget(target)} is before the end of the base backup (${shown}); choose a later target or an older base backup.`
  );
  if (target.kind === "lsn" && lsnToBigInt(target.value) < lsnToBigInt(end.lsn ?? backup.startLsn)) throw tooEarly();
  if (target.kind === "time") {
    const limit = backupTime(end.time) ?? backupTime(backup.startTime);
    if (limit && target.at.getTime() < limit.getTime()) throw tooEarly();
    if (!backupTime(end.time))
      warn(`Could not read the base backup's end time ("${end.time ?? backup.startTime ?? "none"}"); make sure ${target.value} is after it.`);
  }
}
async function assertServerUserReads(dir) {
  const user = serverUser();
  if (!user.asUser) return;
  const r = await run("test", ["-r", dir, "-a", "-x", dir], { asUser: user.asUser, allowFailure: true, cwd: "/" });
  if (r.code !== 0) {
    throw new SourceError(
      `The WAL archive ${dir} is not readable by the OS user "${user.name}" that replays it; make it (and its parents) readable, e.g. chmod o+rx.`
    );
  }
}
async function restoreBaseBackup(bins, source, dataDir, reporter) {
  const probe = await probeBaseBackup(source, reporter);
  const explain = {
    backupEnd: probe.backupEnd.lsn ? `consistent from WAL location ${probe.backupEnd.lsn}${probe.backupEnd.time ? `, ${probe.backupEnd.time}` : ""}` : `started at ${probe.backup.startLsn}`,
    archiveEnd: probe.archive ? `its last segment is ${probe.archive.segments.at(-1)} in ${probe.archive.dir}` : "no archive given"
  };
  let outcome;
  let fromKeptState;
  if (source.keepRecoveryState) {
    fromKeptState = await continueKeptState({ bins, source, probe, dataDir, reporter, explain });
    outcome = await runRecovery({ bins, dataDir, archiveDir: source.walArchive, target: probe.target, action: "promote", reporter, explain });
  } else {
    reporter.info(`Restoring base backup ${source.path}`);
    await placeBaseBackup(source.path, probe.backup, dataDir);
    refuseTargetPastArchive(probe, Number((await controlData(bins, dataDir)).get("Bytes per WAL segment")), explain);
    outcome = await runRecovery({ bins, dataDir, archiveDir: source.walArchive, target: probe.target, action: "promote", reporter, explain });
  }
  const control = await controlData(bins, dataDir);
  return backupChainRecord(probe, outcome, control, fromKeptState);
}
function refuseTargetPastArchive(p, segmentBytes, explain) {
  const last = p.archive?.segments.at(-1);
  if (!last || !Number.isInteger(segmentBytes) || segmentBytes <= 0) return;
  const end = segmentEndLsn(last, segmentBytes);
  explain.archiveEnd = `its last segment is ${last}, ending at WAL location ${end}`;
  if (p.target.kind === "lsn" && lsnToBigInt(p.target.value) > lsnToBigInt(end)) {
    throw new SourceError(
      `The recovery target ${describeTarget(p.target)} is past the end of the WAL archive (${explain.archiveEnd}). Archive newer WAL first (on the source, SELECT pg_switch_wal() closes the current segment) or choose an earlier target.`
    );
  }
}
function backupChainRecord(p, o, control, kept) {
  const t = p.target;
  const record2 = {
    method: "pg_basebackup + WAL archive (point-in-time recovery)",
    format: p.backup.format,
    label: p.backup.label,
    systemIdentifier: control.get("Database system identifier"),
    startLsn: p.backup.startLsn,
    checkpointLsn: p.backup.checkpointLsn,
    stopLsn: p.backupEnd.lsn,
    startTimeline: p.backup.startTimeline,
    stopTimeline: p.history?.stopTimeline ?? p.backup.manifestTimeline,
    startTime: p.backup.startTime,
    stopTime: p.backupEnd.time,
    recoveryTarget: t.kind === "end" ? { kind: "end-of-archive" } : { kind: t.kind, value: t.value, inclusive: true, action: "promote" },
    recoveryStopped: o.stoppedAt,
    lastReplayedLsn: o.lastReplayedLsn,
    lastTransactionTime: o.lastTransactionTime,
    timelineAfterPromotion: o.timeline ?? Number(control.get("Latest checkpoint's TimeLineID")),
    archive: p.archive ? {
      firstSegmentUsed: o.restoredSegments[0],
      lastSegmentUsed: o.restoredSegments.at(-1),
      segmentsRestored: o.restoredSegments.length,
      archiveFirstSegment: p.archive.segments[0],
      archiveLastSegment: p.archive.segments.at(-1)
    } : void 0,
    keptRecoveryState: kept
  };
  return JSON.parse(JSON.stringify(record2));
}
var import_node_path38;
var init_pitr = __esm({
  "packages/core/src/engine/postgres/pitr.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_path38 = __toESM(require("node:path"), 1);
    init_errors();
    init_exec();
    init_binaries();
    init_baseBackup();
    init_osUser();
    init_recoveryState();
    init_recoveryServer();
    init_recoveryTarget();
    init_walArchive();
  }
});

// packages/core/src/engine/postgres/probe.ts
async function readToc(file) {
  const bins = await findBinaries();
  try {
    const { stdout } = await run(bins.bin("pg_restore"), ["-l", file]);
    return parseTocHeader(stdout);
  } catch (e) {
    if (e instanceof CommandError) {
      throw new SourceError(
        `${file} cannot be read by ${bins.bin("pg_restore")} (PostgreSQL ${bins.major}): ${e.stderr.trim()}. A dump made by a newer pg_dump needs newer client binaries (apt-get install postgresql-client-<major>, or set PG_BIN).`
      );
    }
    throw e;
  }
}
async function probeDump(file) {
  const kind = await detectDumpKind(file);
  if (kind === "custom" || kind === "directory" || kind === "tar") {
    const toc = await readToc(file);
    const db = toc.database ? `, database ${toc.database}` : "";
    return { kind, description: `${kind} pg_dump archive ${import_node_path39.default.basename(file)}${db}`, version: toc.version };
  }
  await checkDumpScript(file);
  return { kind, description: `${kind === "dumpall" ? "pg_dumpall script" : "plain SQL dump"} ${import_node_path39.default.basename(file)}` };
}
async function probeDataDir(dir) {
  const pgVersion = import_node_path39.default.join(dir, "PG_VERSION");
  if (!(0, import_node_fs23.existsSync)(pgVersion) || !(0, import_node_fs23.existsSync)(import_node_path39.default.join(dir, "global", "pg_control"))) {
    throw new SourceError(`${dir} is not a PostgreSQL data directory (expected PG_VERSION and global/pg_control in it).`);
  }
  const version2 = (await (0, import_promises38.readFile)(pgVersion, "utf8")).trim();
  const major = majorOf(version2);
  if (!Number.isFinite(major)) throw new SourceError(`${pgVersion} holds "${version2}", which is not a PostgreSQL version.`);
  const pidFile = import_node_path39.default.join(dir, "postmaster.pid");
  if ((0, import_node_fs23.existsSync)(pidFile)) {
    const pid = Number.parseInt((await (0, import_promises38.readFile)(pidFile, "utf8")).split("\n")[0] ?? "", 10);
    if (pid > 0 && isAlive(pid)) {
      throw new SourceError(
        `${dir} is in use by a running PostgreSQL (pid ${pid}). Stop it first (pg_ctl stop -D ${dir} -m fast) or use the live server as a source instead.`
      );
    }
  }
  const tablespaces = (0, import_node_fs23.existsSync)(import_node_path39.default.join(dir, "pg_tblspc")) ? await (0, import_promises38.readdir)(import_node_path39.default.join(dir, "pg_tblspc")) : [];
  if (tablespaces.length > 0) {
    throw new NotSupportedError(
      `${dir} uses tablespaces outside the data directory (${tablespaces.join(", ")}); dbclone images hold a single data directory. Use a dump instead.`
    );
  }
  await findBinaries(major);
  return { description: `PostgreSQL ${major} data directory ${import_node_path39.default.basename(import_node_path39.default.resolve(dir))}`, version: version2, major };
}
async function probeServer(url) {
  const shown = redactUrl(url);
  const client = new import_pg5.default.Client({ connectionString: url, connectionTimeoutMillis: 15e3 });
  let version2;
  let canReplicate;
  try {
    await client.connect();
    version2 = (await client.query("SELECT current_setting('server_version') AS v")).rows[0].v;
    const r = await client.query("SELECT rolreplication OR rolsuper AS ok FROM pg_roles WHERE rolname = current_user");
    canReplicate = r.rows[0]?.ok === true;
  } catch (e) {
    throw new SourceError(`Could not connect to ${shown}: ${e.message}. Check host, port, user and password.`);
  } finally {
    await client.end().catch(() => {
    });
  }
  if (!canReplicate) {
    throw new SourceError(
      `The user of ${shown} may not take a base backup: grant it REPLICATION (ALTER ROLE \u2026 REPLICATION) and allow it in pg_hba.conf for "replication".`
    );
  }
  const clean = /^(\d+(?:\.\d+)?)/.exec(version2)?.[1] ?? version2;
  const major = majorOf(clean);
  await findBinaries(major);
  return { description: `PostgreSQL ${clean} server ${shown}`, version: clean, major };
}
async function probeSource(source) {
  switch (source.kind) {
    case "dump": {
      const { description, version: version2 } = await probeDump(source.path);
      return { description, version: version2 };
    }
    case "datadir": {
      const { description, version: version2 } = await probeDataDir(source.path);
      return { description, version: version2 };
    }
    case "server": {
      const { description, version: version2 } = await probeServer(source.url);
      return { description, version: version2 };
    }
    case "basebackup": {
      const { description, version: version2 } = await probeBaseBackup(source);
      return { description, version: version2 };
    }
    case "backup-chain":
      throw new NotSupportedError(
        "A backup chain (.bak + differential + logs) is a SQL Server source; for PostgreSQL use a dump, a data directory, a server URL or a base backup with a WAL archive."
      );
  }
}
var import_node_fs23, import_promises38, import_node_path39, import_pg5;
var init_probe = __esm({
  "packages/core/src/engine/postgres/probe.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs23 = require("node:fs");
    import_promises38 = require("node:fs/promises");
    import_node_path39 = __toESM(require("node:path"), 1);
    import_pg5 = __toESM(require_pg(), 1);
    init_errors();
    init_exec();
    init_binaries();
    init_dumpFile();
    init_dumpScript();
    init_pitr();
    init_url();
  }
});

// packages/core/src/engine/postgres/buildServer.ts
async function startBuildServer(bins, dataDir, adminUser, timeoutMs = 12e4) {
  const socketDir = await (0, import_promises39.mkdtemp)(import_node_path40.default.join(import_node_os7.default.tmpdir(), "dbclone-pg-"));
  try {
    await (0, import_promises39.chmod)(socketDir, 448);
    await giveToServerUser(socketDir);
    const hbaFile = import_node_path40.default.join(socketDir, "pg_hba.conf");
    await writeServerFile(hbaFile, LOCAL_TRUST_HBA);
    const logFile = import_node_path40.default.join(socketDir, "postgres.log");
    const { pid } = await launchPostgres({
      bins,
      dataDir,
      socketDir,
      port: BUILD_PORT,
      settings: { ...commonSettings(dataDir, socketDir, hbaFile), ...BUILD_SETTINGS, cluster_name: "dbclone-build" },
      logFile,
      connectUser: adminUser,
      timeoutMs
    });
    return { pid, port: BUILD_PORT, socketDir, adminUser, logFile };
  } catch (e) {
    await (0, import_promises39.rm)(socketDir, { recursive: true, force: true });
    throw e;
  }
}
async function stopBuildServer(s) {
  try {
    await stopPostgres(s.pid, { fast: true });
  } finally {
    await (0, import_promises39.rm)(s.socketDir, { recursive: true, force: true });
  }
}
var import_promises39, import_node_os7, import_node_path40, BUILD_PORT;
var init_buildServer = __esm({
  "packages/core/src/engine/postgres/buildServer.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises39 = require("node:fs/promises");
    import_node_os7 = __toESM(require("node:os"), 1);
    import_node_path40 = __toESM(require("node:path"), 1);
    init_config();
    init_launch();
    init_osUser();
    BUILD_PORT = 5432;
  }
});

// packages/core/src/engine/postgres/restoreDump.ts
async function prepareDatabase(s, name, file, filled) {
  if (filled.has(name)) {
    throw new SourceError(`${file} would restore into database "${name}", which another source already filled. Give the sources distinct database names.`);
  }
  const found = await withAdmin(
    s,
    "template1",
    async (c) => (await c.query("SELECT datistemplate FROM pg_database WHERE datname = $1", [name])).rows[0]
  );
  if (found?.datistemplate) {
    throw new SourceError(
      `${file} would restore into the template database "${name}", which an image does not carry. Dump the data from a database with another name.`
    );
  }
  if (!found) {
    await withAdmin(s, "template1", (c) => c.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0 ENCODING 'UTF8'`));
  } else if (!await isEmptyDatabase(s, name)) {
    throw new SourceError(
      `${file} would restore into database "${name}", which the base source already holds with objects of its own. Give this source another database name.`
    );
  }
  filled.add(name);
}
async function isEmptyDatabase(s, name) {
  return withAdmin(s, name, async (c) => {
    const r = await c.query(
      `SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%')
            + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
            + (SELECT count(*) FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname NOT LIKE 'pg\\_%') AS n`
    );
    return Number(r.rows[0].n) === 0;
  });
}
async function rolesNamedInScript(file) {
  const roles = /* @__PURE__ */ new Set();
  const lines = (0, import_node_readline.createInterface)({ input: (0, import_node_fs24.createReadStream)(file, "utf8"), crlfDelay: Infinity });
  const pattern = /^(?:ALTER .+ OWNER TO|GRANT .+ TO) (.+);$/;
  for await (const line of lines) {
    const m = pattern.exec(line);
    if (!m) continue;
    for (const part of m[1].replace(/ WITH GRANT OPTION$/, "").split(/,\s*/)) {
      const quoted = /^"((?:[^"]|"")+)"$/.exec(part);
      const name = quoted ? quoted[1].replace(/""/g, '"') : /^[a-z_][a-z0-9_$]*$/.test(part) ? part : void 0;
      if (name && name !== "PUBLIC" && name !== "public") roles.add(name);
    }
  }
  return roles;
}
async function ensureRoles(c, roles) {
  for (const role of roles) {
    const exists2 = await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
    if (exists2.rowCount) continue;
    const stmt = await c.query("SELECT format('CREATE ROLE %I NOLOGIN', $1::text) AS sql", [role]);
    await c.query(stmt.rows[0].sql);
  }
}
async function runRestoreTool(file, program2, args, what, stdin) {
  const fh = stdin ? void 0 : await (0, import_promises40.open)(file, import_node_fs24.constants.O_RDONLY | import_node_fs24.constants.O_NOFOLLOW);
  try {
    await run(program2, args, { asUser: serverUser().asUser, cwd: "/", stdin: stdin ?? fh.fd, timeoutMs: DAY_MS });
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
    throw new SourceError(`Restoring ${what} ${file} failed: ${withoutDataLines(e.stderr.trim()).split("\n").slice(-8).join("\n")}`);
  } finally {
    await fh?.close();
  }
}
async function* scriptLines(file, drop) {
  let inCopy = false;
  for await (const line of readScriptLines(file)) {
    if (!inCopy && drop(line)) continue;
    if (!inCopy && /^COPY .* FROM stdin;$/.test(line)) inCopy = true;
    else if (inCopy && isCopyEnd(line)) inCopy = false;
    yield Buffer.from(`${line}
`, "latin1");
  }
}
async function restoreDump(bins, s, source, filled = /* @__PURE__ */ new Set()) {
  const kind = await detectDumpKind(source.path);
  if (kind === "dumpall") {
    const dbs = [...await restoreDumpall(bins, s, source.path)];
    for (const db2 of dbs) filled.add(db2);
    return dbs;
  }
  if (kind === "plain") {
    const facts = await checkDumpScript(source.path);
    const db2 = source.database ?? databaseNameFromFile(source.path);
    await prepareDatabase(s, db2, source.path, filled);
    await withAdmin(s, db2, async (c) => ensureRoles(c, await rolesNamedInScript(source.path)));
    const key = (0, import_node_crypto7.randomBytes)(16).toString("hex");
    const wall = facts.connects ? [] : ["-c", `\\restrict ${key}`];
    const lines = facts.connects ? void 0 : import_node_stream.Readable.from(scriptLines(source.path, (l) => /^\\(?:un)?restrict [A-Za-z0-9]+$/.test(l)));
    await runRestoreTool(source.path, bins.bin("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", ...connArgs(s, db2), ...wall, "-f", "-"], "the SQL dump", lines);
    return [db2];
  }
  const db = source.database ?? (await readToc(source.path)).database ?? databaseNameFromFile(source.path);
  await prepareDatabase(s, db, source.path, filled);
  const args = [...connArgs(s, db), "--no-owner", "--no-privileges", "--exit-on-error"];
  if (kind === "directory") {
    const readable = (await run("test", ["-r", import_node_path41.default.join(source.path, "toc.dat")], { asUser: serverUser().asUser, cwd: "/", allowFailure: true })).code === 0;
    try {
      await run(bins.bin("pg_restore"), [...args, "-j", "2", source.path], { asUser: readable ? serverUser().asUser : void 0, cwd: "/", timeoutMs: DAY_MS });
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      throw new SourceError(`Restoring the archive ${source.path} failed: ${withoutDataLines(e.stderr.trim()).split("\n").slice(-8).join("\n")}`);
    }
    return [db];
  }
  await runRestoreTool(source.path, bins.bin("pg_restore"), args, "the archive");
  return [db];
}
async function restoreDumpall(bins, s, file) {
  await checkDumpScript(file);
  const before = new Set(
    await withAdmin(s, "postgres", async (c) => (await c.query("SELECT datname FROM pg_database")).rows.map((r) => r.datname))
  );
  const ownAdmin = /* @__PURE__ */ new Set([`CREATE ROLE ${s.adminUser};`, `CREATE ROLE ${quoteIdent(s.adminUser)};`]);
  const lines = import_node_stream.Readable.from(scriptLines(file, (l) => ownAdmin.has(l)));
  await runRestoreTool(file, bins.bin("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", ...connArgs(s, "postgres"), "-f", "-"], "the pg_dumpall script", lines);
  const after = await withAdmin(
    s,
    "postgres",
    async (c) => (await c.query("SELECT datname FROM pg_database WHERE NOT datistemplate")).rows.map((r) => r.datname)
  );
  return new Set(after.filter((d) => !before.has(d) || d === "postgres"));
}
var import_node_crypto7, import_node_fs24, import_promises40, import_node_path41, import_node_readline, import_node_stream, DAY_MS, connArgs;
var init_restoreDump = __esm({
  "packages/core/src/engine/postgres/restoreDump.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_crypto7 = require("node:crypto");
    import_node_fs24 = require("node:fs");
    import_promises40 = require("node:fs/promises");
    import_node_path41 = __toESM(require("node:path"), 1);
    import_node_readline = require("node:readline");
    import_node_stream = require("node:stream");
    init_errors();
    init_exec();
    init_client();
    init_dumpFile();
    init_dumpScript();
    init_errorText();
    init_osUser();
    init_probe();
    init_sql();
    DAY_MS = 24 * 36e5;
    connArgs = (s, db) => ["-h", s.socketDir, "-p", String(s.port), "-U", s.adminUser, "-d", db];
  }
});

// packages/core/src/engine/postgres/role-passwords.ts
async function forgetRolePasswords(server, database, fail) {
  const databases = await withCatalogOnly(server, database, async (c) => {
    const roles = await c.query("SELECT format('ALTER ROLE %I PASSWORD NULL', rolname) AS sql FROM pg_authid WHERE rolpassword IS NOT NULL");
    for (const r of roles.rows) await c.query(r.sql);
    await c.query("VACUUM FULL pg_catalog.pg_authid");
    return connectableDatabases(c);
  });
  for (const db of databases) {
    await withCatalogOnly(server, db, async (c) => {
      await c.query("DELETE FROM pg_catalog.pg_statistic WHERE starelid = 'pg_catalog.pg_authid'::regclass");
      await c.query("ANALYZE pg_catalog.pg_authid");
      await c.query("VACUUM FULL pg_catalog.pg_statistic");
    });
  }
  const left = await withCatalogOnly(server, database, (c) => c.query("SELECT 1 FROM pg_authid WHERE rolpassword IS NOT NULL"));
  if (left.rowCount) throw fail(`${left.rowCount} role(s) still have a password after stripping.`);
}
var withCatalogOnly;
var init_role_passwords = __esm({
  "packages/core/src/engine/postgres/role-passwords.ts"() {
    "use strict";
    init_import_meta_url();
    init_client();
    withCatalogOnly = (server, db, fn) => withAdmin(server, db, fn, { catalogOnly: true });
  }
});

// packages/core/src/engine/postgres/restore.ts
async function restoreSources(sources, mountPath, reporter) {
  if (sources.length === 0) throw new SourceError("No sources given: name at least one dump, data directory or server URL.");
  const physical = sources.filter((s) => s.kind === "datadir" || s.kind === "server" || s.kind === "basebackup");
  const dumps = sources.filter((s) => s.kind === "dump");
  if (sources.some((s) => s.kind === "backup-chain")) {
    throw new NotSupportedError("A backup chain is a SQL Server source; PostgreSQL images take dumps, data directories or server URLs.");
  }
  if (physical.length > 1) {
    throw new SourceError(
      "Only one data directory, live server or base backup can be the base of an image (each is a whole cluster); add the others as dumps."
    );
  }
  let major;
  for (const s of physical) {
    major = (s.kind === "datadir" ? await probeDataDir(s.path) : s.kind === "basebackup" ? await probeBaseBackup(s) : await probeServer(s.url)).major;
  }
  for (const s of dumps) await probeDump(s.path);
  const bins = await findBinaries(major);
  const dataDir = dataDirOf(mountPath);
  await assertReachable(dataDir);
  const progress = reporter.progress("Restoring PostgreSQL sources", sources.length + 2);
  let step = 0;
  let adminUser = ADMIN_USER;
  let backupChain;
  const base = physical[0];
  if (base?.kind === "datadir") {
    reporter.info(`Copying data directory ${base.path}`);
    await copyDataDir(base.path, dataDir);
  } else if (base?.kind === "basebackup") {
    backupChain = await restoreBaseBackup(bins, base, dataDir, reporter);
  } else if (base?.kind === "server") {
    reporter.info("Taking a base backup of the live server");
    await baseBackup(bins, base.url, dataDir);
  } else {
    await initDataDir(bins, dataDir, adminUser);
  }
  if (base) adminUser = await bootstrapSuperuser(bins, dataDir);
  progress.update(++step);
  const server = await startBuildServer(bins, dataDir, adminUser);
  try {
    const filled = /* @__PURE__ */ new Set();
    for (const dump of dumps) {
      reporter.info(`Restoring ${dump.path}`);
      const dbs = await restoreDump(bins, server, dump, filled);
      reporter.debug(`${dump.path} \u2192 ${dbs.join(", ")}`);
      progress.update(++step);
    }
    const databases = await withAdmin(server, "template1", userDatabases);
    for (const db of databases) await withAdmin(server, db, (c) => c.query("ANALYZE"));
    await takeBackSourcePrivileges(server, reporter);
    await withAdmin(server, "template1", ensureOwnerRole);
    for (const db of databases) await withAdmin(server, db, handOverOwnership);
    await forgetSourceRolePasswords(server);
  } catch (e) {
    throw e instanceof SourceError || e instanceof NotSupportedError ? e : new BuildError(`Restore failed: ${e.message}`, { cause: e });
  } finally {
    await stopBuildServer(server);
  }
  await replaceSourceConfig(dataDir);
  const info = await finish(bins, mountPath, adminUser);
  progress.update(sources.length + 2);
  progress.finish(`Restored PostgreSQL ${info.version}`);
  return { kind: "postgres", version: info.version, rolePasswordsStripped: true, ...backupChain ? { backupChain } : {} };
}
async function forgetSourceRolePasswords(server) {
  const start2 = await withAdmin(
    server,
    "template1",
    async (c) => (await c.query("SELECT 1 FROM pg_database WHERE datname = 'postgres' AND datallowconn")).rowCount ? "postgres" : "template1"
  );
  await forgetRolePasswords(server, start2, (m) => new BuildError(`${m} The image was not built.`));
}
async function takeBackSourcePrivileges(server, reporter) {
  const settings = await withAdmin(server, "template1", (c) => resetCarriedSettings(c, (m) => new BuildError(`${m} The image was not built.`)), {
    catalogOnly: true
  });
  if (settings.length > 0)
    reporter.warn(
      `Reset ${settings.length} ALTER ROLE/DATABASE \u2026 SET setting(s) of the source that would undo the server's hardened settings: ${settings.slice(0, 5).map(describeSetting).join("; ")}${settings.length > 5 ? "; \u2026" : ""}.`
    );
  const reset = await withAdmin(server, "template1", resetReservedRoles, { catalogOnly: true });
  if (reset.length > 0) reporter.warn(`The source has role(s) named ${reset.join(", ")}, which dbclone reserves: stripped to bare NOLOGIN roles.`);
  for (const db of await withAdmin(server, "template1", connectableDatabases, { catalogOnly: true })) {
    const fail = (m) => new BuildError(`Database ${db}: ${m} The image was not built.`);
    const { taken, stripped, subscriptions, locked } = await withAdmin(
      server,
      db,
      async (c) => ({
        taken: await revokeWidenedSystemGrants(c),
        stripped: await dropForeignSecrets(c, fail),
        subscriptions: await dropSubscriptions(c, fail),
        locked: await lockUntrustedFunctions(c, fail)
      }),
      { catalogOnly: true }
    );
    if (locked.length > 0) {
      const shown = locked.slice(0, 3).map((f) => `${f.name} (${f.language})`).join(", ");
      reporter.warn(
        `Database ${db}: ${locked.length} function(s) in an untrusted language, which run outside PostgreSQL's sandbox, can no longer be run by the image's roles or a clone's login: ${shown}${locked.length > 3 ? ", \u2026" : ""}.`
      );
    }
    if (subscriptions.length > 0)
      reporter.warn(`Database ${db}: dropped logical subscription(s) ${subscriptions.join(", ")} (a clone must not connect to a publisher).`);
    for (const s of stripped) reporter.warn(`Database ${db}: took ${s.options} out of ${s.what} (a password, a file or a program outside the image).`);
    if (taken.length > 0) {
      const shown = taken.slice(0, 3).map(describeGrant).join("; ");
      reporter.warn(
        `Database ${db}: took back ${taken.length} privilege(s) on system objects the source granted beyond PostgreSQL's defaults (${shown}${taken.length > 3 ? "; \u2026" : ""}).`
      );
    }
  }
}
async function finish(bins, mountPath, adminUser) {
  const version2 = await binariesVersion(bins.dir);
  const info = { kind: "postgres", version: version2, adminUser };
  await writeEngineFile(mountPath, info);
  return info;
}
var init_restore = __esm({
  "packages/core/src/engine/postgres/restore.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_ownership();
    init_binaries();
    init_buildServer();
    init_client();
    init_dataDir();
    init_engineFile();
    init_config();
    init_osUser();
    init_pitr();
    init_probe();
    init_restoreDump();
    init_role_passwords();
    init_untrusted_functions();
    init_role_settings();
    init_foreign_access();
    init_source_privileges();
  }
});

// packages/core/src/engine/postgres/dataDirLinks.ts
function refuse2(mountPath, what) {
  throw new SourceError(
    `The data directory in ${mountPath} ${what}. dbclone builds images without it, so this image was altered or not made by dbclone; nothing was started. Rebuild or re-pull the image.`
  );
}
async function assertImageDataDir(mountPath) {
  const root = await (0, import_promises41.realpath)(mountPath);
  const dataDir = dataDirOf(mountPath);
  const top = await (0, import_promises41.lstat)(dataDir).catch(() => void 0);
  if (!top?.isDirectory()) refuse2(mountPath, `(${dataDir}) is ${top?.isSymbolicLink() ? "a symbolic link" : "missing or not a directory"}`);
  for (const name of await (0, import_promises41.readdir)(dataDir)) {
    const s = await (0, import_promises41.lstat)(import_node_path42.default.join(dataDir, name));
    if (s.isSymbolicLink()) {
      if (!LINK_ALLOWED.has(name)) refuse2(mountPath, `has a symbolic link ${name}`);
      const target = await (0, import_promises41.realpath)(import_node_path42.default.join(dataDir, name)).catch(() => void 0);
      if (!target || !isInside(target, root)) refuse2(mountPath, `has ${name} linking outside its disk`);
    }
    if (SIGNALS2.includes(name)) refuse2(mountPath, `has ${name}, which would start recovery from elsewhere`);
  }
  for (const entry of await (0, import_promises41.readdir)(import_node_path42.default.join(dataDir, "pg_tblspc")).catch(() => [])) {
    refuse2(mountPath, `has a tablespace link pg_tblspc/${entry}`);
  }
  await assertAutoConfEmpty(mountPath, import_node_path42.default.join(dataDir, "postgresql.auto.conf"));
}
async function assertAutoConfEmpty(mountPath, file) {
  const fh = await (0, import_promises41.open)(file, import_node_fs25.constants.O_RDONLY | import_node_fs25.constants.O_NOFOLLOW).catch((e) => {
    if (e.code === "ENOENT") return void 0;
    if (e.code === "ELOOP") refuse2(mountPath, "has postgresql.auto.conf as a symbolic link");
    throw e;
  });
  if (!fh) return;
  try {
    const st = await fh.stat();
    if (!st.isFile()) refuse2(mountPath, "has a postgresql.auto.conf that is not a file");
    if (st.size > AUTO_CONF_MAX_BYTES) refuse2(mountPath, `has a postgresql.auto.conf of ${st.size} bytes (dbclone writes it empty)`);
    const text = (await fh.readFile()).toString("utf8");
    const line = text.split("\n").findIndex((l) => l.trim() !== "" && !l.trim().startsWith("#"));
    if (line >= 0) refuse2(mountPath, `has a setting in postgresql.auto.conf (line ${line + 1})`);
  } finally {
    await fh.close();
  }
}
var import_node_fs25, import_promises41, import_node_path42, LINK_ALLOWED, SIGNALS2, AUTO_CONF_MAX_BYTES, isInside;
var init_dataDirLinks = __esm({
  "packages/core/src/engine/postgres/dataDirLinks.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs25 = require("node:fs");
    import_promises41 = require("node:fs/promises");
    import_node_path42 = __toESM(require("node:path"), 1);
    init_errors();
    init_engineFile();
    LINK_ALLOWED = /* @__PURE__ */ new Set(["pg_wal"]);
    SIGNALS2 = ["standby.signal", "recovery.signal"];
    AUTO_CONF_MAX_BYTES = 1 << 20;
    isInside = (target, root) => target === root || target.startsWith(root + import_node_path42.default.sep);
  }
});

// packages/core/src/engine/postgres/server.ts
async function prepareServer(mountPath, opts) {
  const dataDir = dataDirOf(mountPath);
  const host = opts.host ?? "127.0.0.1";
  const runDir = import_node_path43.default.resolve(opts.runDir);
  if (Buffer.byteLength(import_node_path43.default.join(runDir, `.s.PGSQL.${opts.port}`)) > MAX_SOCKET_PATH) {
    throw new UsageError(`The run directory ${runDir} is too long for a unix socket path (${MAX_SOCKET_PATH} bytes max); use a shorter one.`);
  }
  const [read, ...checks] = await Promise.allSettled([
    readEngineFile(mountPath),
    prepareRunDir(runDir),
    assertReachable(import_node_path43.default.join(dataDir, "PG_VERSION")),
    assertImageDataDir(mountPath)
  ]);
  for (const r of [read, ...checks]) if (r.status === "rejected") throw r.reason;
  const info = read.value;
  const bins = await findBinaries(majorOf(info.version));
  const hbaFile = import_node_path43.default.join(runDir, "pg_hba.conf");
  await writeServerFile(hbaFile, hbaContents(info.adminUser, host, opts.listenAll));
  const settings = {
    ...commonSettings(dataDir, runDir, hbaFile),
    listen_addresses: opts.listenAll ? "*" : host,
    ...durabilitySettings(opts.durability ?? "ephemeral")
  };
  if (opts.cloneId) {
    settings.cluster_name = opts.cloneId.replace(/[^\x20-\x7e]/g, "_");
    settings["dbclone.clone_id"] = opts.cloneId;
  }
  if (opts.imageDigest) settings["dbclone.image_digest"] = opts.imageDigest;
  const spec = {
    bins,
    dataDir,
    socketDir: runDir,
    port: opts.port,
    settings,
    logFile: import_node_path43.default.join(runDir, "postgres.log"),
    connectUser: info.adminUser,
    hba: { adminUser: info.adminUser, host },
    timeoutMs: opts.timeoutMs ?? 6e4,
    ...opts.readyDatabase ? { readyDatabase: opts.readyDatabase } : {}
  };
  return { spec, server: { host, port: opts.port, socketDir: runDir, adminUser: info.adminUser }, version: info.version };
}
async function prepareRunDir(runDir) {
  await (0, import_promises42.mkdir)(runDir, { recursive: true, mode: 448 });
  await (0, import_promises42.chmod)(runDir, 448);
  await giveToServerUser(runDir);
  await assertReachable(import_node_path43.default.join(runDir, "postgres.log"));
  await writeRunConfig(runDir);
}
async function startServer(mountPath, opts, reporter = silentReporter) {
  const { spec, server, version: version2 } = await prepareServer(mountPath, opts);
  const started = performance.now();
  let running;
  if (!opts.runtime || opts.runtime.kind === "host") {
    running = { ...server, pid: (await startHostProcess(serverLaunchOf(spec), { timeoutMs: spec.timeoutMs })).pid };
  } else {
    const launch = serverLaunchOf(spec, [import_node_path43.default.resolve(mountPath), spec.socketDir]);
    const handle = await opts.runtime.start(launch, {
      timeoutMs: spec.timeoutMs,
      labels: opts.runtimeLabels,
      name: opts.cloneId ? `dbclone-${opts.cloneId}` : void 0,
      reporter
    });
    running = { ...server, pid: handle.pid ?? 0, containerId: handle.containerId };
  }
  const where = running.containerId ? `container ${running.containerId.slice(0, 12)}` : `pid ${running.pid}`;
  reporter.debug(`PostgreSQL ${version2} ready on ${server.host}:${opts.port} in ${Math.round(performance.now() - started)} ms (${where})`);
  return running;
}
async function stopServer(server, opts = {}) {
  await dropReadySession(server);
  await stopPostgres(server.pid, { fast: opts.fast !== false });
}
var import_promises42, import_node_path43, MAX_SOCKET_PATH;
var init_server = __esm({
  "packages/core/src/engine/postgres/server.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises42 = require("node:fs/promises");
    import_node_path43 = __toESM(require("node:path"), 1);
    init_errors();
    init_reporter();
    init_binaries();
    init_config();
    init_engineFile();
    init_launch();
    init_host();
    init_dataDirLinks();
    init_osUser();
    init_ready_session();
    MAX_SOCKET_PATH = 107;
  }
});

// packages/core/src/engine/postgres/scrub.ts
async function scrub(server, reporter, opts = {}) {
  await grantCloneLoginGroup(server);
  const databases = await withAdmin(server, "template1", userDatabases);
  const jobs = Math.max(1, opts.jobs ?? import_node_os8.default.availableParallelism());
  const progress = reporter.progress(opts.full ? "VACUUM FULL + ANALYZE" : "VACUUM ANALYZE", databases.length);
  let done = 0;
  for (const db of databases) {
    if (opts.full && jobs > 1) await vacuumFullInParallel(server, db, jobs);
    else
      await withAdmin(server, db, async (c) => {
        await c.query(opts.full ? FULL : "VACUUM (FREEZE, ANALYZE)");
        if (opts.full) await c.query(STATISTICS);
      });
    progress.update(++done);
  }
  await withAdmin(server, "template1", (c) => c.query("CHECKPOINT"));
  progress.finish();
  await stopServer(server, { fast: true });
}
async function vacuumFullInParallel(server, db, jobs) {
  const relations = await withAdmin(
    server,
    db,
    async (c) => {
      const r = await c.query(
        `SELECT n.nspname AS schema, c.relname AS table, c.relkind::text AS kind
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'm', 'p') AND c.relpersistence <> 't'
         ORDER BY pg_total_relation_size(c.oid) DESC, n.nspname, c.relname`
      );
      return r.rows.map((x) => ({ name: qualifiedName(x.schema, x.table), kind: x.kind, catalog: x.schema === "pg_catalog" }));
    },
    { catalogOnly: true }
  );
  const user = relations.filter((r) => !r.catalog && r.kind !== "p");
  await mapLimit(
    user,
    jobs,
    (rel, _i, c) => c.query(`${FULL} ${rel.name}`),
    (lane) => withAdmin(server, db, lane)
  );
  await withAdmin(server, db, async (c) => {
    for (const rel of relations.filter((r) => r.kind === "p")) await c.query(`ANALYZE ${rel.name}`);
    for (const rel of relations.filter((r) => r.catalog)) await c.query(`${FULL} ${rel.name}`);
    await c.query(STATISTICS);
  });
}
var import_node_os8, FULL, STATISTICS;
var init_scrub = __esm({
  "packages/core/src/engine/postgres/scrub.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_os8 = __toESM(require("node:os"), 1);
    init_client();
    init_login_group();
    init_sql();
    init_map_limit();
    init_server();
    FULL = "VACUUM (FULL, FREEZE, ANALYZE)";
    STATISTICS = "VACUUM (FULL, FREEZE) pg_catalog.pg_statistic, pg_catalog.pg_statistic_ext_data";
  }
});

// packages/core/src/engine/postgres/staging-size.ts
async function stagingSize(sources, requested) {
  if (requested) return requested;
  let bytes = 0;
  for (const s of sources) if ("path" in s && s.path) bytes += await sizeOnDisk(s.path);
  return Math.max(8 * GiB2, Math.ceil(bytes * 4 / GiB2) * GiB2);
}
async function sizeOnDisk(p) {
  const st = await import_promises43.default.stat(p).catch(() => void 0);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const entry of await import_promises43.default.readdir(p, { withFileTypes: true })) total += await sizeOnDisk(import_node_path44.default.join(p, entry.name));
  return total;
}
var import_promises43, import_node_path44, GiB2;
var init_staging_size = __esm({
  "packages/core/src/engine/postgres/staging-size.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises43 = __toESM(require("node:fs/promises"), 1);
    import_node_path44 = __toESM(require("node:path"), 1);
    GiB2 = 1024 ** 3;
  }
});

// packages/core/src/engine/postgres/engine.ts
var import_node_fs26, PostgresEngine;
var init_engine = __esm({
  "packages/core/src/engine/postgres/engine.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs26 = require("node:fs");
    init_errors();
    init_reporter();
    init_binaries();
    init_copyFresh();
    init_engineFile();
    init_image_check();
    init_inventory();
    init_login();
    init_schema_snapshot();
    init_osUser();
    init_probe();
    init_scram();
    init_restore();
    init_scrub();
    init_staging_size();
    init_server();
    PostgresEngine = class {
      kind = "postgres";
      async checkPrerequisites() {
        const bins = await findBinaries();
        for (const p of ["initdb", "postgres", "pg_restore", "psql", "pg_resetwal", "pg_basebackup"]) {
          if (!(0, import_node_fs26.existsSync)(bins.bin(p))) {
            throw new MissingToolError(`${bins.bin(p)} is missing. Install it: apt-get install postgresql-${bins.major}.`);
          }
        }
        serverUser();
      }
      probeSource(source) {
        return probeSource(source);
      }
      restore(sources, mountPath, reporter = silentReporter) {
        return restoreSources(sources, mountPath, reporter);
      }
      start(mountPath, opts, reporter = silentReporter) {
        return startServer(mountPath, opts, reporter);
      }
      stop(server, opts) {
        return stopServer(server, opts);
      }
      inventory(server) {
        return inventory(server);
      }
      /** `opts.full` (VACUUM FULL) is what the masking step passes: no old row version survives. */
      scrub(server, reporter = silentReporter, opts) {
        return scrub(server, reporter, opts);
      }
      stagingSize(sources, requested) {
        return stagingSize(sources, requested);
      }
      copyFresh(fromMount, toMount, reporter = silentReporter) {
        return copyFresh(fromMount, toMount, reporter);
      }
      prepareLogin(login2) {
        prepareVerifier(login2.password);
      }
      createLogin(server, databases, opts) {
        return createLogin(server, databases, opts);
      }
      verifyIdentity(creds, cloneId, imageDigest) {
        return verifyIdentity(creds, cloneId, imageDigest);
      }
      createVerifiedLogin(server, databases, opts, identity) {
        return createVerifiedLogin(server, databases, opts, identity);
      }
      imageFindings(server) {
        return imageCatalogFindings(server);
      }
      credentials(login2, database) {
        const { user, password, host, port, databases } = login2;
        return { user, password, host, port, databases, connectionString: this.connectionString(login2, { withPassword: true, database }) };
      }
      /** postgresql://user[:password]@host:port/db; the first database when none is named ("postgres" when there is none). */
      connectionString(login2, opts) {
        const database = opts.database ?? login2.databases[0] ?? "postgres";
        return connectionString(login2.user, opts.withPassword ? login2.password : void 0, login2.host, login2.port, database);
      }
      schemaSnapshot(conn, databases) {
        return snapshotSchema(conn, databases);
      }
      async describe(mountPath) {
        const { kind, version: version2 } = await readEngineFile(mountPath);
        return { kind, version: version2 };
      }
    };
  }
});

// lazy-vendor:@faker-js/faker
var require_faker = __commonJS({
  "lazy-vendor:@faker-js/faker"(exports2, module2) {
    init_import_meta_url();
    var real;
    var load = () => real ??= require("./vendor/faker-js-faker.cjs");
    module2.exports = {};
    Object.defineProperty(module2.exports, "__esModule", { value: true });
    Object.defineProperty(module2.exports, "Faker", { enumerable: true, configurable: true, get: () => load()["Faker"] });
    Object.defineProperty(module2.exports, "base", { enumerable: true, configurable: true, get: () => load()["base"] });
    Object.defineProperty(module2.exports, "de", { enumerable: true, configurable: true, get: () => load()["de"] });
    Object.defineProperty(module2.exports, "de_AT", { enumerable: true, configurable: true, get: () => load()["de_AT"] });
    Object.defineProperty(module2.exports, "de_CH", { enumerable: true, configurable: true, get: () => load()["de_CH"] });
    Object.defineProperty(module2.exports, "en", { enumerable: true, configurable: true, get: () => load()["en"] });
    Object.defineProperty(module2.exports, "en_AU", { enumerable: true, configurable: true, get: () => load()["en_AU"] });
    Object.defineProperty(module2.exports, "en_CA", { enumerable: true, configurable: true, get: () => load()["en_CA"] });
    Object.defineProperty(module2.exports, "en_GB", { enumerable: true, configurable: true, get: () => load()["en_GB"] });
    Object.defineProperty(module2.exports, "en_IE", { enumerable: true, configurable: true, get: () => load()["en_IE"] });
    Object.defineProperty(module2.exports, "en_US", { enumerable: true, configurable: true, get: () => load()["en_US"] });
    Object.defineProperty(module2.exports, "es", { enumerable: true, configurable: true, get: () => load()["es"] });
    Object.defineProperty(module2.exports, "fr", { enumerable: true, configurable: true, get: () => load()["fr"] });
    Object.defineProperty(module2.exports, "it", { enumerable: true, configurable: true, get: () => load()["it"] });
    Object.defineProperty(module2.exports, "nl", { enumerable: true, configurable: true, get: () => load()["nl"] });
    Object.defineProperty(module2.exports, "pl", { enumerable: true, configurable: true, get: () => load()["pl"] });
    Object.defineProperty(module2.exports, "pt_BR", { enumerable: true, configurable: true, get: () => load()["pt_BR"] });
    Object.defineProperty(module2.exports, "pt_PT", { enumerable: true, configurable: true, get: () => load()["pt_PT"] });
    Object.defineProperty(module2.exports, "sv", { enumerable: true, configurable: true, get: () => load()["sv"] });
  }
});

// packages/core/src/engine/postgres/sample.ts
var import_faker, EMPTY_DATABASE_BYTES;
var init_sample = __esm({
  "packages/core/src/engine/postgres/sample.ts"() {
    "use strict";
    init_import_meta_url();
    import_faker = __toESM(require_faker(), 1);
    init_reporter();
    init_exec();
    init_binaries();
    init_buildServer();
    init_client();
    init_dataDir();
    init_engineFile();
    init_sql();
    EMPTY_DATABASE_BYTES = 7.5 * 1048576;
  }
});

// packages/core/src/engine/postgres/index.ts
var init_postgres = __esm({
  "packages/core/src/engine/postgres/index.ts"() {
    "use strict";
    init_import_meta_url();
    init_engine();
    init_sql();
    init_url();
    init_sample();
    init_launch();
    init_engineFile();
    init_login();
    init_binaries();
    init_buildServer();
    init_client();
    init_login_group();
    init_dataDir();
  }
});

// packages/core/src/engine/index.ts
var init_engine2 = __esm({
  "packages/core/src/engine/index.ts"() {
    "use strict";
    init_import_meta_url();
    init_postgres();
  }
});

// packages/core/src/engine/sqlserver/file-ops.ts
async function robocopy(args, reporter) {
  const r = await run("robocopy", args, { allowFailure: true, reporter, timeoutMs: 6 * 60 * 6e4 });
  if (!robocopySucceeded(r.code)) {
    throw new CommandError(
      `robocopy ${args.slice(0, 2).join(" -> ")} failed with exit ${r.code}; is the process elevated (backup privilege)?`,
      "robocopy",
      r.code,
      r.stdout + r.stderr
    );
  }
}
function windowsFileOps(reporter) {
  return {
    makeDir: async (dir) => void await (0, import_promises44.mkdir)(dir, { recursive: true }),
    copyTree: (from, to, opts) => robocopy(robocopyTreeArgs(from, to, opts?.excludeFiles), reporter),
    moveFile: async (from, to) => {
      const dir = import_node_path45.default.win32.dirname(to);
      await robocopy(robocopyMoveArgs(from, dir), reporter);
      const moved = import_node_path45.default.win32.join(dir, import_node_path45.default.win32.basename(from));
      if (moved.toLowerCase() !== to.toLowerCase()) await (0, import_promises44.rename)(moved, to);
    },
    writeText: (file, text) => (0, import_promises44.writeFile)(file, text, "utf8")
  };
}
var import_promises44, import_node_path45, QUIET, robocopyTreeArgs, robocopyMoveArgs, robocopySucceeded;
var init_file_ops = __esm({
  "packages/core/src/engine/sqlserver/file-ops.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises44 = require("node:fs/promises");
    import_node_path45 = __toESM(require("node:path"), 1);
    init_errors();
    init_exec();
    QUIET = ["/R:1", "/W:1", "/NP", "/NFL", "/NDL", "/NJH", "/NJS"];
    robocopyTreeArgs = (from, to, excludeFiles = []) => [
      from,
      to,
      "/E",
      "/B",
      "/COPY:DAT",
      "/DCOPY:DAT",
      "/XJ",
      ...excludeFiles.length ? ["/XF", ...excludeFiles] : [],
      ...QUIET
    ];
    robocopyMoveArgs = (from, toDir) => [
      import_node_path45.default.win32.dirname(from),
      toDir,
      import_node_path45.default.win32.basename(from),
      "/B",
      "/MOV",
      "/COPY:DAT",
      ...QUIET
    ];
    robocopySucceeded = (code) => code !== null && code >= 0 && code < 8;
  }
});

// packages/core/src/engine/sqlserver/layout.ts
async function readImageLayout(mountPath) {
  const file = import_node_path46.default.win32.join(mountPath, LAYOUT_FILE);
  let layout;
  try {
    layout = JSON.parse(await (0, import_promises45.readFile)(file, "utf8"));
  } catch (e) {
    throw new BuildError(`${file} could not be read (${e.message}); this disk is not a dbclone SQL Server image.`);
  }
  if (layout.version !== 1 || !Array.isArray(layout.databases))
    throw new BuildError(`${file} has an unknown layout version ${String(layout.version)}; upgrade dbclone.`);
  return layout;
}
var import_promises45, import_node_path46, LAYOUT_FILE;
var init_layout = __esm({
  "packages/core/src/engine/sqlserver/layout.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises45 = require("node:fs/promises");
    import_node_path46 = __toESM(require("node:path"), 1);
    init_errors();
    LAYOUT_FILE = "dbclone-layout.json";
  }
});

// packages/core/src/engine/sqlserver/connection.ts
function toMssqlConfig(c, purpose) {
  const base = {
    server: c.server,
    port: c.port,
    database: c.database ?? "master",
    // 0: no timeout. RESTORE, CHECKPOINT and index rebuilds of big databases run long.
    requestTimeout: purpose === "restore" ? 0 : 12e4,
    connectionTimeout: 3e4,
    pool: { max: 1, min: 0 },
    options: {
      encrypt: c.encrypt ?? true,
      trustServerCertificate: c.trustServerCertificate ?? false,
      instanceName: c.instanceName,
      appName: "dbclone"
    }
  };
  if (c.auth.kind === "sql") return { ...base, user: c.auth.user, password: c.auth.password };
  return {
    ...base,
    authentication: { type: "ntlm", options: { domain: c.auth.domain, userName: c.auth.user, password: c.auth.password } }
  };
}
function describeConnection(c) {
  const where = c.instanceName ? `${c.server}\\${c.instanceName}` : `${c.server}${c.port ? `,${c.port}` : ""}`;
  const who = c.auth.kind === "sql" ? c.auth.user : `${c.auth.domain}\\${c.auth.user} (NTLM)`;
  return `${who}@${where}`;
}
var init_connection = __esm({
  "packages/core/src/engine/sqlserver/connection.ts"() {
    "use strict";
    init_import_meta_url();
  }
});

// packages/core/src/engine/sqlserver/mssql-executor.ts
var mssql_executor_exports = {};
__export(mssql_executor_exports, {
  connectSqlServer: () => connectSqlServer
});
async function loadMssql() {
  const name = "mssql";
  try {
    const m = (0, import_node_module.createRequire)(importMetaUrl)(name);
    return m.default ?? m;
  } catch (first) {
    const beside = (0, import_node_url.fileURLToPath)(new URL("../mssql/index.cjs", importMetaUrl));
    try {
      const m = (0, import_node_module.createRequire)(importMetaUrl)(beside);
      return m.default ?? m;
    } catch {
      throw new NotSupportedError(
        `The SQL Server driver (npm package mssql) could not be loaded: ${first.message}, and ${beside} is missing. Use the published actions or CLI (dist/ holds the driver), or npm ci in a checkout.`
      );
    }
  }
}
async function connectSqlServer(c, purpose) {
  const sql = await loadMssql();
  const pool = new sql.ConnectionPool(toMssqlConfig(c, purpose));
  try {
    await pool.connect();
  } catch (e) {
    throw new CommandError(
      `Could not connect to SQL Server as ${describeConnection(c)}: ${e.message}. Check the server name, port or instance, the login, and encrypt/trustServerCertificate.`,
      "mssql connect",
      null,
      String(e.message)
    );
  }
  return {
    async execute(batch, params = {}, opts = {}) {
      const request = new sql.Request(pool);
      for (const [name, value] of Object.entries(params)) {
        if (typeof value === "string") request.input(name, sql.NVarChar(sql.MAX), value);
        else if (typeof value === "number" && Number.isInteger(value)) request.input(name, sql.BigInt, value);
        else request.input(name, value);
      }
      const onInfo = opts.onInfo;
      if (onInfo) request.on("info", (m) => onInfo({ number: m.number, message: m.message }));
      const result = await request.query(batch);
      return result.recordsets ?? [];
    },
    close: () => pool.close()
  };
}
var import_node_module, import_node_url;
var init_mssql_executor = __esm({
  "packages/core/src/engine/sqlserver/mssql-executor.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_module = require("node:module");
    import_node_url = require("node:url");
    init_errors();
    init_connection();
  }
});

// packages/core/src/engine/sqlserver/host.ts
function sqlServerConnectionFromEnv(env = process.env) {
  const where = env.DBCLONE_SQLSERVER?.trim() || "localhost";
  const m = /^([^,\\]+)(?:\\([^,]+))?(?:,(\d+))?$/.exec(where);
  if (!m) throw new UsageError(`DBCLONE_SQLSERVER='${where}' is not host, host,port or host\\INSTANCE.`);
  const user = env.DBCLONE_SQLSERVER_USER;
  const password = env.DBCLONE_SQLSERVER_PASSWORD ?? "";
  if (!user) {
    throw new UsageError(
      "Set DBCLONE_SQLSERVER_USER and DBCLONE_SQLSERVER_PASSWORD: a SQL login (e.g. sa), or DOMAIN\\user for Windows authentication over NTLM. The mssql driver cannot use the runner's own Windows identity (SSPI) without a password."
    );
  }
  const ntlm = /^([^\\]+)\\(.+)$/.exec(user);
  return {
    server: m[1],
    ...m[2] ? { instanceName: m[2] } : {},
    ...m[3] ? { port: Number(m[3]) } : {},
    auth: ntlm ? { kind: "ntlm", domain: ntlm[1], user: ntlm[2], password } : { kind: "sql", user, password },
    encrypt: isTrue(env.DBCLONE_SQLSERVER_ENCRYPT, true),
    trustServerCertificate: isTrue(env.DBCLONE_SQLSERVER_TRUST_CERT, false)
  };
}
function realSqlServerHost(env = process.env) {
  return {
    platform: process.platform,
    // Read on use, so a missing setting is reported only after the platform check.
    get connection() {
      return sqlServerConnectionFromEnv(env);
    },
    // Loaded on use: the mssql driver is only needed once a SQL Server is really reached.
    connect: async (purpose) => (await Promise.resolve().then(() => (init_mssql_executor(), mssql_executor_exports))).connectSqlServer(sqlServerConnectionFromEnv(env), purpose),
    disk: (stateDir2, reporter) => new VhdxDriver({ stateDir: stateDir2, reporter }),
    runner: (reporter) => realWindowsRunner({ reporter }),
    files: windowsFileOps(),
    readLayout: readImageLayout
  };
}
function sqlServerHost(env = process.env) {
  return installed ?? realSqlServerHost(env);
}
async function withSqlServer(host, purpose, work) {
  const exec = await host.connect(purpose);
  try {
    return await work(exec);
  } finally {
    await exec.close().catch(() => void 0);
  }
}
function adoConnectionString(c, login2, database, port) {
  const server = `${c.server}${c.instanceName ? `\\${c.instanceName}` : ""}${c.instanceName && !c.port ? "" : `,${port}`}`;
  return [
    `Server=${adoValue(server)}`,
    `Database=${adoValue(database)}`,
    `User Id=${adoValue(login2.user)}`,
    `Password=${adoValue(login2.password)}`,
    `Encrypt=${c.encrypt ?? true ? "True" : "False"}`,
    `TrustServerCertificate=${c.trustServerCertificate ? "True" : "False"}`
  ].join(";");
}
var isTrue, installed, adoValue, sqlServerPort, windowsCaller;
var init_host2 = __esm({
  "packages/core/src/engine/sqlserver/host.ts"() {
    "use strict";
    init_import_meta_url();
    init_vhdx();
    init_errors();
    init_powershell();
    init_file_ops();
    init_layout();
    isTrue = (v, dflt) => v === void 0 || v === "" ? dflt : /^(1|true|yes|on)$/i.test(v);
    adoValue = (v) => /[;='"]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
    sqlServerPort = (c) => c.port ?? 1433;
    windowsCaller = (c) => c.auth.kind === "ntlm" ? `${c.auth.domain}\\${c.auth.user}` : void 0;
  }
});

// packages/core/src/util/cleanup.ts
var CleanupStack;
var init_cleanup = __esm({
  "packages/core/src/util/cleanup.ts"() {
    "use strict";
    init_import_meta_url();
    CleanupStack = class {
      constructor(reporter) {
        this.reporter = reporter;
      }
      reporter;
      steps = [];
      push(label, release) {
        this.steps.push({ label, release });
      }
      /** Forget everything pushed so far: the work succeeded and now owns its resources. */
      dismiss() {
        this.steps.length = 0;
      }
      /** Release everything in reverse order; returns the failures (already reported as warnings). */
      async unwind() {
        const failures = [];
        while (this.steps.length > 0) {
          const step = this.steps.pop();
          try {
            await step.release();
          } catch (e) {
            const err = e;
            failures.push(err);
            this.reporter.warn(`cleanup: ${step.label} failed: ${err.message}`);
          }
        }
        return failures;
      }
    };
  }
});

// packages/core/src/engine/sqlserver/batches.ts
var init_batches = __esm({
  "packages/core/src/engine/sqlserver/batches.ts"() {
    "use strict";
    init_import_meta_url();
  }
});

// packages/core/src/engine/sqlserver/executor.ts
var firstRow;
var init_executor = __esm({
  "packages/core/src/engine/sqlserver/executor.ts"() {
    "use strict";
    init_import_meta_url();
    init_batches();
    firstRow = (sets) => sets[0]?.[0];
  }
});

// packages/core/src/engine/sqlserver/quote.ts
function quoteName(name) {
  if (name.length === 0) throw new UsageError("An empty SQL Server identifier is not allowed.");
  if (name.length > 128) throw new UsageError(`SQL Server identifiers hold at most 128 characters: ${name.slice(0, 40)}\u2026 has ${name.length}.`);
  if (name.includes("\0")) throw new UsageError(`A SQL Server identifier may not hold a NUL character: ${JSON.stringify(name)}.`);
  return `[${name.replace(/]/g, "]]")}]`;
}
function nString(value) {
  if (value.includes("\0")) throw new UsageError(`A T-SQL string literal may not hold a NUL character: ${JSON.stringify(value)}.`);
  return `N'${value.replace(/'/g, "''")}'`;
}
var init_quote = __esm({
  "packages/core/src/engine/sqlserver/quote.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
  }
});

// packages/core/src/engine/sqlserver/attach-sql.ts
function detachStatements(db, opts = {}) {
  const q = quoteName(db);
  const exclusive = `ALTER DATABASE ${q} SET SINGLE_USER WITH ROLLBACK IMMEDIATE;${opts.forImage ? ` ALTER DATABASE ${q} SET MULTI_USER;` : ""}`;
  return [
    { sql: `USE [master];
IF DB_ID(@db) IS NOT NULL BEGIN ${exclusive} END;`, params: { db } },
    { sql: "IF DB_ID(@db) IS NOT NULL EXEC master.sys.sp_detach_db @dbname = @db, @skipchecks = N'true';", params: { db } }
  ];
}
function attachCloneSql(db, files, opts = {}) {
  const options = ["NEW_BROKER", ...opts.filestreamDirectory ? [`FILESTREAM (DIRECTORY_NAME = ${nString(opts.filestreamDirectory)})`] : []];
  return `CREATE DATABASE ${quoteName(db)} ON
${fileSpecs(files)}
FOR ATTACH WITH ${options.join(", ")};`;
}
var multiUserSql, fileSpecs;
var init_attach_sql = __esm({
  "packages/core/src/engine/sqlserver/attach-sql.ts"() {
    "use strict";
    init_import_meta_url();
    init_quote();
    multiUserSql = (db) => `ALTER DATABASE ${quoteName(db)} SET MULTI_USER;`;
    fileSpecs = (files) => files.map((f) => `  (NAME = ${nString(f.logicalName)}, FILENAME = ${nString(f.path)})`).join(",\n");
  }
});

// packages/core/src/engine/sqlserver/login-sql.ts
function checkRoles(roles) {
  for (const r of roles) {
    if (!ALLOWED_ROLES.has(r)) {
      throw new UsageError(
        `Role '${r}' may not be given to a clone login; allowed: ${[...ALLOWED_ROLES].join(", ")}. db_owner would let a clone user change security.`
      );
    }
  }
}
function createLoginSql(login2, password, defaultDatabase) {
  return `CREATE LOGIN ${quoteName(login2)} WITH PASSWORD = ${nString(password)}, CHECK_POLICY = OFF, CHECK_EXPIRATION = OFF, DEFAULT_DATABASE = ${quoteName(defaultDatabase)};`;
}
function createUserSql(db, login2, roles) {
  checkRoles(roles);
  return [
    `USE ${quoteName(db)};`,
    `CREATE USER ${quoteName(login2)} FOR LOGIN ${quoteName(login2)};`,
    ...roles.map((r) => `ALTER ROLE ${quoteName(r)} ADD MEMBER ${quoteName(login2)};`),
    `GRANT EXECUTE TO ${quoteName(login2)};`,
    "USE [master];"
  ].join("\n");
}
function dropLoginSql(login2) {
  return [
    "DECLARE @kill nvarchar(max) = N'';",
    `SELECT @kill += N'KILL ' + CAST(session_id AS nvarchar(10)) + N';' FROM sys.dm_exec_sessions WHERE login_name = ${nString(login2)};`,
    "EXEC sys.sp_executesql @kill;",
    `IF SUSER_ID(${nString(login2)}) IS NOT NULL DROP LOGIN ${quoteName(login2)};`
  ].join("\n");
}
var DEFAULT_CLONE_ROLES, ALLOWED_ROLES, SERVICE_ACCOUNT, CONTAINED_AUTH_ENABLED;
var init_login_sql = __esm({
  "packages/core/src/engine/sqlserver/login-sql.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_quote();
    DEFAULT_CLONE_ROLES = ["db_datareader", "db_datawriter", "db_ddladmin"];
    ALLOWED_ROLES = /* @__PURE__ */ new Set(["db_datareader", "db_datawriter", "db_ddladmin", "db_backupoperator", "db_denydatareader", "db_denydatawriter"]);
    SERVICE_ACCOUNT = {
      sql: "SELECT TOP (1) service_account AS account, CAST(SERVERPROPERTY('InstanceName') AS nvarchar(128)) AS instance FROM sys.dm_server_services WHERE servicename LIKE N'SQL Server (%' ORDER BY servicename;",
      params: {}
    };
    CONTAINED_AUTH_ENABLED = {
      sql: "SELECT CAST(value_in_use AS int) AS enabled FROM sys.configurations WHERE name = N'contained database authentication';",
      params: {}
    };
  }
});

// packages/core/src/engine/sqlserver/icacls.ts
function filePrincipals(account, instance, windowsCaller2) {
  const out = [];
  for (const p of [serviceSidName(instance), WELL_KNOWN[account.trim().toLowerCase()] ?? account.trim(), windowsCaller2 ?? "", ADMINISTRATORS]) {
    if (p && !out.some((q) => q.toLowerCase() === p.toLowerCase())) out.push(p);
  }
  return out;
}
function icaclsSetOwnerArgs(folder) {
  return [folder, "/setowner", ADMINISTRATORS, "/T", "/C", "/Q"];
}
function icaclsGrantArgs(folder, principals) {
  return [folder, "/grant", ...principals.map((p) => `${p}:(OI)(CI)F`), "/T", "/C", "/Q"];
}
var WELL_KNOWN, serviceSidName, ADMINISTRATORS;
var init_icacls = __esm({
  "packages/core/src/engine/sqlserver/icacls.ts"() {
    "use strict";
    init_import_meta_url();
    WELL_KNOWN = {
      localsystem: "*S-1-5-18",
      "nt authority\\system": "*S-1-5-18",
      "nt authority\\localservice": "*S-1-5-19",
      "nt authority\\local service": "*S-1-5-19",
      "nt authority\\networkservice": "*S-1-5-20",
      "nt authority\\network service": "*S-1-5-20"
    };
    serviceSidName = (instance) => instance ? `NT SERVICE\\MSSQL$${instance}` : "NT SERVICE\\MSSQLSERVER";
    ADMINISTRATORS = "*S-1-5-32-544";
  }
});

// packages/core/src/engine/sqlserver/clone.ts
async function attachCloneDatabases(deps, opts, cleanup) {
  const { exec, runner } = deps;
  const { mountPath } = opts;
  const layout = await deps.readLayout(mountPath);
  if (layout.databases.some((d) => d.contained)) {
    const on = Number(firstRow(await exec.execute(CONTAINED_AUTH_ENABLED.sql, CONTAINED_AUTH_ENABLED.params))?.enabled ?? 0) === 1;
    if (!on) {
      throw new CloneError(
        "This image holds a contained database, which SQL Server attaches only with contained database authentication on (Msg 12824). Run once on this server: EXEC sp_configure 'contained database authentication', 1; RECONFIGURE; (docs/windows.md)."
      );
    }
  }
  const service = firstRow(await exec.execute(SERVICE_ACCOUNT.sql, SERVICE_ACCOUNT.params));
  const account = String(service?.account ?? "");
  if (!account) throw new CloneError("Could not read the SQL Server service account from sys.dm_server_services; the login needs VIEW SERVER STATE.");
  const instance = service?.instance == null ? null : String(service.instance);
  const databasesDir = import_node_path47.default.win32.join(mountPath, "databases");
  await runner.command("icacls", icaclsSetOwnerArgs(databasesDir));
  await runner.command("icacls", icaclsGrantArgs(databasesDir, filePrincipals(account, instance, opts.windowsCaller)));
  const attached = {};
  for (const [i, db] of layout.databases.entries()) {
    const name = cloneDatabaseName(db.name, opts.cloneId);
    const files = db.files.map((f) => ({ logicalName: f.logicalName, path: import_node_path47.default.win32.join(mountPath, f.path) }));
    const filestream = db.files.some((f) => f.kind === "FILESTREAM") ? { filestreamDirectory: `dbclone_${opts.cloneId}_${i}` } : {};
    await exec.execute(attachCloneSql(name, files, filestream));
    attached[db.name] = name;
    cleanup.push(`detach ${name}`, async () => {
      for (const s of detachStatements(name)) await exec.execute(s.sql, s.params);
    });
    await exec.execute(multiUserSql(name));
  }
  return attached;
}
async function createCloneLogin(exec, opts, cleanup) {
  const roles = opts.roles ?? DEFAULT_CLONE_ROLES;
  checkRoles(roles);
  await exec.execute(createLoginSql(opts.login, opts.password, opts.databases[0] ?? "master"));
  cleanup.push(`drop login ${opts.login}`, async () => void await exec.execute(dropLoginSql(opts.login)));
  for (const name of opts.databases) await exec.execute(createUserSql(name, opts.login, roles));
}
async function detachCloneDatabases(exec, reporter, cloneId, names) {
  const failures = [];
  const stillAttached = [];
  for (const name of names) {
    try {
      try {
        for (const s of detachStatements(name)) await exec.execute(s.sql, s.params);
      } catch (e) {
        reporter.warn(`teardown of ${cloneId}: detach ${name} failed (${e.message}); dropping it instead`);
        await exec.execute(`USE [master];
IF DB_ID(@db) IS NOT NULL DROP DATABASE ${quoteName(name)};`, { db: name });
      }
    } catch (e) {
      failures.push(`detach ${name}: ${e.message}`);
      reporter.warn(`teardown of ${cloneId}: detach ${name} failed: ${e.message}`);
    }
    const left = await exec.execute("SELECT DB_ID(@db) AS id;", { db: name }).catch(() => [[{ id: -1 }]]);
    if (firstRow(left)?.id != null) stillAttached.push(name);
  }
  return { failures, stillAttached };
}
var import_node_path47, cloneDatabaseName, stillAttachedFailure, teardownError;
var init_clone2 = __esm({
  "packages/core/src/engine/sqlserver/clone.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_path47 = __toESM(require("node:path"), 1);
    init_errors();
    init_cleanup();
    init_executor();
    init_attach_sql();
    init_login_sql();
    init_icacls();
    init_quote();
    cloneDatabaseName = (db, cloneId) => `${db.slice(0, 120 - cloneId.length)}__${cloneId}`;
    stillAttachedFailure = (names) => `${names.join(", ")} still attached: the child disk stays mounted`;
    teardownError = (cloneId, failures) => new CloneError(`Teardown of clone ${cloneId} left work undone:
- ${failures.join("\n- ")}
Run dbclone gc to retry.`);
  }
});

// packages/core/src/engine/sqlserver/verify-sql.ts
function verifyCloneSql(db, login2, cloneId) {
  const sql = [
    "USE [master];",
    "IF DB_ID(@db) IS NULL OR CAST(DATABASEPROPERTYEX(@db, 'Status') AS nvarchar(60)) <> N'ONLINE'",
    "  THROW 50001, N'The clone''s database is not attached and online.', 1;",
    "IF EXISTS (SELECT 1 FROM sys.master_files WHERE database_id = DB_ID(@db) AND CHARINDEX(@marker, physical_name) = 0)",
    "  THROW 50002, N'A file of the clone''s database is not on the clone''s own disk.', 1;",
    `IF NOT EXISTS (SELECT 1 FROM ${quoteName(db)}.sys.database_principals p JOIN sys.server_principals s ON p.sid = s.sid WHERE s.name = @login)`,
    "  THROW 50003, N'The clone''s login is not a user of its database.', 1;"
  ].join("\n");
  return { sql, params: { db, login: login2, marker: cloneId } };
}
var init_verify_sql = __esm({
  "packages/core/src/engine/sqlserver/verify-sql.ts"() {
    "use strict";
    init_import_meta_url();
    init_quote();
  }
});

// packages/core/src/engine/sqlserver/engine.ts
function attachedName(databases, asked) {
  if (asked === void 0 || databases.includes(asked)) return asked;
  return databases.find((d) => {
    const at = d.lastIndexOf("__");
    return at > 0 && cloneDatabaseName(asked, d.slice(at + 2)) === d;
  });
}
var SqlServerEngine;
var init_engine3 = __esm({
  "packages/core/src/engine/sqlserver/engine.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_reporter();
    init_cleanup();
    init_clone2();
    init_host2();
    init_login_sql();
    init_verify_sql();
    SqlServerEngine = class {
      constructor(host = sqlServerHost()) {
        this.host = host;
      }
      host;
      kind = "sqlserver";
      cloneEndpoint(cloneId) {
        const { connection } = this.host;
        return { host: connection.server, port: sqlServerPort(connection), user: `dbclone_${cloneId}` };
      }
      /** Attach every database of the mounted child under its per-clone name; a failure detaches the ones attached. */
      async start(mountPath, opts, reporter) {
        if (!opts.cloneId) throw new CloneError("a SQL Server clone is attached under its clone id, and none was given");
        const cloneId = opts.cloneId;
        const attached = await this.withExec(async (exec) => {
          const cleanup = new CleanupStack(reporter);
          try {
            const names = await attachCloneDatabases(
              { exec, runner: this.host.runner(reporter), readLayout: this.host.readLayout },
              { cloneId, mountPath, windowsCaller: windowsCaller(this.host.connection) },
              cleanup
            );
            cleanup.dismiss();
            return Object.values(names);
          } catch (e) {
            await cleanup.unwind();
            throw e;
          }
        });
        const { host, port } = this.cloneEndpoint(cloneId);
        return { pid: 0, host, port, adminUser: "", databases: attached, cloneId };
      }
      /** Detach the clone's databases (DROP DATABASE when detach fails); a database left attached keeps its disk mounted. */
      async stop(server) {
        if (!server.cloneId) throw new CloneError("a SQL Server clone is detached by its clone id, and none was recorded");
        const cloneId = server.cloneId;
        const names = (server.databases ?? []).map((d) => d.endsWith(`__${cloneId}`) ? d : cloneDatabaseName(d, cloneId));
        const { failures, stillAttached } = await this.withExec((exec) => detachCloneDatabases(exec, silentReporter, cloneId, names));
        if (stillAttached.length > 0) failures.push(stillAttachedFailure(stillAttached));
        if (failures.length > 0) throw teardownError(cloneId, failures);
      }
      async createLogin(server, databases, opts) {
        await this.withExec(async (exec) => {
          const cleanup = new CleanupStack(silentReporter);
          try {
            await createCloneLogin(exec, { login: opts.user, password: opts.password, databases }, cleanup);
            cleanup.dismiss();
          } catch (e) {
            await cleanup.unwind();
            throw e;
          }
        });
        return this.credentials({ user: opts.user, password: opts.password, host: server.host, port: server.port, databases });
      }
      async dropLogin(_server, user) {
        await this.withExec((exec) => exec.execute(dropLoginSql(user)));
      }
      /**
       * Fail closed on the server: every database is attached under this clone's name, online, its
       * files on this clone's own disk, and the login is a user in it. The image digest is not stored
       * in an attached database, so the clone id in names and paths is what identifies it.
       */
      async verifyIdentity(creds, cloneId) {
        await this.withExec(async (exec) => {
          for (const db of creds.databases) {
            if (!db.endsWith(`__${cloneId}`)) throw new CloneError(`database ${db} is not attached under clone ${cloneId}'s name`);
            const check = verifyCloneSql(db, creds.user, cloneId);
            await exec.execute(check.sql, check.params);
          }
        });
      }
      credentials(login2, database) {
        const { user, password, host, port, databases } = login2;
        return { user, password, host, port, databases, connectionString: this.connectionString(login2, { withPassword: true, database }) };
      }
      /** An ADO.NET-style string (Server=…;Database=…); without the password it shows Password=*** (docs/windows.md). */
      connectionString(login2, opts) {
        const database = attachedName(login2.databases, opts.database) ?? login2.databases[0] ?? "master";
        const text = adoConnectionString(this.host.connection, login2, database, login2.port);
        return opts.withPassword ? text : text.replace(/Password=("(?:[^"]|"")*"|[^;]*)/, "Password=***");
      }
      /** `restore`: no request timeout (a build's RESTORE, masking and scrub of a large database take long). */
      withExec(work, purpose = "query") {
        return withSqlServer(this.host, purpose, work);
      }
    };
  }
});

// packages/core/src/platform/disk-names.ts
var CLONE_DISK_FORMATS;
var init_disk_names = __esm({
  "packages/core/src/platform/disk-names.ts"() {
    "use strict";
    init_import_meta_url();
    CLONE_DISK_FORMATS = { qcow2: "qcow2", reflink: "qcow2", vhdx: "vhdx" };
  }
});

// packages/core/src/platform/registry.ts
function engineKinds() {
  return Object.keys(PLATFORMS);
}
function platformEntry(kind) {
  return PLATFORMS[kind];
}
function assertHostFor(kind) {
  const entry = platformEntry(kind);
  const platform = entry.hostPlatform();
  if (!entry.hosts.includes(platform)) throw new NotSupportedError(entry.wrongHost(platform));
}
function engineConnection(kind) {
  return platformEntry(kind).connection();
}
var import_node_path48, stateDir, CLONE_DISKS, CLONE_DISK_NAMES, DEFAULT_ORDER, PLATFORMS;
var init_registry = __esm({
  "packages/core/src/platform/registry.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_path48 = __toESM(require("node:path"), 1);
    init_disk();
    init_engine2();
    init_osUser();
    init_host2();
    init_engine3();
    init_errors();
    init_disk_names();
    init_reporter();
    stateDir = (home) => import_node_path48.default.join(home, "state");
    CLONE_DISKS = {
      qcow2: { format: CLONE_DISK_FORMATS.qcow2, unavailable: qcow2UnavailableReason, make: (home) => new Qcow2Driver({ stateDir: stateDir(home) }) },
      reflink: {
        format: CLONE_DISK_FORMATS.reflink,
        unavailable: reflinkUnavailableReason,
        // An expanded image is walked as the database's OS user (root only mounts it).
        make: (home, reporter) => new ReflinkDriver({ home, stateDir: stateDir(home), reporter, checkAs: () => serverUser().asUser })
      },
      // The runner's own VHDX tooling, through the SQL Server host (tests inject a fake one).
      vhdx: {
        format: CLONE_DISK_FORMATS.vhdx,
        unavailable: () => sqlServerHost().platform === "win32" ? void 0 : "VHDX disks need a Windows runner",
        make: (home, reporter) => sqlServerHost().disk(stateDir(home), reporter ?? silentReporter)
      }
    };
    CLONE_DISK_NAMES = Object.keys(CLONE_DISKS);
    DEFAULT_ORDER = ["reflink", "qcow2"];
    PLATFORMS = {
      postgres: {
        os: "linux",
        hosts: ["linux"],
        hostPlatform: () => process.platform,
        wrongHost: (p) => `dbclone on ${p} is not supported yet: Linux runners with PostgreSQL work today.`,
        connection: () => new PostgresEngine(),
        engine: () => new PostgresEngine(),
        filesystem: "xfs",
        buildDriver: "qcow2",
        cloneDrivers: DEFAULT_ORDER,
        stagingName: "staging.qcow2",
        promotable: true,
        serverPerClone: true,
        sharedRestore: true
      },
      sqlserver: {
        os: "windows",
        hosts: ["win32"],
        hostPlatform: () => sqlServerHost().platform,
        wrongHost: (p) => `SQL Server images need a Windows runner with SQL Server; this is ${p}. Run this on windows-latest (docs/windows.md).`,
        connection: () => new SqlServerEngine(sqlServerHost()),
        engine: () => new SqlServerEngine(sqlServerHost()),
        filesystem: "ntfs",
        buildDriver: "vhdx",
        cloneDrivers: ["vhdx"],
        stagingName: "staging.vhdx",
        promotable: false,
        // A restore attaches its databases to the service under their own names, so each variant restores its own.
        sharedRestore: false,
        // Its clones are databases attached to the runner's SQL Server service, not processes of ours.
        serverPerClone: false
      }
    };
  }
});

// packages/core/src/platform/choose.ts
function asDiskName(name, source, allowed) {
  if (allowed.includes(name)) return name;
  throw new UsageError(`${source} must be one of ${allowed.join(", ")}, got '${name}'`);
}
function cloneDiskChoice(requested, env = process.env, preference = platformEntry("postgres").cloneDrivers) {
  let order;
  if (requested) order = [asDiskName(requested, "--disk", preference)];
  else if (env.DBCLONE_DISK && preference.length > 1) {
    const preferred = asDiskName(env.DBCLONE_DISK, "DBCLONE_DISK", preference);
    order = [preferred, ...preference.filter((n) => n !== preferred)];
  } else order = [...preference];
  const choice = { usable: [], skipped: [] };
  for (const name of order) {
    const reason = CLONE_DISKS[name].unavailable(env);
    if (reason) choice.skipped.push({ name, reason });
    else choice.usable.push(name);
  }
  if (requested && choice.usable.length === 0) {
    throw new NotSupportedError(`--disk ${requested} cannot be used on this host: ${choice.skipped[0].reason}.`);
  }
  return choice;
}
function diskDriverNamed(name, home, reporter) {
  return CLONE_DISKS[name].make(home, reporter);
}
function hostBuildDrivers(home, reporter) {
  const names = new Set(
    engineKinds().filter(servedHere).map((k) => platformEntry(k).buildDriver)
  );
  return [...names].map((n) => diskDriverNamed(n, home, reporter));
}
function allCloneDiskDrivers(home, reporter) {
  const served = engineKinds().filter(servedHere);
  const names = new Set(served.flatMap((k) => platformEntry(k).cloneDrivers));
  return [...names].map((n) => diskDriverNamed(n, home, reporter));
}
function platformWith(kind, home, disk, reporter) {
  assertHostFor(kind);
  const entry = platformEntry(kind);
  return { kind, entry, os: entry.os, driver: diskDriverNamed(disk, home, reporter), disk, engine: entry.engine(home) };
}
function platformForImage(kind, home, opts) {
  assertHostFor(kind);
  const choice = cloneDiskChoice(opts.disk, process.env, platformEntry(kind).cloneDrivers);
  const disk = choice.usable[0] ?? choice.skipped[0].name;
  for (const s of choice.skipped) if (s.name !== disk) opts.reporter.info(`Disk driver ${s.name} skipped: ${s.reason}.`);
  return platformWith(kind, home, disk, opts.reporter);
}
function diskOf(record2) {
  if (record2.disk) return record2.disk;
  if (record2.engine === "sqlserver") return "vhdx";
  return record2.attachment?.driver === "reflink" ? "reflink" : "qcow2";
}
function platformForRecord(record2, home, reporter) {
  return platformWith(record2.engine, home, diskOf(record2), reporter);
}
var servedHere;
var init_choose = __esm({
  "packages/core/src/platform/choose.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_registry();
    servedHere = (k) => platformEntry(k).hosts.includes(platformEntry(k).hostPlatform());
  }
});

// packages/core/src/engine/sqlserver/restore-sql.ts
var init_restore_sql = __esm({
  "packages/core/src/engine/sqlserver/restore-sql.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
  }
});

// packages/core/src/engine/sqlserver/scrub-sql.ts
var init_scrub_sql = __esm({
  "packages/core/src/engine/sqlserver/scrub-sql.ts"() {
    "use strict";
    init_import_meta_url();
    init_quote();
  }
});

// packages/core/src/engine/sqlserver/principals-sql.ts
var init_principals_sql = __esm({
  "packages/core/src/engine/sqlserver/principals-sql.ts"() {
    "use strict";
    init_import_meta_url();
    init_quote();
  }
});

// packages/core/src/engine/sqlserver/sizing.ts
var GiB3, MiB2, EXPRESS_DATABASE_LIMIT_BYTES;
var init_sizing = __esm({
  "packages/core/src/engine/sqlserver/sizing.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    GiB3 = 1024 ** 3;
    MiB2 = 1024 ** 2;
    EXPRESS_DATABASE_LIMIT_BYTES = 10240 * MiB2;
  }
});

// packages/core/src/engine/sqlserver/backup-chain.ts
var init_backup_chain = __esm({
  "packages/core/src/engine/sqlserver/backup-chain.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
  }
});

// packages/core/src/engine/sqlserver/restore-plan.ts
var init_restore_plan = __esm({
  "packages/core/src/engine/sqlserver/restore-plan.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_backup_chain();
    init_restore_sql();
  }
});

// packages/core/src/engine/sqlserver/build-steps.ts
var import_node_path49, win;
var init_build_steps = __esm({
  "packages/core/src/engine/sqlserver/build-steps.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_path49 = __toESM(require("node:path"), 1);
    init_errors();
    init_cleanup();
    init_executor();
    init_restore_sql();
    init_attach_sql();
    init_scrub_sql();
    init_principals_sql();
    init_sizing();
    init_restore_plan();
    init_layout();
    win = import_node_path49.default.win32;
  }
});

// packages/core/src/engine/sqlserver/schema-facts.ts
var init_schema_facts = __esm({
  "packages/core/src/engine/sqlserver/schema-facts.ts"() {
    "use strict";
    init_import_meta_url();
    init_quote();
  }
});

// packages/core/src/engine/sqlserver/build-engine.ts
var init_build_engine = __esm({
  "packages/core/src/engine/sqlserver/build-engine.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_build_steps();
    init_engine3();
    init_host2();
    init_schema_facts();
  }
});

// packages/core/src/platform/build-platform.ts
var init_build_platform = __esm({
  "packages/core/src/platform/build-platform.ts"() {
    "use strict";
    init_import_meta_url();
    init_engine2();
    init_build_engine();
    init_host2();
    init_choose();
    init_registry();
  }
});

// packages/core/src/platform/index.ts
var init_platform = __esm({
  "packages/core/src/platform/index.ts"() {
    "use strict";
    init_import_meta_url();
    init_registry();
    init_disk_names();
    init_choose();
    init_build_platform();
  }
});

// node_modules/zod/v4/core/util.js
var util_exports = {};
__export(util_exports, {
  BIGINT_FORMAT_RANGES: () => BIGINT_FORMAT_RANGES,
  CONSTANT_CATCH: () => CONSTANT_CATCH,
  Class: () => Class,
  NUMBER_FORMAT_RANGES: () => NUMBER_FORMAT_RANGES,
  aborted: () => aborted,
  allowsEval: () => allowsEval,
  assert: () => assert,
  assertEqual: () => assertEqual,
  assertIs: () => assertIs,
  assertNever: () => assertNever,
  assertNotEqual: () => assertNotEqual,
  assignProp: () => assignProp,
  attachSchema: () => attachSchema,
  base64ToUint8Array: () => base64ToUint8Array,
  base64urlToUint8Array: () => base64urlToUint8Array,
  cached: () => cached2,
  captureStackTrace: () => captureStackTrace,
  cleanEnum: () => cleanEnum,
  cleanRegex: () => cleanRegex,
  clone: () => clone,
  cloneDef: () => cloneDef,
  codePointLength: () => codePointLength,
  constantCatch: () => constantCatch,
  createTransparentProxy: () => createTransparentProxy,
  defineLazy: () => defineLazy,
  defineLazyInternal: () => defineLazyInternal,
  derived: () => derived,
  esc: () => esc,
  escapeRegex: () => escapeRegex,
  explicitlyAborted: () => explicitlyAborted,
  extend: () => extend,
  finalizeIssue: () => finalizeIssue,
  floatSafeRemainder: () => floatSafeRemainder,
  getElementAtPath: () => getElementAtPath,
  getEnumValues: () => getEnumValues,
  getLengthableOrigin: () => getLengthableOrigin,
  getParsedType: () => getParsedType,
  getSizableOrigin: () => getSizableOrigin,
  hexToUint8Array: () => hexToUint8Array,
  hide: () => hide,
  installLazyProp: () => installLazyProp,
  isObject: () => isObject,
  isPlainObject: () => isPlainObject,
  issue: () => issue,
  joinValues: () => joinValues,
  jsonStringifyReplacer: () => jsonStringifyReplacer,
  members: () => members,
  merge: () => merge,
  mergeDefs: () => mergeDefs,
  normalizeParams: () => normalizeParams,
  nullish: () => nullish,
  numKeys: () => numKeys,
  objectClone: () => objectClone,
  omit: () => omit,
  optionalKeys: () => optionalKeys,
  own: () => own,
  parsedType: () => parsedType,
  partial: () => partial,
  pick: () => pick,
  prefixIssues: () => prefixIssues,
  primitiveTypes: () => primitiveTypes,
  promiseAllObject: () => promiseAllObject,
  propertyKeyTypes: () => propertyKeyTypes,
  randomString: () => randomString,
  rawShape: () => rawShape,
  required: () => required,
  safeExtend: () => safeExtend,
  shallowClone: () => shallowClone,
  sizeCaps: () => sizeCaps,
  slugify: () => slugify,
  stringifyPrimitive: () => stringifyPrimitive,
  toZod: () => toZod,
  uint8ArrayToBase64: () => uint8ArrayToBase64,
  uint8ArrayToBase64url: () => uint8ArrayToBase64url,
  uint8ArrayToHex: () => uint8ArrayToHex,
  unwrapMessage: () => unwrapMessage
});
function assertEqual(val) {
  return val;
}
function assertNotEqual(val) {
  return val;
}
function toZod() {
  return (schema) => schema;
}
function assertIs(_arg) {
}
function assertNever(_x) {
  throw new Error("Unexpected value in exhaustive check");
}
function assert(_) {
}
function getEnumValues(entries) {
  const numericValues = Object.values(entries).filter((v) => typeof v === "number");
  const values = Object.entries(entries).filter(([k, _]) => numericValues.indexOf(+k) === -1).map(([_, v]) => v);
  return values;
}
function joinValues(array2, separator = "|") {
  return array2.map((val) => stringifyPrimitive(val)).join(separator);
}
function jsonStringifyReplacer(_, value) {
  if (typeof value === "bigint")
    return value.toString();
  return value;
}
function cached2(getter) {
  return new Cached(getter);
}
function nullish(input) {
  return input === null || input === void 0;
}
function cleanRegex(source) {
  const start2 = source.startsWith("^") ? 1 : 0;
  const end = source.endsWith("$") ? source.length - 1 : source.length;
  return source.slice(start2, end);
}
function floatSafeRemainder(val, step) {
  const ratio = val / step;
  const roundedRatio = Math.round(ratio);
  const tolerance = 4 * Number.EPSILON * Math.max(Math.abs(ratio), 1);
  if (Math.abs(ratio - roundedRatio) < tolerance)
    return 0;
  return ratio - roundedRatio;
}
function defineLazy(object2, key, getter) {
  let value = void 0;
  Object.defineProperty(object2, key, {
    get() {
      if (value === EVALUATING) {
        return void 0;
      }
      if (value === void 0) {
        value = EVALUATING;
        value = getter();
      }
      return value;
    },
    set(v) {
      Object.defineProperty(object2, key, {
        value: v
        // configurable: true,
      });
    },
    configurable: true
  });
}
function objectClone(obj) {
  return Object.create(Object.getPrototypeOf(obj), Object.getOwnPropertyDescriptors(obj));
}
function assignProp(target, prop, value) {
  Object.defineProperty(target, prop, {
    value,
    writable: true,
    enumerable: true,
    configurable: true
  });
}
function rawShape(def) {
  const desc = Object.getOwnPropertyDescriptor(def, "shape");
  return desc?.get ? desc.get.raw : desc?.value;
}
function sourceShape(schema) {
  return rawShape(schema._zod.def) ?? schema._zod.def.shape;
}
function deferProp(target, key, getter) {
  Object.defineProperty(target, key, {
    get() {
      const value = getter();
      assignProp(this, key, value);
      return value;
    },
    enumerable: true,
    configurable: true
  });
}
function putProp(target, key, value) {
  if (key in target)
    assignProp(target, key, value);
  else
    target[key] = value;
}
function mirrorShape(target, source, keys, wrap) {
  const raw = sourceShape(source);
  for (const key of keys) {
    const desc = Object.getOwnPropertyDescriptor(raw, key);
    if (!desc.enumerable)
      continue;
    if (desc.get) {
      deferProp(target, key, () => {
        const value = source._zod.def.shape[key];
        return wrap ? wrap(value, key) : value;
      });
    } else
      putProp(target, key, wrap ? wrap(desc.value, key) : desc.value);
  }
}
function mirrorProps(target, source) {
  for (const key of Reflect.ownKeys(source)) {
    const desc = Object.getOwnPropertyDescriptor(source, key);
    if (!desc.enumerable)
      continue;
    if (desc.get)
      deferProp(target, key, () => source[key]);
    else
      putProp(target, key, desc.value);
  }
}
function mergeDefs(...defs) {
  const mergedDescriptors = {};
  for (const def of defs) {
    const descriptors = Object.getOwnPropertyDescriptors(def);
    Object.assign(mergedDescriptors, descriptors);
  }
  return Object.defineProperties({}, mergedDescriptors);
}
function cloneDef(schema) {
  return mergeDefs(schema._zod.def);
}
function getElementAtPath(obj, path78) {
  if (!path78)
    return obj;
  return path78.reduce((acc, key) => acc?.[key], obj);
}
function promiseAllObject(promisesObj) {
  const keys = Object.keys(promisesObj);
  const promises = keys.map((key) => promisesObj[key]);
  return Promise.all(promises).then((results) => {
    const resolvedObj = {};
    for (let i = 0; i < keys.length; i++) {
      resolvedObj[keys[i]] = results[i];
    }
    return resolvedObj;
  });
}
function randomString(length = 10) {
  const chars = "abcdefghijklmnopqrstuvwxyz";
  let str = "";
  for (let i = 0; i < length; i++) {
    str += chars[Math.floor(Math.random() * chars.length)];
  }
  return str;
}
function esc(str) {
  return JSON.stringify(str);
}
function slugify(input) {
  return input.toLowerCase().trim().replace(/[^\w\s-]/g, "").replace(/[\s_-]+/g, "-").replace(/^-+|-+$/g, "");
}
function isObject(data) {
  return typeof data === "object" && data !== null && !Array.isArray(data);
}
function isPlainObject(o) {
  if (isObject(o) === false)
    return false;
  const ctor = o.constructor;
  if (ctor === void 0)
    return true;
  if (typeof ctor !== "function")
    return true;
  const prot = ctor.prototype;
  if (isObject(prot) === false)
    return false;
  if (Object.prototype.hasOwnProperty.call(prot, "isPrototypeOf") === false) {
    return false;
  }
  return true;
}
function shallowClone(o) {
  if (isPlainObject(o))
    return { ...o };
  if (Array.isArray(o))
    return [...o];
  if (o instanceof Map)
    return new Map(o);
  if (o instanceof Set)
    return new Set(o);
  return o;
}
function numKeys(data) {
  let keyCount = 0;
  for (const key in data) {
    if (Object.prototype.hasOwnProperty.call(data, key)) {
      keyCount++;
    }
  }
  return keyCount;
}
function escapeRegex(str) {
  return str.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
function clone(inst, def, params) {
  const cl = new inst._zod.constr(def ?? inst._zod.def);
  if (!def || params?.parent)
    cl._zod.parent = inst;
  return cl;
}
function normalizeParams(_params) {
  const params = _params;
  if (!params)
    return {};
  if (typeof params === "string")
    return { error: () => params };
  if (params?.message !== void 0) {
    if (params?.error !== void 0)
      throw new Error("Cannot specify both `message` and `error` params");
    params.error = params.message;
  }
  delete params.message;
  if (typeof params.error === "string")
    return { ...params, error: () => params.error };
  return params;
}
function createTransparentProxy(getter) {
  let target;
  return new Proxy({}, {
    get(_, prop, receiver) {
      target ?? (target = getter());
      return Reflect.get(target, prop, receiver);
    },
    set(_, prop, value, receiver) {
      target ?? (target = getter());
      return Reflect.set(target, prop, value, receiver);
    },
    has(_, prop) {
      target ?? (target = getter());
      return Reflect.has(target, prop);
    },
    deleteProperty(_, prop) {
      target ?? (target = getter());
      return Reflect.deleteProperty(target, prop);
    },
    ownKeys(_) {
      target ?? (target = getter());
      return Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor(_, prop) {
      target ?? (target = getter());
      return Reflect.getOwnPropertyDescriptor(target, prop);
    },
    defineProperty(_, prop, descriptor) {
      target ?? (target = getter());
      return Reflect.defineProperty(target, prop, descriptor);
    }
  });
}
function stringifyPrimitive(value) {
  if (typeof value === "bigint")
    return value.toString() + "n";
  if (typeof value === "string")
    return `"${value}"`;
  return `${value}`;
}
function optionalKeys(shape) {
  return Object.keys(shape).filter((k) => {
    return shape[k]._zod.optin !== void 0 && shape[k]._zod.optout === "optional";
  });
}
function pick(schema, mask) {
  const currDef = schema._zod.def;
  const checks = currDef.checks;
  const hasChecks = checks && checks.length > 0;
  if (hasChecks) {
    throw new Error(".pick() cannot be used on object schemas containing refinements");
  }
  const newShape = {};
  mirrorShape(newShape, schema, maskedKeys(schema, mask));
  return clone(schema, mergeDefs(currDef, { shape: newShape, checks: [] }));
}
function maskedKeys(schema, mask) {
  const raw = sourceShape(schema);
  const keys = [];
  for (const key of Reflect.ownKeys(mask)) {
    if (!Object.getOwnPropertyDescriptor(raw, key)?.enumerable) {
      throw new Error(`Unrecognized key: "${String(key)}"`);
    }
    if (mask[key])
      keys.push(key);
  }
  return keys;
}
function omit(schema, mask) {
  const currDef = schema._zod.def;
  const checks = currDef.checks;
  const hasChecks = checks && checks.length > 0;
  if (hasChecks) {
    throw new Error(".omit() cannot be used on object schemas containing refinements");
  }
  const omitted = new Set(maskedKeys(schema, mask));
  const newShape = {};
  mirrorShape(newShape, schema, Reflect.ownKeys(sourceShape(schema)).filter((key) => !omitted.has(key)));
  return clone(schema, mergeDefs(currDef, { shape: newShape, checks: [] }));
}
function extend(schema, shape) {
  if (!isPlainObject(shape)) {
    throw new Error("Invalid input to extend: expected a plain object");
  }
  const checks = schema._zod.def.checks;
  const hasChecks = checks && checks.length > 0;
  if (hasChecks) {
    const existingShape = sourceShape(schema);
    for (const key of Reflect.ownKeys(shape)) {
      if (Object.getOwnPropertyDescriptor(existingShape, key) !== void 0) {
        throw new Error("Cannot overwrite keys on object schemas containing refinements. Use `.safeExtend()` instead.");
      }
    }
  }
  return clone(schema, mergeDefs(schema._zod.def, { shape: extended(schema, shape) }));
}
function extended(schema, shape) {
  const newShape = {};
  mirrorShape(newShape, schema, Reflect.ownKeys(sourceShape(schema)));
  mirrorProps(newShape, shape);
  return newShape;
}
function safeExtend(schema, shape) {
  if (!isPlainObject(shape)) {
    throw new Error("Invalid input to safeExtend: expected a plain object");
  }
  return clone(schema, mergeDefs(schema._zod.def, { shape: extended(schema, shape) }));
}
function merge(a, b) {
  if (!b?._zod?.def) {
    throw new Error("Invalid input to merge: expected an object schema. To merge a plain shape, use `.extend()`.");
  }
  if (a._zod.def.checks?.length) {
    throw new Error(".merge() cannot be used on object schemas containing refinements. Use .safeExtend() instead.");
  }
  const newShape = {};
  mirrorShape(newShape, a, Reflect.ownKeys(sourceShape(a)));
  mirrorShape(newShape, b, Reflect.ownKeys(sourceShape(b)));
  const def = mergeDefs(a._zod.def, {
    shape: newShape,
    get catchall() {
      return b._zod.def.catchall;
    },
    checks: b._zod.def.checks ?? []
  });
  return clone(a, def);
}
function partial(Class2, schema, mask, name = "partial") {
  const currDef = schema._zod.def;
  const checks = currDef.checks;
  const hasChecks = checks && checks.length > 0;
  if (hasChecks) {
    throw new Error(`.${name}() cannot be used on object schemas containing refinements`);
  }
  const selected = mask ? new Set(maskedKeys(schema, mask)) : void 0;
  const newShape = {};
  mirrorShape(newShape, schema, Reflect.ownKeys(sourceShape(schema)), Class2 && ((value, key) => selected && !selected.has(key) ? value : new Class2({ type: "optional", innerType: value })));
  return clone(schema, mergeDefs(schema._zod.def, { shape: newShape, checks: [] }));
}
function required(Class2, schema, mask) {
  const selected = mask ? new Set(maskedKeys(schema, mask)) : void 0;
  const newShape = {};
  mirrorShape(newShape, schema, Reflect.ownKeys(sourceShape(schema)), (value, key) => (
    // overwrite with non-optional
    selected && !selected.has(key) ? value : new Class2({ type: "nonoptional", innerType: value })
  ));
  return clone(schema, mergeDefs(schema._zod.def, { shape: newShape }));
}
function aborted(x, startIndex = 0) {
  if (x.aborted === true)
    return true;
  for (let i = startIndex; i < x.issues.length; i++) {
    if (x.issues[i]?.continue !== true) {
      return true;
    }
  }
  return false;
}
function explicitlyAborted(x, startIndex = 0) {
  if (x.aborted === true)
    return true;
  for (let i = startIndex; i < x.issues.length; i++) {
    if (x.issues[i]?.continue === false) {
      return true;
    }
  }
  return false;
}
function prefixIssues(path78, issues) {
  return issues.map((iss) => {
    var _a3;
    (_a3 = iss).path ?? (_a3.path = []);
    iss.path.unshift(path78);
    return iss;
  });
}
function unwrapMessage(message) {
  return typeof message === "string" ? message : message?.message;
}
function sizeCaps(defChecks) {
  const caps = [];
  for (const ch of defChecks ?? []) {
    const d = ch._zod.def;
    if (!/_(length|size)$|_equals$/.test(d.check))
      break;
    const max = d.maximum ?? d.length ?? d.size;
    if (max >= 0)
      caps.push([max, ch]);
  }
  return caps;
}
function attachSchema(issues, start2, inst) {
  var _a3;
  for (let i = start2; i < issues.length; i++) {
    (_a3 = issues[i]).schema ?? (_a3.schema = inst);
  }
}
function finalizeIssue(iss, ctx, config2) {
  var _a3;
  const traits = iss.inst?._zod?.traits;
  if (traits?.has("$ZodType")) {
    if (traits.has("$ZodCheck"))
      (_a3 = iss).schema ?? (_a3.schema = iss.inst);
    else
      iss.schema = iss.inst;
  }
  const schemaError = iss.schema !== iss.inst ? iss.schema?._zod.def?.error : void 0;
  const message = iss.message ? iss.message : unwrapMessage(iss.inst?._zod.def?.error?.(iss)) ?? unwrapMessage(schemaError?.(iss)) ?? unwrapMessage(ctx?.error?.(iss)) ?? unwrapMessage(config2.customError?.(iss)) ?? unwrapMessage(config2.localeError?.(iss)) ?? "Invalid input";
  const full = {};
  for (const k of Object.keys(iss)) {
    if (k === "inst" || k === "schema" || k === "continue" || k === "input" || k === "__proto__")
      continue;
    full[k] = iss[k];
  }
  full.path ?? (full.path = []);
  full.message = message;
  if (ctx?.reportInput) {
    full.input = iss.input;
  }
  return full;
}
function getSizableOrigin(input) {
  if (input instanceof Set)
    return "set";
  if (input instanceof Map)
    return "map";
  if (input instanceof File)
    return "file";
  return "unknown";
}
function codePointLength(str) {
  const units = str.length;
  if (!highSurrogate.test(str))
    return units;
  let count = units;
  for (let i = 0; i < units - 1; i++) {
    if ((str.charCodeAt(i) & 64512) === 55296 && (str.charCodeAt(i + 1) & 64512) === 56320) {
      count--;
      i++;
    }
  }
  return count;
}
function getLengthableOrigin(input) {
  if (Array.isArray(input))
    return "array";
  if (typeof input === "string")
    return "string";
  return "unknown";
}
function parsedType(data) {
  const t = typeof data;
  switch (t) {
    case "number": {
      return Number.isNaN(data) ? "nan" : "number";
    }
    case "object": {
      if (data === null) {
        return "null";
      }
      if (Array.isArray(data)) {
        return "array";
      }
      const obj = data;
      if (obj && Object.getPrototypeOf(obj) !== Object.prototype && "constructor" in obj && obj.constructor) {
        return obj.constructor.name;
      }
    }
  }
  return t;
}
function issue(...args) {
  const [iss, input, inst] = args;
  if (typeof iss === "string") {
    return {
      message: iss,
      code: "custom",
      input,
      inst
    };
  }
  return { ...iss };
}
function cleanEnum(obj) {
  return Object.entries(obj).filter(([k, _]) => {
    return Number.isNaN(Number.parseInt(k, 10));
  }).map((el) => el[1]);
}
function base64ToUint8Array(base642) {
  const binaryString = atob(base642);
  const bytes = new Uint8Array(binaryString.length);
  for (let i = 0; i < binaryString.length; i++) {
    bytes[i] = binaryString.charCodeAt(i);
  }
  return bytes;
}
function uint8ArrayToBase64(bytes) {
  let binaryString = "";
  for (let i = 0; i < bytes.length; i++) {
    binaryString += String.fromCharCode(bytes[i]);
  }
  return btoa(binaryString);
}
function base64urlToUint8Array(base64url2) {
  const base642 = base64url2.replace(/-/g, "+").replace(/_/g, "/");
  const padding = "=".repeat((4 - base642.length % 4) % 4);
  return base64ToUint8Array(base642 + padding);
}
function uint8ArrayToBase64url(bytes) {
  return uint8ArrayToBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=/g, "");
}
function hexToUint8Array(hex) {
  const cleanHex = hex.replace(/^0x/, "");
  if (cleanHex.length % 2 !== 0) {
    throw new Error("Invalid hex string length");
  }
  const bytes = new Uint8Array(cleanHex.length / 2);
  for (let i = 0; i < cleanHex.length; i += 2) {
    bytes[i / 2] = Number.parseInt(cleanHex.slice(i, i + 2), 16);
  }
  return bytes;
}
function uint8ArrayToHex(bytes) {
  return Array.from(bytes).map((b) => b.toString(16).padStart(2, "0")).join("");
}
function members(proto, table) {
  for (const key in table) {
    const desc = Object.getOwnPropertyDescriptor(table, key);
    if (desc.get)
      Object.defineProperty(proto, key, { ...desc, enumerable: false });
    else
      defineBound(proto, key, desc.value);
  }
}
function own(inst, key, value, enumerable = true) {
  Object.defineProperty(inst, key, { configurable: true, writable: true, enumerable, value });
  return value;
}
function hide(inst, key, value) {
  return own(inst, key, value, false);
}
// @__NO_SIDE_EFFECTS__
function derived(computes, table) {
  for (const key in computes) {
    const compute = computes[key];
    Object.defineProperty(table, key, {
      configurable: true,
      enumerable: true,
      get() {
        return own(this, key, compute(this));
      },
      set(value) {
        own(this, key, value);
      }
    });
  }
  return table;
}
function defineBound(proto, key, fn) {
  Object.defineProperty(proto, key, {
    configurable: true,
    get() {
      return this == null ? fn : own(this, key, fn.bind(this));
    },
    set(value) {
      own(this, key, value);
    }
  });
}
function claim(inst, sentinel) {
  const proto = Object.getPrototypeOf(inst);
  return sentinel in proto ? void 0 : proto;
}
function defineLazyInternal(inst, key, compute) {
  const proto = Object.getPrototypeOf(inst._zod);
  if (key in proto && installing !== inst._zod) {
    installing = void 0;
    return;
  }
  installing = inst._zod;
  Object.defineProperty(proto, key, {
    configurable: true,
    get() {
      Object.defineProperty(this, key, breaker);
      const outer = broke;
      broke = false;
      try {
        const value = compute(this);
        if (broke)
          delete this[key];
        else
          Object.defineProperty(this, key, { configurable: true, writable: true, value });
        broke = broke || outer;
        return value;
      } catch (err) {
        delete this[key];
        broke = broke || outer;
        throw err;
      }
    },
    set(value) {
      Object.defineProperty(this, key, { configurable: true, writable: true, value });
    }
  });
}
function installLazyProp(inst, key, make, enumerable) {
  const proto = claim(inst, key);
  if (!proto)
    return;
  Object.defineProperty(proto, key, {
    configurable: true,
    get() {
      const desc = { configurable: true, writable: true, enumerable, value: void 0 };
      Object.defineProperty(this, key, desc);
      desc.value = make(this);
      Object.defineProperty(this, key, desc);
      return desc.value;
    },
    set(value) {
      Object.defineProperty(this, key, { configurable: true, writable: true, enumerable, value });
    }
  });
}
function constantCatch(value) {
  const fn = () => value;
  fn[CONSTANT_CATCH] = true;
  return fn;
}
var Cached, EVALUATING, captureStackTrace, allowsEval, getParsedType, propertyKeyTypes, primitiveTypes, NUMBER_FORMAT_RANGES, BIGINT_FORMAT_RANGES, highSurrogate, Class, installing, broke, breaker, CONSTANT_CATCH;
var init_util = __esm({
  "node_modules/zod/v4/core/util.js"() {
    init_import_meta_url();
    init_core();
    Cached = class {
      constructor(getter) {
        this._getter = getter;
        this._value = void 0;
      }
      get value() {
        const getter = this._getter;
        if (getter !== void 0) {
          this._value = getter();
          this._getter = void 0;
        }
        return this._value;
      }
    };
    EVALUATING = /* @__PURE__ */ Symbol("evaluating");
    captureStackTrace = "captureStackTrace" in Error ? Error.captureStackTrace : (..._args) => {
    };
    allowsEval = /* @__PURE__ */ cached2(() => {
      if (globalConfig.jitless) {
        return false;
      }
      if (typeof navigator !== "undefined" && navigator?.userAgent?.includes("Cloudflare")) {
        return false;
      }
      try {
        const F = Function;
        new F("");
        return true;
      } catch (_) {
        return false;
      }
    });
    getParsedType = (data) => {
      const t = typeof data;
      switch (t) {
        case "undefined":
          return "undefined";
        case "string":
          return "string";
        case "number":
          return Number.isNaN(data) ? "nan" : "number";
        case "boolean":
          return "boolean";
        case "function":
          return "function";
        case "bigint":
          return "bigint";
        case "symbol":
          return "symbol";
        case "object":
          if (Array.isArray(data)) {
            return "array";
          }
          if (data === null) {
            return "null";
          }
          if (data.then && typeof data.then === "function" && data.catch && typeof data.catch === "function") {
            return "promise";
          }
          if (typeof Map !== "undefined" && data instanceof Map) {
            return "map";
          }
          if (typeof Set !== "undefined" && data instanceof Set) {
            return "set";
          }
          if (typeof Date !== "undefined" && data instanceof Date) {
            return "date";
          }
          if (typeof File !== "undefined" && data instanceof File) {
            return "file";
          }
          return "object";
        default:
          throw new Error(`Unknown data type: ${t}`);
      }
    };
    propertyKeyTypes = /* @__PURE__ */ new Set(["string", "number", "symbol"]);
    primitiveTypes = /* @__PURE__ */ new Set([
      "string",
      "number",
      "bigint",
      "boolean",
      "symbol",
      "undefined"
    ]);
    NUMBER_FORMAT_RANGES = /* @__PURE__ */ (() => ({
      safeint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
      int32: [-2147483648, 2147483647],
      uint32: [0, 4294967295],
      float32: [-34028234663852886e22, 34028234663852886e22],
      float64: [-Number.MAX_VALUE, Number.MAX_VALUE]
    }))();
    BIGINT_FORMAT_RANGES = {
      int64: [/* @__PURE__ */ BigInt("-9223372036854775808"), /* @__PURE__ */ BigInt("9223372036854775807")],
      uint64: [/* @__PURE__ */ BigInt(0), /* @__PURE__ */ BigInt("18446744073709551615")]
    };
    highSurrogate = /[\uD800-\uDBFF]/;
    Class = class {
      constructor(..._args) {
      }
    };
    broke = false;
    breaker = {
      configurable: true,
      get() {
        broke = true;
        return void 0;
      }
    };
    CONSTANT_CATCH = "~constantCatch";
  }
});

// node_modules/zod/v4/core/core.js
function newError(Definition) {
  const E = _E;
  if (E) {
    const saved = E.stackTraceLimit;
    if (typeof saved === "number") {
      try {
        E.stackTraceLimit = 0;
      } catch {
        _E = null;
        return new Definition();
      }
      try {
        return new Definition();
      } finally {
        E.stackTraceLimit = saved;
      }
    }
  }
  return new Definition();
}
// @__NO_SIDE_EFFECTS__
function $constructor(name, initializer3, proto, params) {
  const zodProto = {};
  function Internals(def) {
    this.def = def;
    this.constr = _;
    this.traits = /* @__PURE__ */ new Set();
  }
  Internals.prototype = zodProto;
  const protoMembers = proto;
  const initialized = protoMembers && /* @__PURE__ */ new WeakSet();
  function init(inst, def) {
    if (!inst._zod) {
      _zodDesc.value = new Internals(def);
      try {
        Object.defineProperty(inst, "_zod", _zodDesc);
      } finally {
        _zodDesc.value = void 0;
      }
    } else if (inst._zod.traits.has(name)) {
      return;
    }
    inst._zod.traits.add(name);
    initializer3(inst, def);
    if (initialized) {
      const own2 = Object.getPrototypeOf(inst);
      const ctorProto = inst._zod.constr.prototype;
      let up = own2;
      while (up && up !== ctorProto)
        up = Object.getPrototypeOf(up);
      const target = up ?? own2;
      if (!initialized.has(target)) {
        initialized.add(target);
        members(target, protoMembers);
      }
    }
    const proto2 = _.prototype;
    for (const k in proto2) {
      if (!Object.prototype.hasOwnProperty.call(proto2, k))
        continue;
      if (!(k in inst)) {
        inst[k] = proto2[k].bind(inst);
      }
    }
  }
  const Parent = params?.Parent ?? Object;
  class Definition extends Parent {
  }
  Object.defineProperty(Definition, "name", { value: name });
  function _(def) {
    const inst = params?.Parent ? newError(Definition) : this;
    init(inst, def);
    const deferred = inst._zod.deferred;
    if (deferred) {
      for (const fn of deferred) {
        fn();
      }
      inst._zod.deferred = void 0;
    }
    const pp = globalThis.__zod_globalConfig?.postProcessor;
    if (pp)
      pp(inst);
    return inst;
  }
  Object.defineProperty(_, "init", { value: init });
  Object.defineProperty(_, Symbol.hasInstance, {
    value: (inst) => {
      if (params?.Parent && inst instanceof params.Parent)
        return true;
      return inst?._zod?.traits?.has(name);
    }
  });
  Object.defineProperty(_, "name", { value: name });
  return _;
}
function config(newConfig) {
  if (newConfig)
    Object.assign(globalConfig, newConfig);
  return globalConfig;
}
var _a, _zodDesc, _E, $ZodAsyncError, $ZodEncodeError, globalConfig;
var init_core = __esm({
  "node_modules/zod/v4/core/core.js"() {
    init_import_meta_url();
    init_util();
    _zodDesc = { value: void 0, enumerable: false };
    _E = "captureStackTrace" in Error ? Error : null;
    $ZodAsyncError = class extends Error {
      constructor() {
        super(`Encountered Promise during synchronous parse. Use .parseAsync() instead.`);
      }
    };
    $ZodEncodeError = class extends Error {
      constructor(name) {
        super(`Encountered unidirectional transform during encode: ${name}`);
        this.name = "ZodEncodeError";
      }
    };
    (_a = globalThis).__zod_globalConfig ?? (_a.__zod_globalConfig = {});
    globalConfig = globalThis.__zod_globalConfig;
  }
});

// node_modules/zod/v4/core/errors.js
function _getMessage() {
  const internals = this._zod;
  internals.message ?? (internals.message = JSON.stringify(internals.def, jsonStringifyReplacer, 2));
  return internals.message;
}
function _setMessage(value) {
  this._zod.message = value;
}
function node(obj, key, make) {
  if (!Object.prototype.hasOwnProperty.call(obj, key)) {
    if (key === "__proto__") {
      Object.defineProperty(obj, key, { value: make(), writable: true, enumerable: true, configurable: true });
    } else {
      obj[key] = make();
    }
  }
  return obj[key];
}
function flattenError(error2, mapper = (issue2) => issue2.message) {
  const fieldErrors = {};
  const formErrors = [];
  for (const sub of error2.issues) {
    if (sub.path.length > 0) {
      node(fieldErrors, sub.path[0], () => []).push(mapper(sub));
    } else {
      formErrors.push(mapper(sub));
    }
  }
  return { formErrors, fieldErrors };
}
function formatError(error2, mapper = (issue2) => issue2.message) {
  const fieldErrors = { _errors: [] };
  const processError = (error3, path78 = []) => {
    for (const issue2 of error3.issues) {
      if (issue2.code === "invalid_union" && issue2.errors.length) {
        issue2.errors.map((issues) => processError({ issues }, [...path78, ...issue2.path]));
      } else if (issue2.code === "invalid_key") {
        processError({ issues: issue2.issues }, [...path78, ...issue2.path]);
      } else if (issue2.code === "invalid_element") {
        processError({ issues: issue2.issues }, [...path78, ...issue2.path]);
      } else {
        const fullpath = [...path78, ...issue2.path];
        if (fullpath.length === 0) {
          fieldErrors._errors.push(mapper(issue2));
        } else {
          let curr = fieldErrors;
          let i = 0;
          while (i < fullpath.length) {
            const el = fullpath[i];
            const terminal = i === fullpath.length - 1;
            if (el === "_errors") {
              if (terminal)
                curr._errors.push(mapper(issue2));
              i++;
              continue;
            }
            if (!Object.prototype.hasOwnProperty.call(curr, el)) {
              Object.defineProperty(curr, el, {
                value: { _errors: [] },
                enumerable: true,
                writable: true,
                configurable: true
              });
            }
            const node2 = curr[el];
            if (terminal) {
              node2._errors.push(mapper(issue2));
            }
            curr = node2;
            i++;
          }
        }
      }
    }
  };
  processError(error2);
  return fieldErrors;
}
var _messageDesc, _issuesDesc, _installedToString, initializer, $ZodError, $ZodRealError;
var init_errors2 = __esm({
  "node_modules/zod/v4/core/errors.js"() {
    init_import_meta_url();
    init_core();
    init_util();
    _messageDesc = {
      get: _getMessage,
      set: _setMessage,
      enumerable: true,
      configurable: true
    };
    _issuesDesc = { value: void 0, enumerable: false };
    _installedToString = /* @__PURE__ */ new WeakSet([Object.prototype, Error.prototype]);
    initializer = (inst, def) => {
      inst.name = "$ZodError";
      _issuesDesc.value = def;
      Object.defineProperty(inst, "issues", _issuesDesc);
      _issuesDesc.value = void 0;
      Object.defineProperty(inst, "message", _messageDesc);
      const proto = Object.getPrototypeOf(inst);
      if (!_installedToString.has(proto)) {
        _installedToString.add(proto);
        Object.defineProperty(proto, "toString", {
          configurable: true,
          enumerable: false,
          get() {
            const value = () => this.message;
            Object.defineProperty(this, "toString", { value, configurable: true, writable: true });
            return value;
          },
          set(value) {
            Object.defineProperty(this, "toString", { value, configurable: true, writable: true });
          }
        });
      }
    };
    $ZodError = $constructor("$ZodError", initializer);
    $ZodRealError = $constructor("$ZodError", initializer, void 0, {
      Parent: Error
    });
  }
});

// node_modules/zod/v4/core/parse.js
function finalizeParams(callee, params) {
  return { callee: params?.callee ?? callee, Err: params?.Err };
}
function failure2(Err, issues, ctx) {
  let error2;
  return {
    success: false,
    get error() {
      if (!error2) {
        error2 = new Err(issues.map((iss) => finalizeIssue(iss, ctx, config())));
        issues = void 0;
        ctx = void 0;
      }
      return error2;
    },
    set error(e) {
      error2 = e;
      issues = void 0;
      ctx = void 0;
    }
  };
}
function validateFallback(schema, value, _ctx) {
  const ctx = _ctx ? { ..._ctx, async: false, abortEarly: true } : { async: false, abortEarly: true };
  const fallbackRun = schema._zod.bag.fallbackRun;
  let result;
  if (fallbackRun) {
    ctx[COMPILE_FALLBACK] = true;
    result = fallbackRun({ value, issues: [] }, ctx);
  } else {
    result = schema._zod.run({ value, issues: [] }, ctx);
  }
  if (result instanceof Promise) {
    throw new $ZodAsyncError();
  }
  return result.issues.length === 0;
}
var _parse, _parseAsync, _safeParse, _safeParseAsync, COMPILE_INVALID, COMPILE_FALLBACK, validate, validateAsync, _encode, _decode, _encodeAsync, _decodeAsync, _safeEncode, _safeDecode, _safeEncodeAsync, _safeDecodeAsync;
var init_parse = __esm({
  "node_modules/zod/v4/core/parse.js"() {
    init_import_meta_url();
    init_core();
    init_util();
    _parse = (_Err) => {
      const fn = (schema, value, _ctx, _params) => {
        const ctx = _ctx ? { ..._ctx, async: false } : { async: false };
        const result = schema._zod.run({ value, issues: [] }, ctx);
        if (result instanceof Promise) {
          throw new $ZodAsyncError();
        }
        if (result.issues.length) {
          const e = new (_params?.Err ?? _Err)(result.issues.map((iss) => finalizeIssue(iss, ctx, config())));
          captureStackTrace(e, _params?.callee ?? fn);
          throw e;
        }
        return result.value;
      };
      return fn;
    };
    _parseAsync = (_Err) => {
      const fn = async (schema, value, _ctx, params) => {
        const ctx = _ctx ? { ..._ctx, async: true } : { async: true };
        let result = schema._zod.run({ value, issues: [] }, ctx);
        if (result instanceof Promise)
          result = await result;
        if (result.issues.length) {
          const e = new (params?.Err ?? _Err)(result.issues.map((iss) => finalizeIssue(iss, ctx, config())));
          captureStackTrace(e, params?.callee ?? fn);
          throw e;
        }
        return result.value;
      };
      return fn;
    };
    _safeParse = (_Err) => (schema, value, _ctx) => {
      const ctx = _ctx ? { ..._ctx, async: false } : { async: false };
      const result = schema._zod.run({ value, issues: [] }, ctx);
      if (result instanceof Promise) {
        throw new $ZodAsyncError();
      }
      return result.issues.length ? failure2(_Err, result.issues, ctx) : { success: true, data: result.value };
    };
    _safeParseAsync = (_Err) => async (schema, value, _ctx) => {
      const ctx = _ctx ? { ..._ctx, async: true } : { async: true };
      let result = schema._zod.run({ value, issues: [] }, ctx);
      if (result instanceof Promise)
        result = await result;
      return result.issues.length ? failure2(_Err, result.issues, ctx) : { success: true, data: result.value };
    };
    COMPILE_INVALID = /* @__PURE__ */ Symbol.for("zod.compile.invalid");
    COMPILE_FALLBACK = /* @__PURE__ */ Symbol.for("zod.compile.fallback");
    validate = ((schema, value, _ctx) => {
      const validator = schema._zod.bag.validator;
      if (validator !== void 0) {
        if (validator(value) !== COMPILE_INVALID)
          return true;
        if (validator.definite === true && _ctx === void 0)
          return false;
      }
      return validateFallback(schema, value, _ctx);
    });
    validateAsync = async (schema, value, _ctx) => {
      const ctx = _ctx ? { ..._ctx, async: true, abortEarly: true } : { async: true, abortEarly: true };
      let result = schema._zod.run({ value, issues: [] }, ctx);
      if (result instanceof Promise)
        result = await result;
      return result.issues.length === 0;
    };
    _encode = (_Err) => {
      const parse2 = _parse(_Err);
      const fn = (schema, value, _ctx, _params) => {
        const ctx = _ctx ? { ..._ctx, direction: "backward" } : { direction: "backward" };
        return parse2(schema, value, ctx, finalizeParams(fn, _params));
      };
      return fn;
    };
    _decode = (_Err) => {
      const parse2 = _parse(_Err);
      const fn = (schema, value, _ctx, _params) => {
        return parse2(schema, value, _ctx, finalizeParams(fn, _params));
      };
      return fn;
    };
    _encodeAsync = (_Err) => {
      const parseAsync2 = _parseAsync(_Err);
      const fn = async (schema, value, _ctx, _params) => {
        const ctx = _ctx ? { ..._ctx, direction: "backward" } : { direction: "backward" };
        return await parseAsync2(schema, value, ctx, finalizeParams(fn, _params));
      };
      return fn;
    };
    _decodeAsync = (_Err) => {
      const parseAsync2 = _parseAsync(_Err);
      const fn = async (schema, value, _ctx, _params) => {
        return await parseAsync2(schema, value, _ctx, finalizeParams(fn, _params));
      };
      return fn;
    };
    _safeEncode = (_Err) => (schema, value, _ctx) => {
      const ctx = _ctx ? { ..._ctx, direction: "backward" } : { direction: "backward" };
      return _safeParse(_Err)(schema, value, ctx);
    };
    _safeDecode = (_Err) => (schema, value, _ctx) => {
      return _safeParse(_Err)(schema, value, _ctx);
    };
    _safeEncodeAsync = (_Err) => async (schema, value, _ctx) => {
      const ctx = _ctx ? { ..._ctx, direction: "backward" } : { direction: "backward" };
      return _safeParseAsync(_Err)(schema, value, ctx);
    };
    _safeDecodeAsync = (_Err) => async (schema, value, _ctx) => {
      return _safeParseAsync(_Err)(schema, value, _ctx);
    };
  }
});

// node_modules/zod/v4/core/regexes.js
function nanoidOfLength(length) {
  return new RegExp(`^[a-zA-Z0-9_-]{${length}}$`);
}
function emoji() {
  return new RegExp(_emoji, "u");
}
function anchor(source) {
  return new RegExp(`^${source}$`);
}
function timeSource(args) {
  const hhmm = `(?:[01]\\d|2[0-3]):[0-5]\\d`;
  const regex = typeof args.precision === "number" ? args.precision === -1 ? `${hhmm}` : args.precision === 0 ? `${hhmm}:[0-5]\\d` : `${hhmm}:[0-5]\\d\\.\\d{${args.precision}}` : args.seconds ? `${hhmm}:[0-5]\\d(?:\\.\\d+)?` : `${hhmm}(?::[0-5]\\d(?:\\.\\d+)?)?`;
  return regex;
}
function time(args) {
  return new RegExp(`^${timeSource(args)}$`);
}
function datetime(args) {
  const opts = ["Z"];
  if (args.offset)
    opts.push(`([+-](?:[01]\\d|2[0-3]):[0-5]\\d)`);
  const qualified = `${timeSource({ precision: args.precision, seconds: true })}(?:${opts.join("|")})`;
  const timeRegex = args.local ? `${qualified}|${timeSource({ precision: args.precision })}` : qualified;
  return new RegExp(`^${dateSource}T(?:${timeRegex})$`);
}
var cuid, cuid2, ulid, xid, ksuid, nanoid, duration, guid, uuid, email, _emoji, ipv4, ipv6, cidrv4, cidrv6, base64, base64url, httpProtocol, e164, dateSource, date, anyString, integer, number, boolean, lowercase, uppercase;
var init_regexes = __esm({
  "node_modules/zod/v4/core/regexes.js"() {
    init_import_meta_url();
    cuid = /^[cC][0-9a-z]{6,}$/;
    cuid2 = /^[0-9a-z]+$/;
    ulid = /^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$/;
    xid = /^[0-9a-vA-V]{20}$/;
    ksuid = /^[A-Za-z0-9]{27}$/;
    nanoid = /^[a-zA-Z0-9_-]{21}$/;
    duration = /^P(?:(\d+W)|(?!.*W)(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+([.,]\d+)?S)?)?)$/;
    guid = /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;
    uuid = (version2) => {
      if (!version2)
        return /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$/;
      return new RegExp(`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-${version2}[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})$`);
    };
    email = /^(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$/;
    _emoji = `^(?=[\\s\\S]*[\\p{Extended_Pictographic}\\p{Regional_Indicator}\\u20E3])[\\p{Extended_Pictographic}\\p{Emoji_Component}]+$`;
    ipv4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])$/;
    ipv6 = /^(([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:((:[0-9a-fA-F]{1,4}){1,6})|:((:[0-9a-fA-F]{1,4}){1,7}|:))$/;
    cidrv4 = /^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\/([0-9]|[1-2][0-9]|3[0-2])$/;
    cidrv6 = /^(([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:((:[0-9a-fA-F]{1,4}){1,6})|:((:[0-9a-fA-F]{1,4}){1,7}|:))\/(12[0-8]|1[01][0-9]|[1-9]?[0-9])$/;
    base64 = /^$|^(?:[0-9a-zA-Z+/]{4})*(?:(?:[0-9a-zA-Z+/]{2}==)|(?:[0-9a-zA-Z+/]{3}=))?$/;
    base64url = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$/;
    httpProtocol = /^https?$/;
    e164 = /^\+[1-9]\d{6,14}$/;
    dateSource = `(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|(?:02)-(?:0[1-9]|1\\d|2[0-8])))`;
    date = /* @__PURE__ */ anchor(dateSource);
    anyString = /^[\s\S]{0,}$/;
    integer = /^-?\d+$/;
    number = /^-?\d+(?:\.\d+)?$/;
    boolean = /^(?:true|false)$/i;
    lowercase = /^[^A-Z]*$/;
    uppercase = /^[^a-z]*$/;
  }
});

// node_modules/zod/v4/core/checks.js
var $ZodCheck, _whenHasLength, numericOriginMap, $ZodCheckLessThan, $ZodCheckGreaterThan, $ZodCheckMultipleOf, $ZodCheckNumberFormat, $ZodCheckMaxLength, $ZodCheckMinLength, $ZodCheckLengthEquals, $ZodCheckStringFormat, $ZodCheckRegex, $ZodCheckLowerCase, $ZodCheckUpperCase, $ZodCheckIncludes, $ZodCheckStartsWith, $ZodCheckEndsWith, $ZodCheckOverwrite;
var init_checks = __esm({
  "node_modules/zod/v4/core/checks.js"() {
    init_import_meta_url();
    init_core();
    init_regexes();
    init_util();
    $ZodCheck = /* @__PURE__ */ $constructor("$ZodCheck", (inst, def) => {
      var _a3;
      inst._zod ?? (inst._zod = {});
      inst._zod.def = def;
      (_a3 = inst._zod).onattach ?? (_a3.onattach = []);
    });
    _whenHasLength = (payload) => {
      const val = payload.value;
      return !nullish(val) && val.length !== void 0;
    };
    numericOriginMap = {
      number: "number",
      bigint: "bigint",
      object: "date"
    };
    $ZodCheckLessThan = /* @__PURE__ */ $constructor("$ZodCheckLessThan", (inst, def) => {
      $ZodCheck.init(inst, def);
      const origin = numericOriginMap[typeof def.value];
      inst._zod.check = (payload) => {
        if (def.inclusive ? payload.value <= def.value : payload.value < def.value) {
          return;
        }
        payload.issues.push({
          origin: numericOriginMap[typeof payload.value] ?? origin,
          code: "too_big",
          maximum: typeof def.value === "object" ? def.value.getTime() : def.value,
          input: payload.value,
          inclusive: def.inclusive,
          inst,
          continue: !def.abort
        });
      };
    });
    $ZodCheckGreaterThan = /* @__PURE__ */ $constructor("$ZodCheckGreaterThan", (inst, def) => {
      $ZodCheck.init(inst, def);
      const origin = numericOriginMap[typeof def.value];
      inst._zod.check = (payload) => {
        if (def.inclusive ? payload.value >= def.value : payload.value > def.value) {
          return;
        }
        payload.issues.push({
          origin: numericOriginMap[typeof payload.value] ?? origin,
          code: "too_small",
          minimum: typeof def.value === "object" ? def.value.getTime() : def.value,
          input: payload.value,
          inclusive: def.inclusive,
          inst,
          continue: !def.abort
        });
      };
    });
    $ZodCheckMultipleOf = /* @__PURE__ */ $constructor("$ZodCheckMultipleOf", (inst, def) => {
      $ZodCheck.init(inst, def);
      inst._zod.check = (payload) => {
        if (typeof payload.value !== typeof def.value)
          throw new Error("Cannot mix number and bigint in multiple_of check.");
        const isMultiple = typeof payload.value === "bigint" ? (
          // `value % 0n` throws, and nothing is a multiple of zero — the number branch already fails this way via NaN
          def.value !== BigInt(0) && payload.value % def.value === BigInt(0)
        ) : floatSafeRemainder(payload.value, def.value) === 0;
        if (isMultiple)
          return;
        payload.issues.push({
          origin: typeof payload.value,
          code: "not_multiple_of",
          divisor: def.value,
          input: payload.value,
          inst,
          continue: !def.abort
        });
      };
    });
    $ZodCheckNumberFormat = /* @__PURE__ */ $constructor("$ZodCheckNumberFormat", (inst, def) => {
      $ZodCheck.init(inst, def);
      def.format = def.format || "float64";
      const isInt = def.format?.includes("int");
      const origin = isInt ? "int" : "number";
      const [minimum, maximum] = NUMBER_FORMAT_RANGES[def.format];
      inst._zod.check = (payload) => {
        const input = payload.value;
        if (isInt) {
          if (!Number.isInteger(input)) {
            payload.issues.push({
              expected: origin,
              format: def.format,
              code: "invalid_type",
              continue: false,
              input,
              inst
            });
            return;
          }
          if (!Number.isSafeInteger(input)) {
            if (input > 0) {
              payload.issues.push({
                input,
                code: "too_big",
                maximum: Number.MAX_SAFE_INTEGER,
                note: "Integers must be within the safe integer range.",
                inst,
                origin,
                inclusive: true,
                continue: !def.abort
              });
            } else {
              payload.issues.push({
                input,
                code: "too_small",
                minimum: Number.MIN_SAFE_INTEGER,
                note: "Integers must be within the safe integer range.",
                inst,
                origin,
                inclusive: true,
                continue: !def.abort
              });
            }
            return;
          }
        }
        if (input < minimum) {
          payload.issues.push({
            origin: "number",
            input,
            code: "too_small",
            minimum,
            inclusive: true,
            inst,
            continue: !def.abort
          });
        }
        if (input > maximum) {
          payload.issues.push({
            origin: "number",
            input,
            code: "too_big",
            maximum,
            inclusive: true,
            inst,
            continue: !def.abort
          });
        }
      };
    });
    $ZodCheckMaxLength = /* @__PURE__ */ $constructor("$ZodCheckMaxLength", (inst, def) => {
      var _a3;
      $ZodCheck.init(inst, def);
      (_a3 = inst._zod.def).when ?? (_a3.when = _whenHasLength);
      inst._zod.check = (payload) => {
        const input = payload.value;
        const units = input.length;
        const length = typeof input === "string" && units > def.maximum ? codePointLength(input) : units;
        if (length <= def.maximum)
          return;
        const origin = getLengthableOrigin(input);
        payload.issues.push({
          origin,
          code: "too_big",
          maximum: def.maximum,
          inclusive: true,
          input,
          inst,
          continue: !def.abort
        });
      };
    });
    $ZodCheckMinLength = /* @__PURE__ */ $constructor("$ZodCheckMinLength", (inst, def) => {
      var _a3;
      $ZodCheck.init(inst, def);
      (_a3 = inst._zod.def).when ?? (_a3.when = _whenHasLength);
      inst._zod.check = (payload) => {
        const input = payload.value;
        const units = input.length;
        const length = typeof input === "string" && units >= def.minimum && units < def.minimum * 2 ? codePointLength(input) : units;
        if (length >= def.minimum)
          return;
        const origin = getLengthableOrigin(input);
        payload.issues.push({
          origin,
          code: "too_small",
          minimum: def.minimum,
          inclusive: true,
          input,
          inst,
          continue: !def.abort
        });
      };
    });
    $ZodCheckLengthEquals = /* @__PURE__ */ $constructor("$ZodCheckLengthEquals", (inst, def) => {
      var _a3;
      $ZodCheck.init(inst, def);
      (_a3 = inst._zod.def).when ?? (_a3.when = _whenHasLength);
      inst._zod.check = (payload) => {
        const input = payload.value;
        const units = input.length;
        const length = typeof input === "string" && units >= def.length && units <= def.length * 2 ? codePointLength(input) : units;
        if (length === def.length)
          return;
        const origin = getLengthableOrigin(input);
        const tooBig = length > def.length;
        payload.issues.push({
          origin,
          ...tooBig ? { code: "too_big", maximum: def.length } : { code: "too_small", minimum: def.length },
          inclusive: true,
          exact: true,
          input: payload.value,
          inst,
          continue: !def.abort
        });
      };
    });
    $ZodCheckStringFormat = /* @__PURE__ */ $constructor("$ZodCheckStringFormat", (inst, def) => {
      var _a3, _b;
      $ZodCheck.init(inst, def);
      if (def.pattern)
        (_a3 = inst._zod).check ?? (_a3.check = (payload) => {
          def.pattern.lastIndex = 0;
          if (def.pattern.test(payload.value))
            return;
          payload.issues.push({
            origin: "string",
            code: "invalid_format",
            format: def.format,
            input: payload.value,
            ...def.pattern ? { pattern: def.pattern.toString() } : {},
            inst,
            continue: !def.abort
          });
        });
      else
        (_b = inst._zod).check ?? (_b.check = () => {
        });
    });
    $ZodCheckRegex = /* @__PURE__ */ $constructor("$ZodCheckRegex", (inst, def) => {
      $ZodCheckStringFormat.init(inst, def);
      inst._zod.check = (payload) => {
        def.pattern.lastIndex = 0;
        if (def.pattern.test(payload.value))
          return;
        payload.issues.push({
          origin: "string",
          code: "invalid_format",
          format: "regex",
          input: payload.value,
          pattern: def.pattern.toString(),
          inst,
          continue: !def.abort
        });
      };
    });
    $ZodCheckLowerCase = /* @__PURE__ */ $constructor("$ZodCheckLowerCase", (inst, def) => {
      def.pattern ?? (def.pattern = lowercase);
      $ZodCheckStringFormat.init(inst, def);
    });
    $ZodCheckUpperCase = /* @__PURE__ */ $constructor("$ZodCheckUpperCase", (inst, def) => {
      def.pattern ?? (def.pattern = uppercase);
      $ZodCheckStringFormat.init(inst, def);
    });
    $ZodCheckIncludes = /* @__PURE__ */ $constructor("$ZodCheckIncludes", (inst, def) => {
      $ZodCheck.init(inst, def);
      const escapedRegex = escapeRegex(def.includes);
      const pattern = new RegExp(typeof def.position === "number" ? `^.{${def.position},}${escapedRegex}` : escapedRegex);
      def.pattern = pattern;
      inst._zod.check = (payload) => {
        if (payload.value.includes(def.includes, def.position))
          return;
        payload.issues.push({
          origin: "string",
          code: "invalid_format",
          format: "includes",
          includes: def.includes,
          input: payload.value,
          inst,
          continue: !def.abort
        });
      };
    });
    $ZodCheckStartsWith = /* @__PURE__ */ $constructor("$ZodCheckStartsWith", (inst, def) => {
      $ZodCheck.init(inst, def);
      const pattern = new RegExp(`^${escapeRegex(def.prefix)}.*`);
      def.pattern ?? (def.pattern = pattern);
      inst._zod.check = (payload) => {
        if (payload.value.startsWith(def.prefix))
          return;
        payload.issues.push({
          origin: "string",
          code: "invalid_format",
          format: "starts_with",
          prefix: def.prefix,
          input: payload.value,
          inst,
          continue: !def.abort
        });
      };
    });
    $ZodCheckEndsWith = /* @__PURE__ */ $constructor("$ZodCheckEndsWith", (inst, def) => {
      $ZodCheck.init(inst, def);
      const pattern = new RegExp(`.*${escapeRegex(def.suffix)}$`);
      def.pattern ?? (def.pattern = pattern);
      inst._zod.check = (payload) => {
        if (payload.value.endsWith(def.suffix))
          return;
        payload.issues.push({
          origin: "string",
          code: "invalid_format",
          format: "ends_with",
          suffix: def.suffix,
          input: payload.value,
          inst,
          continue: !def.abort
        });
      };
    });
    $ZodCheckOverwrite = /* @__PURE__ */ $constructor("$ZodCheckOverwrite", (inst, def) => {
      $ZodCheck.init(inst, def);
      inst._zod.check = (payload) => {
        payload.value = def.tx(payload.value);
      };
    });
  }
});

// node_modules/zod/v4/core/doc.js
var Doc;
var init_doc = __esm({
  "node_modules/zod/v4/core/doc.js"() {
    init_import_meta_url();
    Doc = class {
      constructor(args = [], closed = {}) {
        this.content = [];
        this.indent = 0;
        this.args = args;
        this.closed = closed;
      }
      // the compiler catches a child's throw and keeps writing into this doc, so the indent has to unwind with it
      indented(fn) {
        this.indent += 1;
        try {
          fn(this);
        } finally {
          this.indent -= 1;
        }
      }
      write(arg) {
        if (typeof arg === "function") {
          arg(this, { execution: "sync" });
          arg(this, { execution: "async" });
          return;
        }
        const content = arg;
        const lines = content.split("\n").filter((x) => x);
        const minIndent = Math.min(...lines.map((x) => x.length - x.trimStart().length));
        const dedented = lines.map((x) => x.slice(minIndent)).map((x) => " ".repeat(this.indent * 2) + x);
        for (const line of dedented) {
          this.content.push(line);
        }
      }
      compile() {
        const F = Function;
        const content = this?.content ?? [``];
        const factory = new F(...Object.keys(this.closed), `return function (${this.args.join(", ")}) {
${content.join("\n")}
};`);
        return factory(...Object.values(this.closed));
      }
    };
  }
});

// node_modules/zod/v4/core/versions.js
var version;
var init_versions = __esm({
  "node_modules/zod/v4/core/versions.js"() {
    init_import_meta_url();
    version = {
      major: 4,
      minor: 6,
      patch: 7
    };
  }
});

// node_modules/zod/v4/core/schemas.js
async function validateAsync2(inst, value) {
  const ctx = { async: true };
  return toStandardResult(await inst._zod.run({ value, issues: [] }, ctx), ctx);
}
function standardProps(inst) {
  return {
    validate: (value) => {
      const ctx = { async: false };
      try {
        const r = inst._zod.run({ value, issues: [] }, ctx);
        if (!(r instanceof Promise))
          return toStandardResult(r, ctx);
      } catch (_) {
      }
      return validateAsync2(inst, value);
    },
    vendor: "zod",
    version: 1
  };
}
function canParseURL(input) {
  try {
    if (typeof URL !== "undefined" && typeof URL.canParse === "function")
      return URL.canParse(input);
    new URL(input);
    return true;
  } catch {
    return false;
  }
}
function validateURL(trimmed, def) {
  if (!("normalize" in def) && !("hostname" in def) && !("protocol" in def)) {
    return canParseURL(trimmed) || URL_UNPARSEABLE;
  }
  return parseURLObject(trimmed, def);
}
function parseURLObject(trimmed, def) {
  if (!def.normalize && def.protocol?.source === httpProtocol.source && !/^https?:\/\//i.test(trimmed)) {
    return URL_BAD_FORMAT;
  }
  try {
    if (typeof URL !== "undefined") {
      const URLStatic = URL;
      if (typeof URLStatic.parse === "function")
        return URLStatic.parse(trimmed) ?? URL_UNPARSEABLE;
    }
    return new URL(trimmed);
  } catch {
    return URL_UNPARSEABLE;
  }
}
function stripTabAndNewline(value) {
  return value.replace(asciiTabOrNewline, "");
}
function urlHostnameOk(url, hostname) {
  hostname.lastIndex = 0;
  return hostname.test(url.hostname);
}
function urlProtocolOk(url, protocol) {
  protocol.lastIndex = 0;
  return protocol.test(url.protocol.endsWith(":") ? url.protocol.slice(0, -1) : url.protocol);
}
function isValidIPv6(value) {
  if (!ipv6Alphabet.test(value))
    return false;
  return canParseURL(`http://[${value}]`);
}
function isValidCIDRv6(value) {
  const parts = value.split("/");
  if (parts.length !== 2)
    return false;
  const [address, prefix] = parts;
  if (!prefix)
    return false;
  const prefixNum = Number(prefix);
  if (`${prefixNum}` !== prefix)
    return false;
  if (prefixNum < 0 || prefixNum > 128)
    return false;
  return isValidIPv6(address);
}
function isValidBase64(data) {
  if (data === "")
    return true;
  if (/\s/.test(data))
    return false;
  if (data.length % 4 !== 0)
    return false;
  try {
    atob(data);
    return true;
  } catch {
    return false;
  }
}
function isValidBase64URL(data) {
  if (!base64urlCharset.test(data))
    return false;
  const base642 = data.replace(/[-_]/g, (c) => c === "-" ? "+" : "/");
  const padded = base642.padEnd(Math.ceil(base642.length / 4) * 4, "=");
  return isValidBase64(padded);
}
function isValidJWT(token, algorithm = null) {
  try {
    const tokensParts = token.split(".");
    if (tokensParts.length !== 3)
      return false;
    const [header] = tokensParts;
    if (!header)
      return false;
    const parsedHeader = JSON.parse(atob(header));
    if ("typ" in parsedHeader && parsedHeader?.typ !== "JWT")
      return false;
    if (!parsedHeader.alg)
      return false;
    if (algorithm && (!("alg" in parsedHeader) || parsedHeader.alg !== algorithm))
      return false;
    return true;
  } catch {
    return false;
  }
}
function capSize(inst, size) {
  const caps = sizeCaps(inst._zod.def.checks);
  if (!caps.length)
    return;
  const cap = Math.min(...caps.map((c) => c[0]));
  const parse2 = inst._zod.parse;
  inst._zod.parse = (payload, ctx) => {
    const n = size(payload.value);
    if (n > cap && !ctx?.skipChecks && ctx?.direction !== "backward") {
      for (const [max, ch] of sizeCaps(inst._zod.def.checks)) {
        if (n > max && ch._zod.def.when(payload)) {
          const start2 = payload.issues.length;
          ch._zod.check(payload);
          payload.issues[start2].continue = false;
          attachSchema(payload.issues, start2, inst);
          return payload;
        }
      }
    }
    return parse2(payload, ctx);
  };
}
function handleArrayResult(result, final, index) {
  if (result.issues.length) {
    final.issues.push(...prefixIssues(index, result.issues));
  }
  final.value[index] = result.value;
}
function handlePropertyResult(result, final, key, input, optin, optout) {
  const isPresent = key in input;
  const isOptionalOut = optout === "optional";
  if (!isPresent && isOptionalOut && optin === "optional") {
    return;
  }
  if (result.issues.length) {
    if (optin !== void 0 && isOptionalOut && !isPresent) {
      return;
    }
    final.issues.push(...prefixIssues(key, result.issues));
  }
  if (!isPresent && optin === void 0) {
    if (!result.issues.length) {
      final.issues.push({
        code: "invalid_type",
        expected: "nonoptional",
        input: void 0,
        path: [key]
      });
    }
    return;
  }
  if (result.value === void 0) {
    if (isPresent || optin === "defaulted" && !isOptionalOut) {
      final.value[key] = void 0;
    }
  } else {
    final.value[key] = result.value;
  }
}
function normalizeDef(def) {
  const keys = Object.keys(def.shape);
  const ownSymbols = Object.getOwnPropertySymbols(def.shape);
  const symbolKeys = ownSymbols.length ? ownSymbols : NO_SYMBOL_KEYS;
  const allKeys = symbolKeys.length ? [...keys, ...symbolKeys] : keys;
  for (const k of allKeys) {
    if (!def.shape?.[k]?._zod?.traits?.has("$ZodType")) {
      throw new Error(`Invalid element at key "${String(k)}": expected a Zod schema`);
    }
  }
  const okeys = optionalKeys(def.shape);
  return {
    ...def,
    allKeys,
    symbolKeys,
    // string-only: handleCatchall matches it against `for...in`, which never yields a symbol
    keySet: new Set(keys),
    numKeys: keys.length,
    optionalKeys: new Set(okeys)
  };
}
function handleCatchall(proms, input, payload, ctx, def, inst, abortEarly) {
  const unrecognized = [];
  const keySet = def.keySet;
  const _catchall = def.catchall._zod;
  const t = _catchall.def.type;
  const optin = _catchall.optin;
  const optout = _catchall.optout;
  let seen = 0;
  for (const key in input) {
    if (abortEarly && payload.issues.length !== seen) {
      if (aborted(payload, seen))
        break;
      seen = payload.issues.length;
    }
    if (keySet.has(key))
      continue;
    if (key === "__proto__") {
      if (t === "never")
        unrecognized.push(key);
      continue;
    }
    if (t === "never") {
      unrecognized.push(key);
      continue;
    }
    const r = _catchall.run({ value: input[key], issues: [] }, ctx);
    if (r instanceof Promise) {
      proms.push(r.then((r2) => handlePropertyResult(r2, payload, key, input, optin, optout)));
    } else {
      handlePropertyResult(r, payload, key, input, optin, optout);
    }
  }
  if (unrecognized.length) {
    payload.issues.push({
      code: "unrecognized_keys",
      keys: unrecognized,
      input,
      inst,
      // Describes the shape of the input, not the validity of the parsed value, so it never aborts. The parse still fails; the schema's own checks just get to run first, and an enclosing intersection can reconcile the key against a sibling operand.
      continue: true
    });
  }
  if (!proms.length)
    return payload;
  return Promise.all(proms).then(() => {
    return payload;
  });
}
function handleUnionResults(results, final, inst, ctx) {
  for (const result of results) {
    if (result.issues.length === 0) {
      final.value = result.value;
      return final;
    }
  }
  const nonaborted = results.filter((r) => !aborted(r));
  if (nonaborted.length === 1) {
    final.value = nonaborted[0].value;
    return nonaborted[0];
  }
  final.issues.push({
    code: "invalid_union",
    input: final.value,
    inst,
    errors: results.map((result) => result.issues.map((iss) => finalizeIssue(iss, ctx, config())))
  });
  return final;
}
function mergeValues(a, b) {
  if (a === b) {
    return { valid: true, data: a };
  }
  if (a instanceof Date && b instanceof Date && +a === +b) {
    return { valid: true, data: a };
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const bKeys = Object.keys(b);
    const sharedKeys = Object.keys(a).filter((key) => bKeys.indexOf(key) !== -1);
    const newObj = { ...a, ...b };
    if (Object.prototype.hasOwnProperty.call(newObj, "__proto__"))
      delete newObj.__proto__;
    for (const key of sharedKeys) {
      if (key === "__proto__")
        continue;
      const sharedValue = mergeValues(a[key], b[key]);
      if (!sharedValue.valid) {
        return {
          valid: false,
          mergeErrorPath: [key, ...sharedValue.mergeErrorPath]
        };
      }
      newObj[key] = sharedValue.data;
    }
    return { valid: true, data: newObj };
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) {
      return { valid: false, mergeErrorPath: [] };
    }
    const newArray = [];
    for (let index = 0; index < a.length; index++) {
      const itemA = a[index];
      const itemB = b[index];
      const sharedValue = mergeValues(itemA, itemB);
      if (!sharedValue.valid) {
        return {
          valid: false,
          mergeErrorPath: [index, ...sharedValue.mergeErrorPath]
        };
      }
      newArray.push(sharedValue.data);
    }
    return { valid: true, data: newArray };
  }
  return { valid: false, mergeErrorPath: [] };
}
function handleIntersectionResults(result, left, right) {
  const unrecKeys = /* @__PURE__ */ new Map();
  let unrecIssue;
  const keyIssues = /* @__PURE__ */ new Map();
  const collect = (iss, side) => {
    let keys;
    if (iss.code === "unrecognized_keys" && !iss.path?.length) {
      unrecIssue ?? (unrecIssue = iss);
      keys = iss.keys;
    } else if (iss.code === "invalid_key" && iss.origin === "record" && iss.path?.length === 1) {
      const k = String(iss.path[0]);
      if (!keyIssues.has(k))
        keyIssues.set(k, iss);
      keys = [k];
    } else {
      return false;
    }
    for (const k of keys) {
      if (!unrecKeys.has(k))
        unrecKeys.set(k, {});
      unrecKeys.get(k)[side] = true;
    }
    return true;
  };
  for (const iss of left.issues) {
    if (!collect(iss, "l"))
      result.issues.push(iss);
  }
  for (const iss of right.issues) {
    if (!collect(iss, "r"))
      result.issues.push(iss);
  }
  const bothKeys = [...unrecKeys].filter(([, f]) => f.l && f.r).map(([k]) => k);
  if (bothKeys.length) {
    const aggregated = unrecIssue ? bothKeys.filter((k) => unrecIssue.keys.includes(k)) : [];
    if (aggregated.length)
      result.issues.push({ ...unrecIssue, keys: aggregated });
    for (const k of bothKeys) {
      if (!aggregated.includes(k) && keyIssues.has(k))
        result.issues.push(keyIssues.get(k));
    }
  }
  const merged = mergeValues(left.value, right.value);
  if (!merged.valid) {
    if (aborted(result))
      return result;
    throw new Error(`Unmergable intersection. Error path: ${JSON.stringify(merged.mergeErrorPath)}`);
  }
  result.value = merged.data;
  return result;
}
function handleOptionalResult(payload, result) {
  payload.value = result.issues.length ? void 0 : result.value;
  return payload;
}
function handleDefaultResult(payload, def) {
  if (payload.value === void 0) {
    payload.value = def.defaultValue;
  }
  return payload;
}
function handleNonOptionalResult(payload, inst) {
  if (!payload.issues.length && payload.value === void 0) {
    payload.issues.push({
      code: "invalid_type",
      expected: "nonoptional",
      input: payload.value,
      inst
    });
  }
  return payload;
}
function handleCatchResult(payload, result, def, ctx) {
  if (!result.issues.length) {
    payload.value = result.value;
    if (result.memo)
      payload.memo = true;
    return payload;
  }
  payload.value = def.catchValue({
    ...result,
    value: payload.value,
    error: {
      issues: result.issues.map((iss) => finalizeIssue(iss, ctx, config()))
    },
    input: payload.value
  });
  return payload;
}
function handlePipeResult(left, next, ctx) {
  if (left.issues.some((iss) => iss.code !== "unrecognized_keys")) {
    left.aborted = true;
    return left;
  }
  return next._zod.run({ value: left.value, issues: left.issues }, ctx);
}
function handleReadonlyResult(payload) {
  if (!payload.memo)
    payload.value = Object.freeze(payload.value);
  return payload;
}
function handleRefineResult(result, payload, input, inst) {
  if (!result) {
    const _iss = {
      code: "custom",
      input,
      inst,
      // incorporates params.error into issue reporting
      path: [...inst._zod.def.path ?? []],
      // incorporates params.error into issue reporting
      continue: !inst._zod.def.abort
      // params: inst._zod.def.params,
    };
    if (inst._zod.def.params)
      _iss.params = inst._zod.def.params;
    payload.issues.push(issue(_iss));
  }
}
var $ZodType, toStandardResult, $ZodString, $ZodStringFormat, $ZodGUID, $ZodUUID, $ZodEmail, URL_BAD_FORMAT, URL_UNPARSEABLE, asciiTabOrNewline, $ZodURL, $ZodEmoji, $ZodNanoID, $ZodCUID, $ZodCUID2, $ZodULID, $ZodXID, $ZodKSUID, $ZodISODateTime, $ZodISODate, $ZodISOTime, $ZodISODuration, $ZodIPv4, ipv6Alphabet, $ZodIPv6, $ZodCIDRv4, $ZodCIDRv6, base64Charset, $ZodBase64, base64urlCharset, $ZodBase64URL, $ZodE164, $ZodJWT, $ZodNumber, $ZodNumberFormat, $ZodBoolean, $ZodUnknown, $ZodNever, arraySize, $ZodArray, NO_SYMBOL_KEYS, $ZodObject, $ZodObjectJIT, $ZodUnion, $ZodIntersection, $ZodRecord, $ZodEnum, $ZodLiteral, $ZodTransform, $ZodOptional, $ZodExactOptional, $ZodNullable, $ZodDefault, $ZodPrefault, $ZodNonOptional, $ZodCatch, $ZodPipe, $ZodReadonly, $ZodCustom;
var init_schemas = __esm({
  "node_modules/zod/v4/core/schemas.js"() {
    init_import_meta_url();
    init_checks();
    init_core();
    init_doc();
    init_regexes();
    init_util();
    init_versions();
    init_util();
    $ZodType = /* @__PURE__ */ $constructor("$ZodType", (inst, def) => {
      var _a3;
      inst ?? (inst = {});
      inst._zod.def = def;
      inst._zod.bag = inst._zod.bag || {};
      inst._zod.version = version;
      const defChecks = inst._zod.def.checks;
      const checks = inst._zod.traits.has("$ZodCheck") ? [inst, ...defChecks ?? []] : defChecks?.length ? [...defChecks] : [];
      for (const ch of checks) {
        for (const fn of ch._zod.onattach) {
          fn(inst);
        }
      }
      if (checks.length === 0) {
        (_a3 = inst._zod).deferred ?? (_a3.deferred = []);
        inst._zod.deferred?.push(() => {
          inst._zod.run = inst._zod.parse;
        });
      } else {
        const runChecks = (payload, checks2, ctx) => {
          if (payload.memo)
            return payload;
          let isAborted = aborted(payload);
          let asyncResult;
          for (const ch of checks2) {
            if (ch._zod.def.when) {
              if (explicitlyAborted(payload))
                continue;
              const shouldRun = ch._zod.def.when(payload);
              if (!shouldRun)
                continue;
            } else if (isAborted) {
              continue;
            }
            const currLen = payload.issues.length;
            const _ = ch._zod.check(payload);
            if (_ instanceof Promise && ctx?.async === false) {
              throw new $ZodAsyncError();
            }
            if (asyncResult || _ instanceof Promise) {
              asyncResult = (asyncResult ?? Promise.resolve()).then(async () => {
                await _;
                const nextLen = payload.issues.length;
                if (nextLen === currLen)
                  return;
                attachSchema(payload.issues, currLen, inst);
                if (!isAborted)
                  isAborted = aborted(payload, currLen);
              });
            } else {
              const nextLen = payload.issues.length;
              if (nextLen === currLen)
                continue;
              attachSchema(payload.issues, currLen, inst);
              if (!isAborted)
                isAborted = aborted(payload, currLen);
            }
          }
          if (asyncResult) {
            return asyncResult.then(() => {
              return payload;
            });
          }
          return payload;
        };
        const handleCanaryResult = (canary, payload, ctx) => {
          if (aborted(canary)) {
            canary.aborted = true;
            return canary;
          }
          const checkResult = runChecks(payload, checks, ctx);
          if (checkResult instanceof Promise) {
            if (ctx.async === false)
              throw new $ZodAsyncError();
            return checkResult.then((checkResult2) => inst._zod.parse(checkResult2, ctx));
          }
          return inst._zod.parse(checkResult, ctx);
        };
        inst._zod.run = (payload, ctx) => {
          if (ctx.skipChecks) {
            return inst._zod.parse(payload, ctx);
          }
          if (ctx.direction === "backward") {
            const canary = inst._zod.parse({ value: payload.value, issues: [] }, { ...ctx, skipChecks: true });
            if (canary instanceof Promise) {
              return canary.then((canary2) => {
                return handleCanaryResult(canary2, payload, ctx);
              });
            }
            return handleCanaryResult(canary, payload, ctx);
          }
          const result = inst._zod.parse(payload, ctx);
          if (result instanceof Promise) {
            if (ctx.async === false)
              throw new $ZodAsyncError();
            return result.then((result2) => runChecks(result2, checks, ctx));
          }
          return runChecks(result, checks, ctx);
        };
      }
    }, {
      // Wrappers extend this by installing a richer factory over it; reading it eagerly would defeat the laziness.
      get "~standard"() {
        return hide(this, "~standard", standardProps(this));
      },
      set "~standard"(value) {
        own(this, "~standard", value);
      }
    });
    toStandardResult = (r, ctx) => r.issues.length ? { issues: r.issues.map((iss) => finalizeIssue(iss, ctx, config())) } : { value: r.value };
    $ZodString = /* @__PURE__ */ $constructor("$ZodString", (inst, def) => {
      $ZodType.init(inst, def);
      inst._zod.pattern = def.pattern ?? anyString;
      inst._zod.parse = (payload, _) => {
        if (def.coerce)
          try {
            payload.value = String(payload.value);
          } catch (_2) {
          }
        if (typeof payload.value === "string")
          return payload;
        payload.issues.push({
          expected: "string",
          code: "invalid_type",
          input: payload.value,
          inst
        });
        return payload;
      };
    });
    $ZodStringFormat = /* @__PURE__ */ $constructor("$ZodStringFormat", (inst, def) => {
      $ZodCheckStringFormat.init(inst, def);
      $ZodString.init(inst, def);
    });
    $ZodGUID = /* @__PURE__ */ $constructor("$ZodGUID", (inst, def) => {
      def.pattern ?? (def.pattern = guid);
      $ZodStringFormat.init(inst, def);
    });
    $ZodUUID = /* @__PURE__ */ $constructor("$ZodUUID", (inst, def) => {
      if (def.version) {
        const versionMap = {
          v1: 1,
          v2: 2,
          v3: 3,
          v4: 4,
          v5: 5,
          v6: 6,
          v7: 7,
          v8: 8
        };
        const v = versionMap[def.version];
        if (v === void 0)
          throw new Error(`Invalid UUID version: "${def.version}"`);
        def.pattern ?? (def.pattern = uuid(v));
      } else
        def.pattern ?? (def.pattern = uuid());
      $ZodStringFormat.init(inst, def);
    });
    $ZodEmail = /* @__PURE__ */ $constructor("$ZodEmail", (inst, def) => {
      def.pattern ?? (def.pattern = email);
      $ZodStringFormat.init(inst, def);
    });
    URL_BAD_FORMAT = 1;
    URL_UNPARSEABLE = 2;
    asciiTabOrNewline = /[\t\n\r]/g;
    $ZodURL = /* @__PURE__ */ $constructor("$ZodURL", (inst, def) => {
      $ZodStringFormat.init(inst, def);
      inst._zod.check = (payload) => {
        try {
          const trimmed = payload.value.trim();
          const url = validateURL(trimmed, def);
          if (url === URL_BAD_FORMAT) {
            payload.issues.push({
              code: "invalid_format",
              format: "url",
              note: "Invalid URL format",
              input: payload.value,
              inst,
              continue: !def.abort
            });
            return;
          }
          if (url === URL_UNPARSEABLE) {
            payload.issues.push({
              code: "invalid_format",
              format: "url",
              input: payload.value,
              inst,
              continue: !def.abort
            });
            return;
          }
          if (url === true) {
            payload.value = stripTabAndNewline(trimmed);
            return;
          }
          if (def.hostname && !urlHostnameOk(url, def.hostname)) {
            payload.issues.push({
              code: "invalid_format",
              format: "url",
              note: "Invalid hostname",
              pattern: def.hostname.source,
              input: payload.value,
              inst,
              continue: !def.abort
            });
          }
          if (def.protocol && !urlProtocolOk(url, def.protocol)) {
            payload.issues.push({
              code: "invalid_format",
              format: "url",
              note: "Invalid protocol",
              pattern: def.protocol.source,
              input: payload.value,
              inst,
              continue: !def.abort
            });
          }
          payload.value = def.normalize ? url.href : stripTabAndNewline(trimmed);
          return;
        } catch (_) {
          payload.issues.push({
            code: "invalid_format",
            format: "url",
            input: payload.value,
            inst,
            continue: !def.abort
          });
        }
      };
    });
    $ZodEmoji = /* @__PURE__ */ $constructor("$ZodEmoji", (inst, def) => {
      def.pattern ?? (def.pattern = emoji());
      $ZodStringFormat.init(inst, def);
    });
    $ZodNanoID = /* @__PURE__ */ $constructor("$ZodNanoID", (inst, def) => {
      if (def.length !== void 0 && (!Number.isInteger(def.length) || def.length < 1))
        throw new Error(`Invalid nanoid length: ${def.length}`);
      def.pattern ?? (def.pattern = def.length === void 0 ? nanoid : nanoidOfLength(def.length));
      $ZodStringFormat.init(inst, def);
    });
    $ZodCUID = /* @__PURE__ */ $constructor("$ZodCUID", (inst, def) => {
      def.pattern ?? (def.pattern = cuid);
      $ZodStringFormat.init(inst, def);
    });
    $ZodCUID2 = /* @__PURE__ */ $constructor("$ZodCUID2", (inst, def) => {
      def.pattern ?? (def.pattern = cuid2);
      $ZodStringFormat.init(inst, def);
    });
    $ZodULID = /* @__PURE__ */ $constructor("$ZodULID", (inst, def) => {
      def.pattern ?? (def.pattern = ulid);
      $ZodStringFormat.init(inst, def);
    });
    $ZodXID = /* @__PURE__ */ $constructor("$ZodXID", (inst, def) => {
      def.pattern ?? (def.pattern = xid);
      $ZodStringFormat.init(inst, def);
    });
    $ZodKSUID = /* @__PURE__ */ $constructor("$ZodKSUID", (inst, def) => {
      def.pattern ?? (def.pattern = ksuid);
      $ZodStringFormat.init(inst, def);
    });
    $ZodISODateTime = /* @__PURE__ */ $constructor("$ZodISODateTime", (inst, def) => {
      def.pattern ?? (def.pattern = datetime(def));
      $ZodStringFormat.init(inst, def);
    });
    $ZodISODate = /* @__PURE__ */ $constructor("$ZodISODate", (inst, def) => {
      def.pattern ?? (def.pattern = date);
      $ZodStringFormat.init(inst, def);
    });
    $ZodISOTime = /* @__PURE__ */ $constructor("$ZodISOTime", (inst, def) => {
      def.pattern ?? (def.pattern = time(def));
      $ZodStringFormat.init(inst, def);
    });
    $ZodISODuration = /* @__PURE__ */ $constructor("$ZodISODuration", (inst, def) => {
      def.pattern ?? (def.pattern = duration);
      $ZodStringFormat.init(inst, def);
    });
    $ZodIPv4 = /* @__PURE__ */ $constructor("$ZodIPv4", (inst, def) => {
      def.pattern ?? (def.pattern = ipv4);
      $ZodStringFormat.init(inst, def);
    });
    ipv6Alphabet = /^[0-9a-fA-F:.]+$/;
    $ZodIPv6 = /* @__PURE__ */ $constructor("$ZodIPv6", (inst, def) => {
      def.pattern ?? (def.pattern = ipv6);
      $ZodStringFormat.init(inst, def);
      inst._zod.check = (payload) => {
        if (!isValidIPv6(payload.value)) {
          payload.issues.push({
            code: "invalid_format",
            format: "ipv6",
            input: payload.value,
            inst,
            continue: !def.abort
          });
        }
      };
    });
    $ZodCIDRv4 = /* @__PURE__ */ $constructor("$ZodCIDRv4", (inst, def) => {
      def.pattern ?? (def.pattern = cidrv4);
      $ZodStringFormat.init(inst, def);
    });
    $ZodCIDRv6 = /* @__PURE__ */ $constructor("$ZodCIDRv6", (inst, def) => {
      def.pattern ?? (def.pattern = cidrv6);
      $ZodStringFormat.init(inst, def);
      inst._zod.check = (payload) => {
        if (!isValidCIDRv6(payload.value)) {
          payload.issues.push({
            code: "invalid_format",
            format: "cidrv6",
            input: payload.value,
            inst,
            continue: !def.abort
          });
        }
      };
    });
    base64Charset = /^[0-9a-zA-Z+/]*={0,2}$/;
    $ZodBase64 = /* @__PURE__ */ $constructor("$ZodBase64", (inst, def) => {
      def.pattern ?? (def.pattern = base64Charset);
      $ZodStringFormat.init(inst, def);
      inst._zod.check = (payload) => {
        if (isValidBase64(payload.value))
          return;
        payload.issues.push({
          code: "invalid_format",
          format: "base64",
          input: payload.value,
          inst,
          continue: !def.abort
        });
      };
    });
    base64urlCharset = /^[A-Za-z0-9_-]*$/;
    $ZodBase64URL = /* @__PURE__ */ $constructor("$ZodBase64URL", (inst, def) => {
      def.pattern ?? (def.pattern = base64urlCharset);
      $ZodStringFormat.init(inst, def);
      inst._zod.check = (payload) => {
        if (isValidBase64URL(payload.value))
          return;
        payload.issues.push({
          code: "invalid_format",
          format: "base64url",
          input: payload.value,
          inst,
          continue: !def.abort
        });
      };
    });
    $ZodE164 = /* @__PURE__ */ $constructor("$ZodE164", (inst, def) => {
      def.pattern ?? (def.pattern = e164);
      $ZodStringFormat.init(inst, def);
    });
    $ZodJWT = /* @__PURE__ */ $constructor("$ZodJWT", (inst, def) => {
      $ZodStringFormat.init(inst, def);
      inst._zod.check = (payload) => {
        if (isValidJWT(payload.value, def.alg))
          return;
        payload.issues.push({
          code: "invalid_format",
          format: "jwt",
          input: payload.value,
          inst,
          continue: !def.abort
        });
      };
    });
    $ZodNumber = /* @__PURE__ */ $constructor("$ZodNumber", (inst, def) => {
      $ZodType.init(inst, def);
      inst._zod.pattern = number;
      inst._zod.parse = (payload, _ctx) => {
        if (def.coerce)
          try {
            payload.value = Number(payload.value);
          } catch (_) {
          }
        const input = payload.value;
        if (typeof input === "number" && !Number.isNaN(input) && Number.isFinite(input)) {
          return payload;
        }
        const received = typeof input === "number" ? Number.isNaN(input) ? "NaN" : !Number.isFinite(input) ? String(input) : void 0 : void 0;
        payload.issues.push({
          expected: "number",
          code: "invalid_type",
          input,
          inst,
          ...received ? { received } : {}
        });
        return payload;
      };
    });
    $ZodNumberFormat = /* @__PURE__ */ $constructor("$ZodNumberFormat", (inst, def) => {
      $ZodCheckNumberFormat.init(inst, def);
      $ZodNumber.init(inst, def);
    });
    $ZodBoolean = /* @__PURE__ */ $constructor("$ZodBoolean", (inst, def) => {
      $ZodType.init(inst, def);
      inst._zod.pattern = boolean;
      inst._zod.parse = (payload, _ctx) => {
        if (def.coerce)
          try {
            payload.value = Boolean(payload.value);
          } catch (_) {
          }
        const input = payload.value;
        if (typeof input === "boolean")
          return payload;
        payload.issues.push({
          expected: "boolean",
          code: "invalid_type",
          input,
          inst
        });
        return payload;
      };
    });
    $ZodUnknown = /* @__PURE__ */ $constructor("$ZodUnknown", (inst, def) => {
      $ZodType.init(inst, def);
      inst._zod.parse = (payload) => payload;
    });
    $ZodNever = /* @__PURE__ */ $constructor("$ZodNever", (inst, def) => {
      $ZodType.init(inst, def);
      inst._zod.parse = (payload, _ctx) => {
        payload.issues.push({
          expected: "never",
          code: "invalid_type",
          input: payload.value,
          inst
        });
        return payload;
      };
    });
    arraySize = (input) => Array.isArray(input) ? input.length : -1;
    $ZodArray = /* @__PURE__ */ $constructor("$ZodArray", (inst, def) => {
      $ZodType.init(inst, def);
      const memo2 = globalConfig.memoizer;
      memo2?.attach(inst);
      inst._zod.parse = (payload, ctx) => {
        const input = payload.value;
        if (!Array.isArray(input)) {
          payload.issues.push({
            expected: "array",
            code: "invalid_type",
            input,
            inst
          });
          return payload;
        }
        payload.value = memo2 ? memo2.alloc(inst, payload, Array(input.length), ctx) : Array(input.length);
        const proms = [];
        const abortEarly = ctx?.abortEarly;
        for (let i = 0; i < input.length; i++) {
          const item = input[i];
          const result = def.element._zod.run({
            value: item,
            issues: []
          }, ctx);
          if (result instanceof Promise) {
            proms.push(result.then((result2) => handleArrayResult(result2, payload, i)));
          } else {
            handleArrayResult(result, payload, i);
            if (abortEarly && result.issues.length !== 0 && aborted(result))
              break;
          }
        }
        if (proms.length) {
          return Promise.all(proms).then(() => payload);
        }
        return payload;
      };
      capSize(inst, arraySize);
    });
    NO_SYMBOL_KEYS = [];
    $ZodObject = /* @__PURE__ */ $constructor("$ZodObject", (inst, def) => {
      $ZodType.init(inst, def);
      const desc = Object.getOwnPropertyDescriptor(def, "shape");
      const sh = desc?.get ? desc.get.raw : def.shape ?? {};
      if (sh) {
        const get = () => {
          const newSh = { ...sh };
          Object.defineProperty(def, "shape", { value: newSh });
          get.raw = newSh;
          return newSh;
        };
        get.raw = sh;
        Object.defineProperty(def, "shape", { get });
      }
      const _normalized = cached2(() => normalizeDef(def));
      defineLazyInternal(inst, "propValues", (zod) => {
        const shape = zod.def.shape;
        const propValues = {};
        for (const key in shape) {
          const field = shape[key]._zod;
          if (field.values) {
            if (!Object.prototype.hasOwnProperty.call(propValues, key)) {
              assignProp(propValues, key, /* @__PURE__ */ new Set());
            }
            for (const v of field.values)
              propValues[key].add(v);
            if (field.optin !== void 0)
              propValues[key].add(void 0);
          }
        }
        return propValues;
      });
      const isObject3 = isObject;
      const catchall = def.catchall;
      let value;
      const memo2 = globalConfig.memoizer;
      memo2?.attach(inst);
      inst._zod.parse = (payload, ctx) => {
        value ?? (value = _normalized.value);
        const input = payload.value;
        if (!isObject3(input)) {
          payload.issues.push({
            expected: "object",
            code: "invalid_type",
            input,
            inst
          });
          return payload;
        }
        payload.value = memo2 ? memo2.alloc(inst, payload, {}, ctx) : {};
        const proms = [];
        const shape = value.shape;
        const abortEarly = ctx?.abortEarly;
        let seen = payload.issues.length;
        for (const key of value.allKeys) {
          if (abortEarly && payload.issues.length !== seen) {
            if (aborted(payload, seen))
              break;
            seen = payload.issues.length;
          }
          if (key === "__proto__")
            continue;
          const el = shape[key];
          const optin = el._zod.optin;
          const optout = el._zod.optout;
          const r = el._zod.run({ value: input[key], issues: [] }, ctx);
          if (r instanceof Promise) {
            proms.push(r.then((r2) => handlePropertyResult(r2, payload, key, input, optin, optout)));
          } else {
            handlePropertyResult(r, payload, key, input, optin, optout);
          }
        }
        if (!catchall) {
          return proms.length ? Promise.all(proms).then(() => payload) : payload;
        }
        return handleCatchall(proms, input, payload, ctx, _normalized.value, inst, abortEarly === true);
      };
    });
    $ZodObjectJIT = /* @__PURE__ */ $constructor("$ZodObjectJIT", (inst, def) => {
      $ZodObject.init(inst, def);
      const superParse = inst._zod.parse;
      const _normalized = cached2(() => normalizeDef(def));
      const memo2 = globalConfig.memoizer;
      const generateFastpass = (shape) => {
        const normalized = _normalized.value;
        const syms = normalized.symbolKeys;
        const doc = new Doc(["payload", "ctx"], { shape, inst, memo: memo2, syms });
        const parseStr = (k) => `shape[${k}]._zod.run({ value: input[${k}], issues: [] }, ctx)`;
        const prefixStr = (id, k) => `
          let ${id}_ab = false;
          for (let i = 0; i < ${id}.issues.length; i++) {
            const iss = ${id}.issues[i];
            iss.path = iss.path ? [${k}, ...iss.path] : [${k}];
            payload.issues.push(iss);
            if (iss.continue !== true) ${id}_ab = true;
          }
          if (${id}_ab && ctx && ctx.abortEarly) {
            payload.value = newResult;
            return payload;
          }`;
        doc.write(`const input = payload.value;`);
        const ids = /* @__PURE__ */ Object.create(null);
        let counter = 0;
        for (const key of normalized.allKeys) {
          ids[key] = `key_${counter++}`;
        }
        doc.write(memo2 ? `const newResult = memo.alloc(inst, payload, {}, ctx);` : `const newResult = {};`);
        for (const key of normalized.allKeys) {
          if (key === "__proto__")
            continue;
          const id = ids[key];
          const k = typeof key === "symbol" ? `syms[${syms.indexOf(key)}]` : esc(key);
          const isPresent = `${k} in input`;
          const schema = shape[key];
          const optin = schema?._zod?.optin;
          const isOptionalIn = optin !== void 0;
          const isOptionalOut = schema?._zod?.optout === "optional";
          doc.write(`const ${id} = ${parseStr(k)};`);
          if (isOptionalIn && isOptionalOut) {
            const assign = optin === "optional" ? `${id}_present` : `${id}.value !== undefined || ${id}_present`;
            doc.write(`
        const ${id}_present = ${isPresent};
        if (!${id}.issues.length || ${id}_present) {
          if (${id}.issues.length) {${prefixStr(id, k)}
          }

          if (${assign}) {
            newResult[${k}] = ${id}.value;
          }
        }

      `);
          } else if (!isOptionalIn) {
            doc.write(`
        const ${id}_present = ${isPresent};
        if (${id}.issues.length) {${prefixStr(id, k)}
        }
        if (!${id}_present && !${id}.issues.length) {
          payload.issues.push({
            code: "invalid_type",
            expected: "nonoptional",
            input: undefined,
            path: [${k}]
          });
          if (ctx && ctx.abortEarly) {
            payload.value = newResult;
            return payload;
          }
        }

        if (${id}_present) {
          newResult[${k}] = ${id}.value;
        }

      `);
          } else {
            doc.write(`
        if (${id}.issues.length) {${prefixStr(id, k)}
        }
      `);
            if (optin === "defaulted") {
              doc.write(`newResult[${k}] = ${id}.value;`);
            } else {
              doc.write(`
        if (${id}.value !== undefined || ${isPresent}) {
          newResult[${k}] = ${id}.value;
        }
      `);
            }
          }
        }
        doc.write(`payload.value = newResult;`);
        doc.write(`return payload;`);
        return doc.compile();
      };
      let fastpass;
      const isObject3 = isObject;
      const jit = !globalConfig.jitless;
      const allowsEval2 = allowsEval;
      const fastEnabled = jit && allowsEval2.value;
      const catchall = def.catchall;
      let value;
      inst._zod.parse = (payload, ctx) => {
        value ?? (value = _normalized.value);
        const input = payload.value;
        if (!isObject3(input)) {
          payload.issues.push({
            expected: "object",
            code: "invalid_type",
            input,
            inst
          });
          return payload;
        }
        if (jit && fastEnabled && ctx?.async === false && ctx.jitless !== true) {
          if (!fastpass)
            fastpass = generateFastpass(def.shape);
          payload = fastpass(payload, ctx);
          if (!catchall)
            return payload;
          return handleCatchall([], input, payload, ctx, value, inst, ctx?.abortEarly === true);
        }
        return superParse(payload, ctx);
      };
    });
    $ZodUnion = /* @__PURE__ */ $constructor("$ZodUnion", (inst, def) => {
      $ZodType.init(inst, def);
      defineLazyInternal(inst, "optin", (zod) => zod.def.options.some((o) => o._zod.optin === "defaulted") ? "defaulted" : zod.def.options.some((o) => o._zod.optin !== void 0) ? "optional" : void 0);
      defineLazyInternal(inst, "optout", (zod) => zod.def.options.some((o) => o._zod.optout === "optional") ? "optional" : void 0);
      defineLazyInternal(inst, "values", (zod) => {
        if (zod.def.options.every((o) => o._zod.values)) {
          return new Set(zod.def.options.flatMap((option) => Array.from(option._zod.values)));
        }
        return void 0;
      });
      defineLazyInternal(inst, "pattern", (zod) => {
        if (zod.def.options.every((o) => o._zod.pattern)) {
          const patterns = zod.def.options.map((o) => o._zod.pattern);
          return new RegExp(`^(${patterns.map((p) => cleanRegex(p.source)).join("|")})$`);
        }
        return void 0;
      });
      const first = def.options.length === 1 ? def.options[0]._zod.run : null;
      inst._zod.parse = (payload, ctx) => {
        if (first) {
          return first(payload, ctx);
        }
        let async = false;
        const results = [];
        for (const option of def.options) {
          const result = option._zod.run({
            value: payload.value,
            issues: []
          }, ctx);
          if (result instanceof Promise) {
            results.push(result);
            async = true;
          } else {
            if (result.issues.length === 0)
              return result;
            results.push(result);
          }
        }
        if (!async)
          return handleUnionResults(results, payload, inst, ctx);
        return Promise.all(results).then((results2) => {
          return handleUnionResults(results2, payload, inst, ctx);
        });
      };
    });
    $ZodIntersection = /* @__PURE__ */ $constructor("$ZodIntersection", (inst, def) => {
      $ZodType.init(inst, def);
      inst._zod.parse = (payload, ctx) => {
        const input = payload.value;
        const left = def.left._zod.run({ value: input, issues: [] }, ctx);
        const right = def.right._zod.run({ value: input, issues: [] }, ctx);
        const async = left instanceof Promise || right instanceof Promise;
        if (async) {
          return Promise.all([left, right]).then(([left2, right2]) => {
            return handleIntersectionResults(payload, left2, right2);
          });
        }
        return handleIntersectionResults(payload, left, right);
      };
    });
    $ZodRecord = /* @__PURE__ */ $constructor("$ZodRecord", (inst, def) => {
      $ZodType.init(inst, def);
      const memo2 = globalConfig.memoizer;
      memo2?.attach(inst);
      inst._zod.parse = (payload, ctx) => {
        const input = payload.value;
        if (!isPlainObject(input)) {
          payload.issues.push({
            expected: "record",
            code: "invalid_type",
            input,
            inst
          });
          return payload;
        }
        const proms = [];
        const values = def.keyType._zod.values;
        if (values && !def.partial) {
          payload.value = memo2 ? memo2.alloc(inst, payload, {}, ctx) : {};
          const recordKeys = /* @__PURE__ */ new Set();
          for (const key of values) {
            if (typeof key === "string" || typeof key === "number" || typeof key === "symbol") {
              recordKeys.add(typeof key === "number" ? key.toString() : key);
              if (key === "__proto__")
                continue;
              const keyResult = def.keyType._zod.run({ value: key, issues: [] }, ctx);
              if (keyResult instanceof Promise) {
                throw new Error("Async schemas not supported in object keys currently");
              }
              if (keyResult.issues.length) {
                payload.issues.push({
                  code: "invalid_key",
                  origin: "record",
                  issues: keyResult.issues.map((iss) => finalizeIssue(iss, ctx, config())),
                  input: key,
                  path: [key],
                  inst
                });
                continue;
              }
              const outKey = keyResult.value;
              if (outKey === "__proto__")
                continue;
              const result = def.valueType._zod.run({ value: input[key], issues: [] }, ctx);
              if (result instanceof Promise) {
                proms.push(result.then((result2) => {
                  if (result2.issues.length) {
                    payload.issues.push(...prefixIssues(key, result2.issues));
                  }
                  payload.value[outKey] = result2.value;
                }));
              } else {
                if (result.issues.length) {
                  payload.issues.push(...prefixIssues(key, result.issues));
                }
                payload.value[outKey] = result.value;
              }
            }
          }
          let unrecognized;
          for (const key in input) {
            if (!recordKeys.has(key)) {
              if (def.mode === "loose") {
                if (key === "__proto__")
                  continue;
                payload.value[key] = input[key];
              } else {
                unrecognized = unrecognized ?? [];
                unrecognized.push(key);
              }
            }
          }
          if (unrecognized && unrecognized.length > 0) {
            payload.issues.push({
              code: "unrecognized_keys",
              input,
              inst,
              keys: unrecognized,
              continue: true
            });
          }
        } else {
          payload.value = memo2 ? memo2.alloc(inst, payload, {}, ctx) : {};
          let unrecognized;
          for (const key of Reflect.ownKeys(input)) {
            if (key === "__proto__")
              continue;
            if (!Object.prototype.propertyIsEnumerable.call(input, key))
              continue;
            let keyResult = def.keyType._zod.run({ value: key, issues: [] }, ctx);
            if (keyResult instanceof Promise) {
              throw new Error("Async schemas not supported in object keys currently");
            }
            const checkNumericKey = typeof key === "string" && number.test(key) && keyResult.issues.length;
            if (checkNumericKey) {
              const retryResult = def.keyType._zod.run({ value: Number(key), issues: [] }, ctx);
              if (retryResult instanceof Promise) {
                throw new Error("Async schemas not supported in object keys currently");
              }
              if (retryResult.issues.length === 0) {
                keyResult = retryResult;
              }
            }
            if (keyResult.issues.length) {
              if (def.mode === "loose") {
                payload.value[key] = input[key];
              } else if (values) {
                unrecognized = unrecognized ?? [];
                unrecognized.push(key);
              } else {
                payload.issues.push({
                  code: "invalid_key",
                  origin: "record",
                  issues: keyResult.issues.map((iss) => finalizeIssue(iss, ctx, config())),
                  input: key,
                  path: [key],
                  inst
                });
              }
              continue;
            }
            const outKey = keyResult.value;
            if (outKey === "__proto__")
              continue;
            const result = def.valueType._zod.run({ value: input[key], issues: [] }, ctx);
            if (result instanceof Promise) {
              proms.push(result.then((result2) => {
                if (result2.issues.length) {
                  payload.issues.push(...prefixIssues(key, result2.issues));
                }
                payload.value[outKey] = result2.value;
              }));
            } else {
              if (result.issues.length) {
                payload.issues.push(...prefixIssues(key, result.issues));
              }
              payload.value[outKey] = result.value;
            }
          }
          if (unrecognized && unrecognized.length > 0) {
            payload.issues.push({
              code: "unrecognized_keys",
              input,
              inst,
              keys: unrecognized,
              continue: true
            });
          }
        }
        if (proms.length) {
          return Promise.all(proms).then(() => payload);
        }
        return payload;
      };
    });
    $ZodEnum = /* @__PURE__ */ $constructor("$ZodEnum", (inst, def) => {
      $ZodType.init(inst, def);
      const values = getEnumValues(def.entries);
      const valuesSet = new Set(values);
      inst._zod.values = valuesSet;
      defineLazyInternal(inst, "pattern", (zod) => {
        const patternValues = getEnumValues(zod.def.entries).filter((k) => propertyKeyTypes.has(typeof k));
        return new RegExp(patternValues.length ? `^(${patternValues.map((o) => escapeRegex(o.toString())).join("|")})$` : "^[^\\s\\S]$");
      });
      inst._zod.parse = (payload, _ctx) => {
        const input = payload.value;
        if (valuesSet.has(input)) {
          return payload;
        }
        payload.issues.push({
          code: "invalid_value",
          values,
          input,
          inst
        });
        return payload;
      };
    });
    $ZodLiteral = /* @__PURE__ */ $constructor("$ZodLiteral", (inst, def) => {
      $ZodType.init(inst, def);
      const values = new Set(def.values);
      inst._zod.values = values;
      defineLazyInternal(inst, "pattern", (zod) => {
        const vals = zod.def.values;
        return new RegExp(vals.length ? `^(${vals.map((o) => typeof o === "string" ? escapeRegex(o) : o ? escapeRegex(o.toString()) : String(o)).join("|")})$` : "^[^\\s\\S]$");
      });
      inst._zod.parse = (payload, _ctx) => {
        const input = payload.value;
        if (values.has(input)) {
          return payload;
        }
        payload.issues.push({
          code: "invalid_value",
          values: def.values,
          input,
          inst
        });
        return payload;
      };
    });
    $ZodTransform = /* @__PURE__ */ $constructor("$ZodTransform", (inst, def) => {
      $ZodType.init(inst, def);
      inst._zod.optin = "optional";
      globalConfig.memoizer?.guard(inst);
      inst._zod.parse = (payload, ctx) => {
        if (ctx.direction === "backward") {
          throw new $ZodEncodeError(inst.constructor.name);
        }
        const _out = def.transform(payload.value, payload);
        if (ctx.async) {
          const output = _out instanceof Promise ? _out : Promise.resolve(_out);
          return output.then((output2) => {
            payload.value = output2;
            return payload;
          });
        }
        if (_out instanceof Promise) {
          throw new $ZodAsyncError();
        }
        payload.value = _out;
        return payload;
      };
    });
    $ZodOptional = /* @__PURE__ */ $constructor("$ZodOptional", (inst, def) => {
      $ZodType.init(inst, def);
      defineLazyInternal(inst, "optin", (zod) => zod.def.innerType._zod.optin === "defaulted" ? "defaulted" : "optional");
      inst._zod.optout = "optional";
      defineLazyInternal(inst, "values", (zod) => {
        const values = zod.def.innerType._zod.values;
        return values ? /* @__PURE__ */ new Set([...values, void 0]) : void 0;
      });
      defineLazyInternal(inst, "pattern", (zod) => {
        const pattern = zod.def.innerType._zod.pattern;
        return pattern ? new RegExp(`^(${cleanRegex(pattern.source)})?$`) : void 0;
      });
      inst._zod.parse = (payload, ctx) => {
        if (payload.value === void 0) {
          if (def.innerType._zod.optin !== "defaulted")
            return payload;
          const result = def.innerType._zod.run({ value: payload.value, issues: [] }, ctx);
          if (result instanceof Promise)
            return result.then((result2) => handleOptionalResult(payload, result2));
          return handleOptionalResult(payload, result);
        }
        return def.innerType._zod.run(payload, ctx);
      };
    });
    $ZodExactOptional = /* @__PURE__ */ $constructor("$ZodExactOptional", (inst, def) => {
      $ZodOptional.init(inst, def);
      defineLazyInternal(inst, "values", (zod) => zod.def.innerType._zod.values);
      defineLazyInternal(inst, "pattern", (zod) => zod.def.innerType._zod.pattern);
      inst._zod.parse = (payload, ctx) => {
        return def.innerType._zod.run(payload, ctx);
      };
    });
    $ZodNullable = /* @__PURE__ */ $constructor("$ZodNullable", (inst, def) => {
      $ZodType.init(inst, def);
      defineLazyInternal(inst, "optin", (zod) => zod.def.innerType._zod.optin);
      defineLazyInternal(inst, "optout", (zod) => zod.def.innerType._zod.optout);
      defineLazyInternal(inst, "pattern", (zod) => {
        const pattern = zod.def.innerType._zod.pattern;
        return pattern ? new RegExp(`^(${cleanRegex(pattern.source)}|null)$`) : void 0;
      });
      defineLazyInternal(inst, "values", (zod) => {
        return zod.def.innerType._zod.values ? /* @__PURE__ */ new Set([...zod.def.innerType._zod.values, null]) : void 0;
      });
      inst._zod.parse = (payload, ctx) => {
        if (payload.value === null)
          return payload;
        return def.innerType._zod.run(payload, ctx);
      };
    });
    $ZodDefault = /* @__PURE__ */ $constructor("$ZodDefault", (inst, def) => {
      $ZodType.init(inst, def);
      inst._zod.optin = "defaulted";
      defineLazyInternal(inst, "values", (zod) => zod.def.innerType._zod.values);
      inst._zod.parse = (payload, ctx) => {
        if (ctx.direction === "backward") {
          return def.innerType._zod.run(payload, ctx);
        }
        if (payload.value === void 0) {
          payload.value = def.defaultValue;
          return payload;
        }
        const result = def.innerType._zod.run(payload, ctx);
        if (result instanceof Promise) {
          return result.then((result2) => handleDefaultResult(result2, def));
        }
        return handleDefaultResult(result, def);
      };
    });
    $ZodPrefault = /* @__PURE__ */ $constructor("$ZodPrefault", (inst, def) => {
      $ZodType.init(inst, def);
      inst._zod.optin = "defaulted";
      defineLazyInternal(inst, "values", (zod) => zod.def.innerType._zod.values);
      inst._zod.parse = (payload, ctx) => {
        if (ctx.direction === "backward") {
          return def.innerType._zod.run(payload, ctx);
        }
        if (payload.value === void 0) {
          payload.value = def.defaultValue;
        }
        return def.innerType._zod.run(payload, ctx);
      };
    });
    $ZodNonOptional = /* @__PURE__ */ $constructor("$ZodNonOptional", (inst, def) => {
      $ZodType.init(inst, def);
      defineLazyInternal(inst, "values", (zod) => {
        const v = zod.def.innerType._zod.values;
        return v ? new Set([...v].filter((x) => x !== void 0)) : void 0;
      });
      inst._zod.parse = (payload, ctx) => {
        const result = def.innerType._zod.run(payload, ctx);
        if (result instanceof Promise) {
          return result.then((result2) => handleNonOptionalResult(result2, inst));
        }
        return handleNonOptionalResult(result, inst);
      };
    });
    $ZodCatch = /* @__PURE__ */ $constructor("$ZodCatch", (inst, def) => {
      $ZodType.init(inst, def);
      defineLazyInternal(inst, "optin", (zod) => zod.def.innerType._zod.optin === "defaulted" ? "defaulted" : "optional");
      defineLazyInternal(inst, "optout", (zod) => zod.def.innerType._zod.optout);
      defineLazyInternal(inst, "values", (zod) => zod.def.innerType._zod.values);
      inst._zod.parse = (payload, ctx) => {
        if (ctx.direction === "backward") {
          return def.innerType._zod.run(payload, ctx);
        }
        const result = def.innerType._zod.run({ value: payload.value, issues: [] }, ctx);
        if (result instanceof Promise) {
          return result.then((result2) => handleCatchResult(payload, result2, def, ctx));
        }
        return handleCatchResult(payload, result, def, ctx);
      };
    });
    $ZodPipe = /* @__PURE__ */ $constructor("$ZodPipe", (inst, def) => {
      $ZodType.init(inst, def);
      defineLazyInternal(inst, "values", (zod) => zod.def.in._zod.values);
      defineLazyInternal(inst, "optin", (zod) => zod.def.in._zod.optin);
      defineLazyInternal(inst, "optout", (zod) => zod.def.out._zod.optout);
      defineLazyInternal(inst, "propValues", (zod) => zod.def.in._zod.propValues);
      inst._zod.parse = (payload, ctx) => {
        if (ctx.direction === "backward") {
          const right = def.out._zod.run(payload, ctx);
          if (right instanceof Promise) {
            return right.then((right2) => handlePipeResult(right2, def.in, ctx));
          }
          return handlePipeResult(right, def.in, ctx);
        }
        const left = def.in._zod.run(payload, ctx);
        if (left instanceof Promise) {
          return left.then((left2) => handlePipeResult(left2, def.out, ctx));
        }
        return handlePipeResult(left, def.out, ctx);
      };
    });
    $ZodReadonly = /* @__PURE__ */ $constructor("$ZodReadonly", (inst, def) => {
      $ZodType.init(inst, def);
      defineLazyInternal(inst, "propValues", (zod) => zod.def.innerType._zod.propValues);
      defineLazyInternal(inst, "values", (zod) => zod.def.innerType._zod.values);
      defineLazyInternal(inst, "optin", (zod) => zod.def.innerType?._zod?.optin);
      defineLazyInternal(inst, "optout", (zod) => zod.def.innerType?._zod?.optout);
      inst._zod.parse = (payload, ctx) => {
        if (ctx.direction === "backward") {
          return def.innerType._zod.run(payload, ctx);
        }
        const result = def.innerType._zod.run(payload, ctx);
        if (result instanceof Promise) {
          return result.then(handleReadonlyResult);
        }
        return handleReadonlyResult(result);
      };
    });
    $ZodCustom = /* @__PURE__ */ $constructor("$ZodCustom", (inst, def) => {
      $ZodCheck.init(inst, def);
      $ZodType.init(inst, def);
      inst._zod.parse = (payload, _) => {
        return payload;
      };
      inst._zod.check = (payload) => {
        const input = payload.value;
        const r = def.fn(input);
        if (r instanceof Promise) {
          return r.then((r2) => handleRefineResult(r2, payload, input, inst));
        }
        handleRefineResult(r, payload, input, inst);
        return;
      };
    });
  }
});

// node_modules/zod/v4/core/memoizer.js
function isRef(value) {
  return value !== null && typeof value === "object";
}
function cloneIssues(issues) {
  return issues.map((iss) => iss.path ? { ...iss, path: iss.path.slice() } : { ...iss });
}
function isRecursive(inst, stack, resolve) {
  const cached3 = recursive.get(inst);
  if (cached3 !== void 0)
    return cached3 ? PROVEN : NONE;
  if (stack.has(inst))
    return PROVEN;
  stack.add(inst);
  let result = NONE;
  const check = (child) => {
    if (result !== PROVEN && child?._zod) {
      const answer = isRecursive(child, stack, resolve);
      if (answer > result)
        result = answer;
    }
  };
  const shape = (sh, spread) => {
    let answer = NONE;
    for (const key of Reflect.ownKeys(sh)) {
      const desc = Object.getOwnPropertyDescriptor(sh, key);
      if (spread && !desc.enumerable)
        continue;
      const child = desc.get ? ASSUMED : desc.value?._zod ? isRecursive(desc.value, stack, resolve) : NONE;
      if (child > answer)
        answer = child;
    }
    return answer;
  };
  const merge2 = (answer) => {
    if (answer > result)
      result = answer;
  };
  const def = inst._zod.def;
  const kind = def.type;
  switch (kind) {
    case "object": {
      const raw = rawShape(def);
      merge2(raw ? shape(raw, true) : ASSUMED);
      check(def.catchall);
      break;
    }
    case "array":
      check(def.element);
      break;
    case "tuple":
      for (const el of def.items)
        check(el);
      check(def.rest);
      break;
    case "record":
    case "map":
      check(def.keyType);
      check(def.valueType);
      break;
    case "set":
      check(def.valueType);
      break;
    case "union":
      for (const el of def.options)
        check(el);
      break;
    case "intersection":
      check(def.left);
      check(def.right);
      break;
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "catch":
    case "readonly":
    case "nonoptional":
    case "promise":
    case "success":
      check(def.innerType);
      break;
    case "pipe":
      check(def.in);
      check(def.out);
      break;
    case "function":
      check(def.input);
      check(def.output);
      break;
    // `$ZodLazy` caches its inner on the def, so a resolved edge is followed exactly
    case "lazy": {
      const inner = def._cachedInner ?? (resolve ? inst._zod.innerType : void 0);
      merge2(inner ? isRecursive(inner, stack, false) : ASSUMED);
      break;
    }
    // a leaf by choice: `parts` are regex fragments, not data positions
    case "template_literal":
    // leaves
    case "string":
    case "number":
    case "int":
    case "boolean":
    case "bigint":
    case "symbol":
    case "undefined":
    case "null":
    case "void":
    case "never":
    case "any":
    case "unknown":
    case "date":
    case "nan":
    case "enum":
    case "literal":
    case "file":
    case "transform":
    case "custom":
      break;
    default: {
      kind;
      for (const key in def) {
        const desc = Object.getOwnPropertyDescriptor(def, key);
        if (!desc || desc.get)
          continue;
        const value = desc.value;
        if (!value || typeof value !== "object")
          continue;
        if (value._zod)
          check(value);
        else if (Array.isArray(value))
          for (const el of value)
            check(el);
      }
    }
  }
  stack.delete(inst);
  return settle(inst, result);
}
function settle(inst, answer) {
  if (answer !== ASSUMED)
    recursive.set(inst, answer === PROVEN);
  return answer;
}
function bucketFor(state, inst) {
  let bucket = state.buckets.get(inst);
  if (!bucket) {
    bucket = /* @__PURE__ */ new WeakMap();
    state.buckets.set(inst, bucket);
  }
  return bucket;
}
function memoizer() {
  return memo;
}
function isBackEdge(ctx, value) {
  const backEdges = ctx[STATE]?.backEdges;
  return backEdges !== void 0 && isRef(value) && backEdges.has(value);
}
var $ZodCyclicError, STATE, NO_ISSUES, recursive, NONE, ASSUMED, PROVEN, handoff, open14, memo;
var init_memoizer = __esm({
  "node_modules/zod/v4/core/memoizer.js"() {
    init_import_meta_url();
    init_util();
    $ZodCyclicError = class extends Error {
      constructor() {
        super(`Cannot parse a reference cycle that closes through a transform`);
        this.name = "ZodCyclicError";
      }
    };
    STATE = "~memo";
    NO_ISSUES = [];
    recursive = /* @__PURE__ */ new WeakMap();
    NONE = 0;
    ASSUMED = 1;
    PROVEN = 2;
    open14 = [];
    memo = {
      alloc(_inst, payload, empty) {
        const bucket = handoff;
        if (!bucket)
          return empty;
        handoff = void 0;
        const entry = { value: empty, issues: null };
        bucket.set(payload.value, entry);
        open14.push(entry);
        return empty;
      },
      guard(inst) {
        var _a3;
        (_a3 = inst._zod).deferred ?? (_a3.deferred = []);
        inst._zod.deferred.push(() => {
          const base = inst._zod.parse;
          const wrapped = (payload, ctx) => {
            if (ctx.direction !== "backward" && isBackEdge(ctx, payload.value))
              throw new $ZodCyclicError();
            return base(payload, ctx);
          };
          inst._zod.parse = wrapped;
          if (inst._zod.run === base)
            inst._zod.run = wrapped;
        });
      },
      attach(inst) {
        var _a3;
        let isRecursiveInst;
        let rechecked = false;
        let lastCtx;
        let lastBucket;
        (_a3 = inst._zod).deferred ?? (_a3.deferred = []);
        inst._zod.deferred.push(() => {
          const base = inst._zod.parse;
          const wrapped = (payload, ctx) => {
            if (isRecursiveInst === void 0) {
              const walked = isRecursive(inst, /* @__PURE__ */ new Set(), false);
              if (walked === NONE) {
                inst._zod.parse = base;
                if (inst._zod.run === wrapped)
                  inst._zod.run = base;
                return base(payload, ctx);
              }
              if (walked === PROVEN || rechecked)
                isRecursiveInst = true;
              else
                rechecked = true;
            }
            const input = payload.value;
            if (!isRef(input))
              return base(payload, ctx);
            let state = ctx[STATE];
            if (!state) {
              state = { buckets: /* @__PURE__ */ new WeakMap(), backEdges: void 0 };
              ctx[STATE] = state;
            }
            let bucket;
            if (lastCtx === ctx) {
              bucket = lastBucket;
            } else {
              bucket = bucketFor(state, inst);
              lastCtx = ctx;
              lastBucket = bucket;
            }
            const hit = bucket.get(input);
            if (hit) {
              payload.value = hit.value;
              if (hit.issues) {
                if (hit.issues.length)
                  payload.issues.push(...cloneIssues(hit.issues));
              } else {
                payload.memo = true;
                state.backEdges ?? (state.backEdges = /* @__PURE__ */ new WeakSet());
                state.backEdges.add(hit.value);
              }
              return payload;
            }
            handoff = bucket;
            const depth = open14.length;
            const result = base(payload, ctx);
            handoff = void 0;
            const entry = open14.length > depth ? open14.pop() : void 0;
            if (result instanceof Promise) {
              return result.then((r) => {
                if (entry)
                  entry.issues = r.issues.length ? cloneIssues(r.issues) : NO_ISSUES;
                return r;
              });
            }
            if (entry)
              entry.issues = result.issues.length ? cloneIssues(result.issues) : NO_ISSUES;
            return result;
          };
          inst._zod.parse = wrapped;
          if (inst._zod.run === base)
            inst._zod.run = wrapped;
        });
      }
    };
  }
});

// zod-no-locales:zod/v4/locales (left out)
var init_locales_left_out = __esm({
  "zod-no-locales:zod/v4/locales (left out)"() {
    init_import_meta_url();
  }
});

// node_modules/zod/v4/core/registries.js
function registry() {
  return new $ZodRegistry();
}
var _a2, $ZodRegistry, globalRegistry;
var init_registries = __esm({
  "node_modules/zod/v4/core/registries.js"() {
    init_import_meta_url();
    $ZodRegistry = class {
      constructor() {
        this._map = /* @__PURE__ */ new WeakMap();
        this._idmap = /* @__PURE__ */ new Map();
      }
      add(schema, ..._meta) {
        const meta2 = _meta[0];
        this._map.set(schema, meta2);
        if (meta2 && typeof meta2 === "object" && "id" in meta2) {
          this._idmap.set(meta2.id, schema);
        }
        return this;
      }
      clear() {
        this._map = /* @__PURE__ */ new WeakMap();
        this._idmap = /* @__PURE__ */ new Map();
        return this;
      }
      remove(schema) {
        const meta2 = this._map.get(schema);
        if (meta2 && typeof meta2 === "object" && "id" in meta2) {
          this._idmap.delete(meta2.id);
        }
        this._map.delete(schema);
        return this;
      }
      get(schema) {
        const p = schema._zod.parent;
        if (p) {
          const pm = { ...this.get(p) ?? {} };
          delete pm.id;
          const f = { ...pm, ...this._map.get(schema) };
          return Object.keys(f).length ? f : void 0;
        }
        return this._map.get(schema);
      }
      has(schema) {
        return this._map.has(schema);
      }
    };
    (_a2 = globalThis).__zod_globalRegistry ?? (_a2.__zod_globalRegistry = registry());
    globalRegistry = globalThis.__zod_globalRegistry;
  }
});

// node_modules/zod/v4/core/compile.js
var init_compile = __esm({
  "node_modules/zod/v4/core/compile.js"() {
    init_import_meta_url();
  }
});

// node_modules/zod/v4/core/api.js
function snapshotChecks(def) {
  if (def.checks)
    def.checks = [...def.checks];
  return def;
}
// @__NO_SIDE_EFFECTS__
function _string(Class2, params) {
  return new Class2(snapshotChecks({ type: "string", ...normalizeParams(params) }));
}
// @__NO_SIDE_EFFECTS__
function _email(Class2, params) {
  return new Class2({
    type: "string",
    format: "email",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _guid(Class2, params) {
  return new Class2({
    type: "string",
    format: "guid",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _uuid(Class2, params) {
  return new Class2({
    type: "string",
    format: "uuid",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _uuidv4(Class2, params) {
  return new Class2({
    type: "string",
    format: "uuid",
    check: "string_format",
    abort: false,
    version: "v4",
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _uuidv6(Class2, params) {
  return new Class2({
    type: "string",
    format: "uuid",
    check: "string_format",
    abort: false,
    version: "v6",
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _uuidv7(Class2, params) {
  return new Class2({
    type: "string",
    format: "uuid",
    check: "string_format",
    abort: false,
    version: "v7",
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _url(Class2, params) {
  return new Class2({
    type: "string",
    format: "url",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _emoji2(Class2, params) {
  return new Class2({
    type: "string",
    format: "emoji",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _nanoid(Class2, params) {
  return new Class2({
    type: "string",
    format: "nanoid",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _cuid(Class2, params) {
  return new Class2({
    type: "string",
    format: "cuid",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _cuid2(Class2, params) {
  return new Class2({
    type: "string",
    format: "cuid2",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _ulid(Class2, params) {
  return new Class2({
    type: "string",
    format: "ulid",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _xid(Class2, params) {
  return new Class2({
    type: "string",
    format: "xid",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _ksuid(Class2, params) {
  return new Class2({
    type: "string",
    format: "ksuid",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _ipv4(Class2, params) {
  return new Class2({
    type: "string",
    format: "ipv4",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _ipv6(Class2, params) {
  return new Class2({
    type: "string",
    format: "ipv6",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _cidrv4(Class2, params) {
  return new Class2({
    type: "string",
    format: "cidrv4",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _cidrv6(Class2, params) {
  return new Class2({
    type: "string",
    format: "cidrv6",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _base64(Class2, params) {
  return new Class2({
    type: "string",
    format: "base64",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _base64url(Class2, params) {
  return new Class2({
    type: "string",
    format: "base64url",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _e164(Class2, params) {
  return new Class2({
    type: "string",
    format: "e164",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _jwt(Class2, params) {
  return new Class2({
    type: "string",
    format: "jwt",
    check: "string_format",
    abort: false,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _isoDateTime(Class2, params) {
  return new Class2({
    type: "string",
    format: "datetime",
    check: "string_format",
    offset: false,
    local: false,
    precision: null,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _isoDate(Class2, params) {
  return new Class2({
    type: "string",
    format: "date",
    check: "string_format",
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _isoTime(Class2, params) {
  return new Class2({
    type: "string",
    format: "time",
    check: "string_format",
    precision: null,
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _isoDuration(Class2, params) {
  return new Class2({
    type: "string",
    format: "duration",
    check: "string_format",
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _number(Class2, params) {
  return new Class2(snapshotChecks({ type: "number", checks: [], ...normalizeParams(params) }));
}
// @__NO_SIDE_EFFECTS__
function _int(Class2, params) {
  return new Class2({
    type: "number",
    check: "number_format",
    abort: false,
    format: "safeint",
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _boolean(Class2, params) {
  return new Class2({
    type: "boolean",
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _unknown(Class2) {
  return new Class2({
    type: "unknown"
  });
}
// @__NO_SIDE_EFFECTS__
function _never(Class2, params) {
  return new Class2({
    type: "never",
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _lt(value, params) {
  return new $ZodCheckLessThan({
    check: "less_than",
    ...normalizeParams(params),
    value,
    inclusive: false
  });
}
// @__NO_SIDE_EFFECTS__
function _lte(value, params) {
  return new $ZodCheckLessThan({
    check: "less_than",
    ...normalizeParams(params),
    value,
    inclusive: true
  });
}
// @__NO_SIDE_EFFECTS__
function _gt(value, params) {
  return new $ZodCheckGreaterThan({
    check: "greater_than",
    ...normalizeParams(params),
    value,
    inclusive: false
  });
}
// @__NO_SIDE_EFFECTS__
function _gte(value, params) {
  return new $ZodCheckGreaterThan({
    check: "greater_than",
    ...normalizeParams(params),
    value,
    inclusive: true
  });
}
// @__NO_SIDE_EFFECTS__
function _multipleOf(value, params) {
  return new $ZodCheckMultipleOf({
    check: "multiple_of",
    ...normalizeParams(params),
    value
  });
}
// @__NO_SIDE_EFFECTS__
function _maxLength(maximum, params) {
  const ch = new $ZodCheckMaxLength({
    check: "max_length",
    ...normalizeParams(params),
    maximum
  });
  return ch;
}
// @__NO_SIDE_EFFECTS__
function _minLength(minimum, params) {
  return new $ZodCheckMinLength({
    check: "min_length",
    ...normalizeParams(params),
    minimum
  });
}
// @__NO_SIDE_EFFECTS__
function _length(length, params) {
  return new $ZodCheckLengthEquals({
    check: "length_equals",
    ...normalizeParams(params),
    length
  });
}
// @__NO_SIDE_EFFECTS__
function _regex(pattern, params) {
  return new $ZodCheckRegex({
    check: "string_format",
    format: "regex",
    ...normalizeParams(params),
    pattern
  });
}
// @__NO_SIDE_EFFECTS__
function _lowercase(params) {
  return new $ZodCheckLowerCase({
    check: "string_format",
    format: "lowercase",
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _uppercase(params) {
  return new $ZodCheckUpperCase({
    check: "string_format",
    format: "uppercase",
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _includes(includes, params) {
  return new $ZodCheckIncludes({
    check: "string_format",
    format: "includes",
    ...normalizeParams(params),
    includes
  });
}
// @__NO_SIDE_EFFECTS__
function _startsWith(prefix, params) {
  return new $ZodCheckStartsWith({
    check: "string_format",
    format: "starts_with",
    ...normalizeParams(params),
    prefix
  });
}
// @__NO_SIDE_EFFECTS__
function _endsWith(suffix, params) {
  return new $ZodCheckEndsWith({
    check: "string_format",
    format: "ends_with",
    ...normalizeParams(params),
    suffix
  });
}
// @__NO_SIDE_EFFECTS__
function _overwrite(tx) {
  return new $ZodCheckOverwrite({
    check: "overwrite",
    tx
  });
}
// @__NO_SIDE_EFFECTS__
function _normalize(form) {
  return /* @__PURE__ */ _overwrite((input) => input.normalize(form));
}
// @__NO_SIDE_EFFECTS__
function _trim() {
  return /* @__PURE__ */ _overwrite((input) => input.trim());
}
// @__NO_SIDE_EFFECTS__
function _toLowerCase() {
  return /* @__PURE__ */ _overwrite((input) => input.toLowerCase());
}
// @__NO_SIDE_EFFECTS__
function _toUpperCase() {
  return /* @__PURE__ */ _overwrite((input) => input.toUpperCase());
}
// @__NO_SIDE_EFFECTS__
function _slugify() {
  return /* @__PURE__ */ _overwrite((input) => slugify(input));
}
// @__NO_SIDE_EFFECTS__
function _array(Class2, element, params) {
  return new Class2({
    type: "array",
    element,
    // get element() {
    //   return element;
    // },
    ...normalizeParams(params)
  });
}
// @__NO_SIDE_EFFECTS__
function _refine(Class2, fn, _params) {
  const schema = new Class2({
    type: "custom",
    check: "custom",
    fn,
    ...normalizeParams(_params)
  });
  return schema;
}
// @__NO_SIDE_EFFECTS__
function _superRefine(fn, params) {
  const ch = /* @__PURE__ */ _check((payload) => {
    payload.addIssue = (issue2) => {
      if (typeof issue2 === "string") {
        payload.issues.push(issue(issue2, payload.value, ch._zod.def));
      } else {
        const _issue = issue2;
        if (_issue.fatal)
          _issue.continue = false;
        _issue.code ?? (_issue.code = "custom");
        if (!("input" in _issue))
          _issue.input = payload.value;
        _issue.inst ?? (_issue.inst = ch);
        _issue.continue ?? (_issue.continue = !ch._zod.def.abort);
        payload.issues.push(issue(_issue));
      }
    };
    return fn(payload.value, payload);
  }, params);
  return ch;
}
// @__NO_SIDE_EFFECTS__
function _check(fn, params) {
  const ch = new $ZodCheck({
    check: "custom",
    ...normalizeParams(params)
  });
  ch._zod.check = fn;
  return ch;
}
var init_api = __esm({
  "node_modules/zod/v4/core/api.js"() {
    init_import_meta_url();
    init_checks();
    init_util();
  }
});

// node_modules/zod/v4/core/to-json-schema.js
function assignProps(target, ...sources) {
  for (const source of sources) {
    for (const key of Reflect.ownKeys(source)) {
      if (Object.prototype.propertyIsEnumerable.call(source, key)) {
        assignProp(target, key, source[key]);
      }
    }
  }
  return target;
}
function initializeContext(params) {
  let target = params?.target ?? "draft-2020-12";
  if (target === "draft-4")
    target = "draft-04";
  if (target === "draft-7")
    target = "draft-07";
  return {
    processors: params.processors ?? {},
    metadataRegistry: params?.metadata ?? globalRegistry,
    target,
    unrepresentable: params?.unrepresentable ?? "throw",
    override: params?.override ?? (() => {
    }),
    io: params?.io ?? "output",
    counter: 0,
    seen: /* @__PURE__ */ new Map(),
    sharedDefsExtractedFor: void 0,
    sharedEmitDoneFor: void 0,
    cycles: params?.cycles ?? "ref",
    reused: params?.reused ?? "inline",
    intersections: [],
    deferred: [],
    external: params?.external ?? void 0
  };
}
function handleUnrepresentable(schema, ctx, json, params, message) {
  const result = typeof ctx.unrepresentable === "function" ? ctx.unrepresentable({ zodSchema: schema, path: params.path, message }) : ctx.unrepresentable;
  if (result === "any")
    return false;
  if (result === void 0 || result === "throw")
    throw new Error(message);
  Object.assign(json, result);
  return true;
}
function processSchema(schema, ctx, _params = { path: [], schemaPath: [] }) {
  var _a3;
  const def = schema._zod.def;
  const seen = ctx.seen.get(schema);
  if (seen) {
    seen.count++;
    const isCycle = _params.schemaPath.includes(schema);
    if (isCycle) {
      seen.cycle = _params.path;
    }
    return seen.schema;
  }
  const result = { schema: {}, count: 1, cycle: void 0, path: _params.path };
  ctx.seen.set(schema, result);
  ctx.sharedDefsExtractedFor = void 0;
  ctx.sharedEmitDoneFor = void 0;
  const overrideSchema = schema._zod.toJSONSchema?.();
  if (overrideSchema) {
    result.schema = overrideSchema;
  } else {
    const params = {
      ..._params,
      schemaPath: [..._params.schemaPath, schema],
      path: _params.path
    };
    if (schema._zod.processJSONSchema) {
      schema._zod.processJSONSchema(ctx, result.schema, params);
    } else {
      const _json = result.schema;
      const processor = ctx.processors[def.type];
      if (!processor) {
        throw new Error(`[toJSONSchema]: Non-representable type encountered: ${def.type}`);
      }
      processor(schema, ctx, _json, params);
    }
    const parent = schema._zod.parent;
    if (parent) {
      if (!result.ref)
        result.ref = parent;
      processSchema(parent, ctx, params);
      ctx.seen.get(parent).isParent = true;
    }
  }
  const meta2 = ctx.metadataRegistry.get(schema);
  if (meta2)
    assignProps(result.schema, meta2);
  if (ctx.io === "input" && isTransforming(schema)) {
    delete result.schema.examples;
    delete result.schema.default;
  }
  if (ctx.io === "input" && "_prefault" in result.schema)
    (_a3 = result.schema).default ?? (_a3.default = result.schema._prefault);
  delete result.schema._prefault;
  const _result = ctx.seen.get(schema);
  return _result.schema;
}
function encodeJSONPointerSegment(segment) {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}
function extractDefs(ctx, schema) {
  const root = ctx.seen.get(schema);
  if (!root)
    throw new Error("Unprocessed schema. This is a bug in Zod.");
  if (ctx.external && ctx.sharedDefsExtractedFor === ctx.external)
    return;
  const idToSchema = /* @__PURE__ */ new Map();
  for (const entry of ctx.seen.entries()) {
    const id = ctx.metadataRegistry.get(entry[0])?.id;
    if (id) {
      const existing = idToSchema.get(id);
      if (existing && existing !== entry[0]) {
        throw new Error(`Duplicate schema id "${id}" detected during JSON Schema conversion. Two different schemas cannot share the same id when converted together.`);
      }
      idToSchema.set(id, entry[0]);
    }
  }
  const makeURI = (entry) => {
    const defsSegment = ctx.target === "draft-2020-12" ? "$defs" : "definitions";
    if (ctx.external) {
      const externalId = ctx.external.registry.get(entry[0])?.id;
      const uriGenerator = ctx.external.uri ?? ((id2) => id2);
      if (externalId) {
        return { ref: uriGenerator(externalId) };
      }
      const id = entry[1].defId ?? entry[1].schema.id ?? `schema${ctx.counter++}`;
      entry[1].defId = id;
      return { defId: id, ref: `${uriGenerator("__shared")}#/${defsSegment}/${encodeJSONPointerSegment(id)}` };
    }
    const uriPrefix = `#`;
    const defUriPrefix = `${uriPrefix}/${defsSegment}/`;
    if (entry[1] === root && !entry[1].schema.id) {
      return { ref: uriPrefix };
    }
    const defId = entry[1].schema.id ?? `__schema${ctx.counter++}`;
    return { defId, ref: defUriPrefix + encodeJSONPointerSegment(defId) };
  };
  const extractToDef = (entry) => {
    if (entry[1].schema.$ref) {
      return;
    }
    const seen = entry[1];
    const { ref, defId } = makeURI(entry);
    seen.def = { ...seen.schema };
    if (defId)
      seen.defId = defId;
    const schema2 = seen.schema;
    for (const key in schema2) {
      delete schema2[key];
    }
    schema2.$ref = ref;
  };
  if (ctx.cycles === "throw") {
    for (const entry of ctx.seen.entries()) {
      const seen = entry[1];
      if (seen.cycle) {
        throw new Error(`Cycle detected: #/${seen.cycle?.join("/")}/<root>

Set the \`cycles\` parameter to \`"ref"\` to resolve cyclical schemas with defs.`);
      }
    }
  }
  for (const entry of ctx.seen.entries()) {
    const seen = entry[1];
    if (schema === entry[0]) {
      extractToDef(entry);
      continue;
    }
    if (ctx.external) {
      const ext = ctx.external.registry.get(entry[0])?.id;
      if (schema !== entry[0] && ext) {
        extractToDef(entry);
        continue;
      }
    }
    const id = ctx.metadataRegistry.get(entry[0])?.id;
    if (id) {
      extractToDef(entry);
      continue;
    }
    if (seen.cycle) {
      extractToDef(entry);
      continue;
    }
    if (seen.count > 1) {
      if (ctx.reused === "ref") {
        extractToDef(entry);
      }
    }
  }
  if (ctx.external)
    ctx.sharedDefsExtractedFor = ctx.external;
}
function compactTypeUnion(schema) {
  const options = schema.anyOf;
  if (!Array.isArray(options) || options.length === 0 || schema.type !== void 0)
    return;
  const types = [];
  for (const option of options) {
    if (!option || typeof option !== "object")
      return;
    compactTypeUnion(option);
    const keys = Object.keys(option);
    if (keys.length !== 1 || keys[0] !== "type")
      return;
    const type = option.type;
    for (const member of Array.isArray(type) ? type : [type]) {
      if (typeof member !== "string")
        return;
      if (!types.includes(member))
        types.push(member);
    }
  }
  delete schema.anyOf;
  schema.type = types.length === 1 ? types[0] : types;
}
function undeclaredConstraint(member) {
  const extra = member.additionalProperties;
  if (extra === void 0 || extra === false || typeof extra !== "object" || extra === null)
    return null;
  return Object.keys(extra).length ? extra : null;
}
function foldObjects(members2) {
  const objects = [];
  for (const member of members2) {
    if (typeof member !== "object" || member.type !== "object")
      return null;
    for (const key in member) {
      if (!FOLDABLE_KEYS.has(key))
        return null;
    }
    objects.push(member);
  }
  const properties = {};
  const required2 = /* @__PURE__ */ new Set();
  for (const object2 of objects) {
    for (const key in object2.properties) {
      if (Object.prototype.hasOwnProperty.call(properties, key))
        continue;
      const parts = [];
      for (const other of objects) {
        const part = other.properties?.[key] ?? undeclaredConstraint(other);
        if (part === null || part === void 0)
          continue;
        if (!parts.some((seen) => JSON.stringify(seen) === JSON.stringify(part)))
          parts.push(part);
      }
      const merged = parts.length === 1 ? parts[0] : foldObjects(parts) ?? { allOf: parts };
      assignProp(properties, key, merged);
    }
    for (const key of object2.required ?? [])
      required2.add(key);
  }
  const folded = { type: "object", properties };
  if (required2.size)
    folded.required = [...required2];
  if (objects.every((object2) => object2.additionalProperties === false)) {
    folded.additionalProperties = false;
  } else {
    const constraints = [];
    for (const object2 of objects) {
      const constraint = undeclaredConstraint(object2);
      if (constraint && !constraints.some((seen) => JSON.stringify(seen) === JSON.stringify(constraint)))
        constraints.push(constraint);
    }
    if (constraints.length === 1)
      folded.additionalProperties = constraints[0];
    else if (constraints.length > 1)
      folded.additionalProperties = { allOf: constraints };
  }
  return folded;
}
function foldIntersection(json) {
  const allOf = json.allOf;
  if (!Array.isArray(allOf) || allOf.length < 2)
    return;
  for (const key of FOLDABLE_KEYS)
    if (key in json)
      return;
  const unions = allOf.filter((m) => UNION_KEYS.some((k) => Array.isArray(m[k])));
  let folded = null;
  if (!unions.length) {
    folded = foldObjects(allOf);
  } else {
    const union2 = unions[0];
    const keyword = UNION_KEYS.find((k) => Array.isArray(union2[k]));
    if (Object.keys(union2).length !== 1)
      return;
    const rest = allOf.filter((m) => m !== union2);
    const branches = union2[keyword].map((branch) => foldObjects([...rest, branch]));
    if (branches.some((b) => !b))
      return;
    folded = { [keyword]: branches };
  }
  if (!folded)
    return;
  delete json.allOf;
  assignProps(json, folded);
}
function finalize(ctx, schema) {
  const root = ctx.seen.get(schema);
  if (!root)
    throw new Error("Unprocessed schema. This is a bug in Zod.");
  const flattenRef = (zodSchema) => {
    const seen = ctx.seen.get(zodSchema);
    if (seen.ref === null)
      return;
    const schema2 = seen.def ?? seen.schema;
    const _cached = { ...schema2 };
    const ref = seen.ref;
    seen.ref = null;
    if (ref) {
      flattenRef(ref);
      const refSeen = ctx.seen.get(ref);
      const refSchema = refSeen.schema;
      if (refSchema.$ref && (ctx.target === "draft-07" || ctx.target === "draft-04" || ctx.target === "openapi-3.0")) {
        schema2.allOf = schema2.allOf ?? [];
        schema2.allOf.push(refSchema);
      } else {
        assignProps(schema2, refSchema);
      }
      assignProps(schema2, _cached);
      const isParentRef = zodSchema._zod.parent === ref;
      if (isParentRef) {
        for (const key in schema2) {
          if (key === "$ref" || key === "allOf")
            continue;
          if (!(key in _cached)) {
            delete schema2[key];
          }
        }
      }
      if (refSchema.$ref && refSeen.def) {
        for (const key in schema2) {
          if (key === "$ref" || key === "allOf")
            continue;
          if (key in refSeen.def && JSON.stringify(schema2[key]) === JSON.stringify(refSeen.def[key])) {
            delete schema2[key];
          }
        }
      }
    }
    const parent = zodSchema._zod.parent;
    if (parent && parent !== ref) {
      flattenRef(parent);
      const parentSeen = ctx.seen.get(parent);
      if (parentSeen?.schema.$ref) {
        schema2.$ref = parentSeen.schema.$ref;
        if (parentSeen.def) {
          for (const key in schema2) {
            if (key === "$ref" || key === "allOf")
              continue;
            if (key in parentSeen.def && JSON.stringify(schema2[key]) === JSON.stringify(parentSeen.def[key])) {
              delete schema2[key];
            }
          }
        }
      }
    }
    ctx.override({
      zodSchema,
      jsonSchema: schema2,
      path: seen.path ?? []
    });
  };
  if (!ctx.external || ctx.sharedEmitDoneFor !== ctx.external) {
    for (const entry of [...ctx.seen.entries()].reverse()) {
      flattenRef(entry[0]);
    }
    if (ctx.target !== "openapi-3.0") {
      for (const entry of ctx.seen.entries()) {
        compactTypeUnion(entry[1].def ?? entry[1].schema);
      }
    }
    for (const rewrite of ctx.deferred)
      rewrite();
    if (ctx.intersections.length) {
      const carriers = /* @__PURE__ */ new Map();
      for (const seen of ctx.seen.values()) {
        for (const json of [seen.schema, seen.def]) {
          const allOf = json?.allOf;
          if (!Array.isArray(allOf))
            continue;
          const existing = carriers.get(allOf);
          if (existing)
            existing.push(json);
          else
            carriers.set(allOf, [json]);
        }
      }
      for (const allOf of ctx.intersections) {
        for (const json of carriers.get(allOf) ?? [])
          foldIntersection(json);
      }
    }
  }
  const result = {};
  if (ctx.target === "draft-2020-12") {
    result.$schema = "https://json-schema.org/draft/2020-12/schema";
  } else if (ctx.target === "draft-07") {
    result.$schema = "http://json-schema.org/draft-07/schema#";
  } else if (ctx.target === "draft-04") {
    result.$schema = "http://json-schema.org/draft-04/schema#";
  } else if (ctx.target === "openapi-3.0") {
  } else {
  }
  if (ctx.external?.uri) {
    const id = ctx.external.registry.get(schema)?.id;
    if (!id)
      throw new Error("Schema is missing an `id` property");
    result.$id = ctx.external.uri(id);
  }
  assignProps(result, root.defId ? root.schema : root.def ?? root.schema);
  const rootMetaId = ctx.metadataRegistry.get(schema)?.id;
  if (rootMetaId !== void 0 && result.id === rootMetaId)
    delete result.id;
  const defs = ctx.external?.defs ?? {};
  if (!ctx.external || ctx.sharedEmitDoneFor !== ctx.external) {
    for (const entry of ctx.seen.entries()) {
      const seen = entry[1];
      if (seen.def && seen.defId) {
        if (seen.def.id === seen.defId)
          delete seen.def.id;
        assignProp(defs, seen.defId, seen.def);
      }
    }
  }
  if (ctx.external)
    ctx.sharedEmitDoneFor = ctx.external;
  if (ctx.external) {
  } else {
    if (Object.keys(defs).length > 0) {
      if (ctx.target === "draft-2020-12") {
        result.$defs = defs;
      } else {
        result.definitions = defs;
      }
    }
  }
  try {
    const finalized = JSON.parse(JSON.stringify(result));
    Object.defineProperty(finalized, "~standard", {
      value: {
        ...schema["~standard"],
        jsonSchema: {
          input: createStandardJSONSchemaMethod(schema, "input", ctx.processors),
          output: createStandardJSONSchemaMethod(schema, "output", ctx.processors)
        }
      },
      enumerable: false,
      writable: false
    });
    return finalized;
  } catch (_err) {
    throw new Error("Error converting schema to JSON.");
  }
}
function isTransforming(_schema, _ctx) {
  const ctx = _ctx ?? { seen: /* @__PURE__ */ new Set() };
  if (ctx.seen.has(_schema))
    return false;
  ctx.seen.add(_schema);
  const def = _schema._zod.def;
  if (def.type === "transform")
    return true;
  if (def.type === "array")
    return isTransforming(def.element, ctx);
  if (def.type === "set")
    return isTransforming(def.valueType, ctx);
  if (def.type === "lazy")
    return isTransforming(def.getter(), ctx);
  if (def.type === "promise" || def.type === "optional" || def.type === "nonoptional" || def.type === "nullable" || def.type === "readonly" || def.type === "default" || def.type === "prefault" || def.type === "catch") {
    return isTransforming(def.innerType, ctx);
  }
  if (def.type === "intersection") {
    return isTransforming(def.left, ctx) || isTransforming(def.right, ctx);
  }
  if (def.type === "record" || def.type === "map") {
    return isTransforming(def.keyType, ctx) || isTransforming(def.valueType, ctx);
  }
  if (def.type === "pipe") {
    if (_schema._zod.traits.has("$ZodCodec"))
      return true;
    return isTransforming(def.in, ctx) || isTransforming(def.out, ctx);
  }
  if (def.type === "object") {
    for (const key in def.shape) {
      if (isTransforming(def.shape[key], ctx))
        return true;
    }
    return false;
  }
  if (def.type === "union") {
    for (const option of def.options) {
      if (isTransforming(option, ctx))
        return true;
    }
    return false;
  }
  if (def.type === "tuple") {
    for (const item of def.items) {
      if (isTransforming(item, ctx))
        return true;
    }
    if (def.rest && isTransforming(def.rest, ctx))
      return true;
    return false;
  }
  return false;
}
var FOLDABLE_KEYS, UNION_KEYS, createToJSONSchemaMethod, createStandardJSONSchemaMethod;
var init_to_json_schema = __esm({
  "node_modules/zod/v4/core/to-json-schema.js"() {
    init_import_meta_url();
    init_registries();
    init_util();
    FOLDABLE_KEYS = /* @__PURE__ */ new Set(["type", "properties", "required", "additionalProperties"]);
    UNION_KEYS = ["oneOf", "anyOf"];
    createToJSONSchemaMethod = (schema, processors = {}) => (params) => {
      const ctx = initializeContext({ ...params, processors });
      processSchema(schema, ctx);
      extractDefs(ctx, schema);
      return finalize(ctx, schema);
    };
    createStandardJSONSchemaMethod = (schema, io, processors = {}) => (params) => {
      const { libraryOptions, target } = params ?? {};
      const ctx = initializeContext({ ...libraryOptions ?? {}, target, io, processors });
      processSchema(schema, ctx);
      extractDefs(ctx, schema);
      return finalize(ctx, schema);
    };
  }
});

// node_modules/zod/v4/core/json-schema-processors.js
function aggregateChecks(schema) {
  const agg = {};
  const def = schema._zod.def;
  const list = schema._zod.traits.has("$ZodCheck") ? [schema, ...def.checks ?? []] : def.checks ?? [];
  for (const ch of list)
    contributors[ch._zod.def.check]?.(agg, ch._zod.def);
  const bag = schema._zod.bag;
  if (bag.minimum !== void 0)
    narrowMin(agg, "minimum", bag.minimum);
  if (bag.exclusiveMinimum !== void 0)
    narrowMin(agg, "exclusiveMinimum", bag.exclusiveMinimum);
  if (bag.maximum !== void 0)
    narrowMax(agg, "maximum", bag.maximum);
  if (bag.exclusiveMaximum !== void 0)
    narrowMax(agg, "exclusiveMaximum", bag.exclusiveMaximum);
  if (bag.multipleOf !== void 0)
    addDivisor(agg, bag.multipleOf);
  if (bag.format !== void 0) {
    agg.format ?? (agg.format = bag.format);
    if (bag.format.includes("int"))
      agg.isInt = true;
  }
  if (bag.mime)
    intersectMime(agg, bag.mime);
  for (const pattern of bag.patterns ?? [])
    addPattern(agg, pattern);
  return agg;
}
function inputOptin(schema) {
  const def = schema._zod.def;
  if (def.type === "pipe" && def.in._zod.traits.has("$ZodTransform")) {
    return inputOptin(def.out);
  }
  if (def.type === "catch") {
    return inputOptin(def.innerType);
  }
  return schema._zod.optin;
}
function stringifyKeyNames(bySchema, json, visited) {
  if (json.$ref) {
    if (visited.has(json))
      return json;
    visited.add(json);
    const def = bySchema.get(json)?.def;
    if (!def)
      return json;
    const inlined = stringifyKeyNames(bySchema, def, visited);
    return inlined === def ? json : inlined;
  }
  for (const keyword of ["anyOf", "oneOf"]) {
    const branches = json[keyword];
    if (!Array.isArray(branches))
      continue;
    const mapped = branches.map((branch) => stringifyKeyNames(bySchema, branch, visited));
    if (mapped.some((branch, i) => branch !== branches[i]))
      json = { ...json, [keyword]: mapped };
  }
  const types = Array.isArray(json.type) ? json.type : [json.type];
  const numericType = !types.includes("string") && types.some((t) => t === "number" || t === "integer");
  const values = json.enum ?? (json.const !== void 0 ? [json.const] : void 0);
  if (!numericType && !values?.some((v) => typeof v === "number"))
    return json;
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, format, id, ...rest } = json;
  if (rest.enum)
    rest.enum = rest.enum.map((v) => typeof v === "number" ? String(v) : v);
  else if (typeof rest.const === "number")
    rest.const = String(rest.const);
  if (!numericType)
    return rest;
  rest.type = "string";
  if (!values)
    rest.pattern = (types.includes("number") ? number : integer).source;
  return rest;
}
function rewriteKeyNames(ctx) {
  const bySchema = /* @__PURE__ */ new Map();
  for (const entry of ctx.seen.values()) {
    if (entry.def && !bySchema.has(entry.schema))
      bySchema.set(entry.schema, entry);
  }
  const rewrites = /* @__PURE__ */ new Map();
  for (const record2 of pendingRecords.get(ctx) ?? []) {
    const seen = ctx.seen.get(record2);
    const names = (seen?.def ?? seen?.schema)?.propertyNames;
    if (!names || names === true || rewrites.has(names))
      continue;
    const rewritten = stringifyKeyNames(bySchema, names, /* @__PURE__ */ new Set());
    if (rewritten !== names)
      rewrites.set(names, rewritten);
  }
  if (!rewrites.size)
    return;
  for (const entry of ctx.seen.values()) {
    for (const carrier of [entry.schema, entry.def]) {
      const rewritten = carrier && rewrites.get(carrier.propertyNames);
      if (rewritten)
        carrier.propertyNames = rewritten;
    }
  }
}
function serializeDefaultValue(value, schema, ctx, json, params) {
  let unrepresentable = false;
  const serialized = JSON.stringify(value, (_, val) => {
    if (typeof val !== "bigint")
      return val;
    unrepresentable = true;
    return null;
  });
  if (!unrepresentable)
    return JSON.parse(serialized);
  handleUnrepresentable(schema, ctx, json, params, "BigInt defaults cannot be represented in JSON Schema");
  return UNREPRESENTABLE_DEFAULT;
}
var narrowMin, narrowMax, narrowBoth, addDivisor, addPattern, intersectMime, setFormat, minContributor, maxContributor, formatContributor, contributors, formatMap, exactPatterns, exactPattern, stringProcessor, numberProcessor, booleanProcessor, neverProcessor, unknownProcessor, enumProcessor, literalProcessor, customProcessor, transformProcessor, arrayProcessor, objectProcessor, unionProcessor, intersectionProcessor, pendingRecords, recordProcessor, nullableProcessor, nonoptionalProcessor, UNREPRESENTABLE_DEFAULT, defaultProcessor, prefaultProcessor, catchProcessor, pipeProcessor, readonlyProcessor, optionalProcessor;
var init_json_schema_processors = __esm({
  "node_modules/zod/v4/core/json-schema-processors.js"() {
    init_import_meta_url();
    init_regexes();
    init_schemas();
    init_to_json_schema();
    init_util();
    narrowMin = (agg, key, value) => {
      if (agg[key] === void 0 || value > agg[key])
        agg[key] = value;
    };
    narrowMax = (agg, key, value) => {
      if (agg[key] === void 0 || value < agg[key])
        agg[key] = value;
    };
    narrowBoth = (agg, value) => {
      narrowMin(agg, "minimum", value);
      narrowMax(agg, "maximum", value);
    };
    addDivisor = (agg, value) => {
      agg.multipleOf ?? (agg.multipleOf = []);
      if (!agg.multipleOf.includes(value))
        agg.multipleOf.push(value);
    };
    addPattern = (agg, pattern) => {
      agg.patterns ?? (agg.patterns = /* @__PURE__ */ new Set());
      agg.patterns.add(pattern);
    };
    intersectMime = (agg, mime) => {
      agg.mime = agg.mime ? agg.mime.filter((m) => mime.includes(m)) : [...mime];
    };
    setFormat = (agg, format) => {
      agg.format = format;
      if (format.includes("int"))
        agg.isInt = true;
    };
    minContributor = (agg, def) => narrowMin(agg, "minimum", def.minimum);
    maxContributor = (agg, def) => narrowMax(agg, "maximum", def.maximum);
    formatContributor = (ranges) => (agg, def) => {
      setFormat(agg, def.format);
      const [minimum, maximum] = ranges[def.format];
      narrowMin(agg, "minimum", minimum);
      narrowMax(agg, "maximum", maximum);
    };
    contributors = {
      greater_than: (agg, def) => narrowMin(agg, def.inclusive ? "minimum" : "exclusiveMinimum", def.value),
      less_than: (agg, def) => narrowMax(agg, def.inclusive ? "maximum" : "exclusiveMaximum", def.value),
      multiple_of: (agg, def) => addDivisor(agg, def.value),
      number_format: formatContributor(NUMBER_FORMAT_RANGES),
      bigint_format: formatContributor(BIGINT_FORMAT_RANGES),
      min_length: minContributor,
      max_length: maxContributor,
      length_equals: (agg, def) => narrowBoth(agg, def.length),
      min_size: minContributor,
      max_size: maxContributor,
      size_equals: (agg, def) => narrowBoth(agg, def.size),
      string_format: (agg, def) => {
        setFormat(agg, def.format);
        if (def.pattern)
          addPattern(agg, def.pattern);
        if (def.format === "base64" || def.format === "base64url")
          agg.contentEncoding = def.format;
        if (def.local || def.precision === -1)
          agg.laxFormat = true;
      },
      mime_type: (agg, def) => intersectMime(agg, def.mime)
    };
    formatMap = {
      guid: "uuid",
      url: "uri",
      datetime: "date-time",
      json_string: "json-string",
      regex: ""
      // do not set
    };
    exactPatterns = /* @__PURE__ */ new Map([
      [base64Charset, base64],
      [base64urlCharset, base64url]
    ]);
    exactPattern = (p) => exactPatterns.get(p) ?? p;
    stringProcessor = (schema, ctx, _json, _params) => {
      const json = _json;
      json.type = "string";
      const { minimum, maximum, format, patterns, contentEncoding, laxFormat } = aggregateChecks(schema);
      if (typeof minimum === "number")
        json.minLength = minimum;
      if (typeof maximum === "number")
        json.maxLength = maximum;
      if (format) {
        json.format = formatMap[format] ?? format;
        if (json.format === "")
          delete json.format;
        if (format === "time" || laxFormat) {
          delete json.format;
        }
      }
      if (contentEncoding)
        json.contentEncoding = contentEncoding;
      if (patterns && patterns.size > 0) {
        const patternList = [...patterns].map(exactPattern);
        if (patternList.length === 1)
          json.pattern = patternList[0].source;
        else if (patternList.length > 1) {
          json.allOf = [
            ...patternList.map((regex) => ({
              ...ctx.target === "draft-07" || ctx.target === "draft-04" || ctx.target === "openapi-3.0" ? { type: "string" } : {},
              pattern: regex.source
            }))
          ];
        }
      }
    };
    numberProcessor = (schema, ctx, _json, params) => {
      const json = _json;
      const { minimum, maximum, multipleOf, exclusiveMaximum, exclusiveMinimum, isInt } = aggregateChecks(schema);
      json.type = isInt ? "integer" : "number";
      const exMin = typeof exclusiveMinimum === "number" && exclusiveMinimum >= (minimum ?? Number.NEGATIVE_INFINITY);
      const exMax = typeof exclusiveMaximum === "number" && exclusiveMaximum <= (maximum ?? Number.POSITIVE_INFINITY);
      const legacy = ctx.target === "draft-04" || ctx.target === "openapi-3.0";
      if (exMin) {
        if (legacy) {
          json.minimum = exclusiveMinimum;
          json.exclusiveMinimum = true;
        } else {
          json.exclusiveMinimum = exclusiveMinimum;
        }
      } else if (typeof minimum === "number") {
        json.minimum = minimum;
      }
      if (exMax) {
        if (legacy) {
          json.maximum = exclusiveMaximum;
          json.exclusiveMaximum = true;
        } else {
          json.exclusiveMaximum = exclusiveMaximum;
        }
      } else if (typeof maximum === "number") {
        json.maximum = maximum;
      }
      if (multipleOf) {
        const divisors = /* @__PURE__ */ new Set();
        for (const divisor of multipleOf) {
          if (Number.isFinite(divisor) && divisor !== 0)
            divisors.add(Math.abs(divisor));
          else
            handleUnrepresentable(schema, ctx, json, params, `A multipleOf divisor of ${divisor} cannot be represented in JSON Schema`);
        }
        const [first, ...rest] = divisors;
        if (first !== void 0)
          json.multipleOf = first;
        if (rest.length)
          json.allOf = [...json.allOf ?? [], ...rest.map((m) => ({ multipleOf: m }))];
      }
    };
    booleanProcessor = (_schema, _ctx, json, _params) => {
      json.type = "boolean";
    };
    neverProcessor = (_schema, _ctx, json, _params) => {
      json.not = {};
    };
    unknownProcessor = (_schema, _ctx, _json, _params) => {
    };
    enumProcessor = (schema, _ctx, json, _params) => {
      const def = schema._zod.def;
      const values = getEnumValues(def.entries);
      if (values.length === 0) {
        json.not = {};
        return;
      }
      if (values.every((v) => typeof v === "number"))
        json.type = "number";
      if (values.every((v) => typeof v === "string"))
        json.type = "string";
      json.enum = values;
    };
    literalProcessor = (schema, ctx, json, params) => {
      const def = schema._zod.def;
      if (def.values.length === 0) {
        json.not = {};
        return;
      }
      const vals = [];
      for (const val of def.values) {
        if (val === void 0) {
          if (handleUnrepresentable(schema, ctx, json, params, "Literal `undefined` cannot be represented in JSON Schema"))
            return;
        } else if (typeof val === "bigint") {
          if (handleUnrepresentable(schema, ctx, json, params, "BigInt literals cannot be represented in JSON Schema"))
            return;
          vals.push(Number(val));
        } else {
          vals.push(val);
        }
      }
      if (vals.length === 0) {
      } else if (vals.length === 1) {
        const val = vals[0];
        json.type = val === null ? "null" : typeof val;
        if (ctx.target === "draft-04" || ctx.target === "openapi-3.0") {
          json.enum = [val];
        } else {
          json.const = val;
        }
      } else {
        if (vals.every((v) => typeof v === "number"))
          json.type = "number";
        if (vals.every((v) => typeof v === "string"))
          json.type = "string";
        if (vals.every((v) => typeof v === "boolean"))
          json.type = "boolean";
        if (vals.every((v) => v === null))
          json.type = "null";
        json.enum = vals;
      }
    };
    customProcessor = (schema, ctx, json, params) => {
      handleUnrepresentable(schema, ctx, json, params, "Custom types cannot be represented in JSON Schema");
    };
    transformProcessor = (schema, ctx, json, params) => {
      handleUnrepresentable(schema, ctx, json, params, "Transforms cannot be represented in JSON Schema");
    };
    arrayProcessor = (schema, ctx, _json, params) => {
      const json = _json;
      const def = schema._zod.def;
      const { minimum, maximum } = aggregateChecks(schema);
      if (typeof minimum === "number")
        json.minItems = minimum;
      if (typeof maximum === "number")
        json.maxItems = maximum;
      json.type = "array";
      json.items = processSchema(def.element, ctx, {
        ...params,
        path: [...params.path, "items"]
      });
    };
    objectProcessor = (schema, ctx, _json, params) => {
      const json = _json;
      const def = schema._zod.def;
      const shape = def.shape;
      const symbolKeys = Object.getOwnPropertySymbols(shape);
      if (symbolKeys.length && handleUnrepresentable(schema, ctx, json, params, "Symbol keys cannot be represented in JSON Schema")) {
        return;
      }
      json.type = "object";
      json.properties = {};
      for (const key in shape) {
        assignProp(json.properties, key, processSchema(shape[key], ctx, {
          ...params,
          path: [...params.path, "properties", key]
        }));
      }
      const requiredKeys = [];
      for (const key of Object.keys(shape)) {
        const field = def.shape[key];
        if (ctx.io === "input" ? inputOptin(field) === void 0 : field._zod.optout === void 0) {
          requiredKeys.push(key);
        }
      }
      if (requiredKeys.length > 0) {
        json.required = requiredKeys;
      }
      if (def.catchall?._zod.def.type === "never") {
        json.additionalProperties = false;
      } else if (!def.catchall) {
        if (ctx.io === "output")
          json.additionalProperties = false;
      } else if (def.catchall) {
        json.additionalProperties = processSchema(def.catchall, ctx, {
          ...params,
          path: [...params.path, "additionalProperties"]
        });
      }
    };
    unionProcessor = (schema, ctx, json, params) => {
      const def = schema._zod.def;
      const isExclusive = def.inclusive === false;
      const options = def.options.map((x, i) => processSchema(x, ctx, {
        ...params,
        path: [...params.path, isExclusive ? "oneOf" : "anyOf", i]
      }));
      if (isExclusive) {
        json.oneOf = options;
      } else {
        json.anyOf = options;
      }
    };
    intersectionProcessor = (schema, ctx, json, params) => {
      const def = schema._zod.def;
      const a = processSchema(def.left, ctx, {
        ...params,
        path: [...params.path, "allOf", 0]
      });
      const b = processSchema(def.right, ctx, {
        ...params,
        path: [...params.path, "allOf", 1]
      });
      const isSimpleIntersection = (val) => "allOf" in val && Object.keys(val).length === 1;
      const allOf = [
        ...isSimpleIntersection(a) ? a.allOf : [a],
        ...isSimpleIntersection(b) ? b.allOf : [b]
      ];
      json.allOf = allOf;
      ctx.intersections.push(allOf);
    };
    pendingRecords = /* @__PURE__ */ new WeakMap();
    recordProcessor = (schema, ctx, _json, params) => {
      const json = _json;
      const def = schema._zod.def;
      json.type = "object";
      const keyType = def.keyType;
      const patterns = aggregateChecks(keyType).patterns;
      if (def.mode === "loose" && patterns && patterns.size > 0) {
        const valueSchema = processSchema(def.valueType, ctx, {
          ...params,
          path: [...params.path, "patternProperties", "*"]
        });
        json.patternProperties = {};
        for (const pattern of patterns) {
          assignProp(json.patternProperties, exactPattern(pattern).source, valueSchema);
        }
      } else {
        if (ctx.target === "draft-07" || ctx.target === "draft-2020-12") {
          json.propertyNames = processSchema(def.keyType, ctx, {
            ...params,
            path: [...params.path, "propertyNames"]
          });
          let pending = pendingRecords.get(ctx);
          if (!pending) {
            pending = [];
            pendingRecords.set(ctx, pending);
            ctx.deferred.push(() => rewriteKeyNames(ctx));
          }
          pending.push(schema);
        }
        json.additionalProperties = processSchema(def.valueType, ctx, {
          ...params,
          path: [...params.path, "additionalProperties"]
        });
      }
      const keyValues = keyType._zod.values;
      const omittableOnInput = ctx.io === "input" && inputOptin(def.valueType) !== void 0;
      if (keyValues && !def.partial && !omittableOnInput) {
        const validKeyValues = [...keyValues].filter((v) => typeof v === "string" || typeof v === "number");
        if (validKeyValues.length > 0) {
          json.required = validKeyValues.map(String);
        }
      }
    };
    nullableProcessor = (schema, ctx, json, params) => {
      const def = schema._zod.def;
      const inner = processSchema(def.innerType, ctx, params);
      const seen = ctx.seen.get(schema);
      if (ctx.target === "openapi-3.0") {
        seen.ref = def.innerType;
        json.nullable = true;
      } else {
        json.anyOf = [inner, { type: "null" }];
      }
    };
    nonoptionalProcessor = (schema, ctx, _json, params) => {
      const def = schema._zod.def;
      processSchema(def.innerType, ctx, params);
      const seen = ctx.seen.get(schema);
      seen.ref = def.innerType;
    };
    UNREPRESENTABLE_DEFAULT = /* @__PURE__ */ Symbol();
    defaultProcessor = (schema, ctx, json, params) => {
      const def = schema._zod.def;
      processSchema(def.innerType, ctx, params);
      const seen = ctx.seen.get(schema);
      seen.ref = def.innerType;
      const value = serializeDefaultValue(def.defaultValue, schema, ctx, json, params);
      if (value !== UNREPRESENTABLE_DEFAULT)
        json.default = value;
    };
    prefaultProcessor = (schema, ctx, json, params) => {
      const def = schema._zod.def;
      processSchema(def.innerType, ctx, params);
      const seen = ctx.seen.get(schema);
      seen.ref = def.innerType;
      if (ctx.io !== "input")
        return;
      const value = serializeDefaultValue(def.defaultValue, schema, ctx, json, params);
      if (value !== UNREPRESENTABLE_DEFAULT)
        json._prefault = value;
    };
    catchProcessor = (schema, ctx, json, params) => {
      const def = schema._zod.def;
      processSchema(def.innerType, ctx, params);
      const seen = ctx.seen.get(schema);
      seen.ref = def.innerType;
      let catchValue;
      try {
        catchValue = def.catchValue(void 0);
      } catch {
        handleUnrepresentable(schema, ctx, json, params, "Dynamic catch values are not supported in JSON Schema");
        return;
      }
      json.default = catchValue;
    };
    pipeProcessor = (schema, ctx, _json, params) => {
      const def = schema._zod.def;
      const inIsTransform = def.in._zod.traits.has("$ZodTransform");
      const innerType = ctx.io === "input" ? inIsTransform ? def.out : def.in : def.out;
      processSchema(innerType, ctx, params);
      const seen = ctx.seen.get(schema);
      seen.ref = innerType;
    };
    readonlyProcessor = (schema, ctx, json, params) => {
      const def = schema._zod.def;
      processSchema(def.innerType, ctx, params);
      const seen = ctx.seen.get(schema);
      seen.ref = def.innerType;
      json.readOnly = true;
    };
    optionalProcessor = (schema, ctx, _json, params) => {
      const def = schema._zod.def;
      processSchema(def.innerType, ctx, params);
      const seen = ctx.seen.get(schema);
      seen.ref = def.innerType;
    };
  }
});

// node_modules/zod/v4/core/json-schema.js
var init_json_schema = __esm({
  "node_modules/zod/v4/core/json-schema.js"() {
    init_import_meta_url();
  }
});

// node_modules/zod/v4/core/index.js
var init_core2 = __esm({
  "node_modules/zod/v4/core/index.js"() {
    init_import_meta_url();
    init_core();
    init_parse();
    init_errors2();
    init_schemas();
    init_memoizer();
    init_checks();
    init_versions();
    init_util();
    init_regexes();
    init_locales_left_out();
    init_registries();
    init_doc();
    init_compile();
    init_api();
    init_to_json_schema();
    init_json_schema();
  }
});

// node_modules/zod/v4/locales/en.js
function en_default() {
  return {
    localeError: error()
  };
}
var error;
var init_en = __esm({
  "node_modules/zod/v4/locales/en.js"() {
    init_import_meta_url();
    init_util();
    error = () => {
      const Sizable = {
        string: { unit: "characters", verb: "to have" },
        file: { unit: "bytes", verb: "to have" },
        array: { unit: "items", verb: "to have" },
        set: { unit: "items", verb: "to have" },
        map: { unit: "entries", verb: "to have" }
      };
      function getSizing(origin) {
        return Sizable[origin] ?? null;
      }
      const FormatDictionary = {
        regex: "input",
        email: "email address",
        url: "URL",
        emoji: "emoji",
        uuid: "UUID",
        uuidv4: "UUIDv4",
        uuidv6: "UUIDv6",
        nanoid: "nanoid",
        guid: "GUID",
        cuid: "cuid",
        cuid2: "cuid2",
        ulid: "ULID",
        xid: "XID",
        ksuid: "KSUID",
        datetime: "ISO datetime",
        date: "ISO date",
        time: "ISO time",
        duration: "ISO duration",
        ipv4: "IPv4 address",
        ipv6: "IPv6 address",
        mac: "MAC address",
        cidrv4: "IPv4 range",
        cidrv6: "IPv6 range",
        base64: "base64-encoded string",
        base64url: "base64url-encoded string",
        json_string: "JSON string",
        e164: "E.164 number",
        currency_code: "currency code",
        credit_card: "credit card number",
        iban: "IBAN",
        jwt: "JWT",
        template_literal: "input"
      };
      const TypeDictionary = {
        // Compatibility: "nan" -> "NaN" for display
        nan: "NaN"
        // All other type names omitted - they fall back to raw values via ?? operator
      };
      function getTypeName(type, input) {
        if (type === "number" && typeof input === "number" && !Number.isFinite(input)) {
          return String(input);
        }
        return TypeDictionary[type] ?? type;
      }
      return (issue2) => {
        switch (issue2.code) {
          case "invalid_type": {
            const expected = getTypeName(issue2.expected);
            const receivedType = parsedType(issue2.input);
            const received = getTypeName(receivedType, issue2.input);
            return `Invalid input: expected ${expected}, received ${received}`;
          }
          case "invalid_value":
            if (issue2.values.length === 1)
              return `Invalid input: expected ${stringifyPrimitive(issue2.values[0])}`;
            return `Invalid option: expected one of ${joinValues(issue2.values, "|")}`;
          case "too_big": {
            const adj = issue2.exact ? "exactly " : issue2.inclusive ? "<=" : "<";
            const sizing = getSizing(issue2.origin);
            if (sizing)
              return `Too big: expected ${issue2.origin ?? "value"} to have ${adj}${issue2.maximum.toString()} ${sizing.unit ?? "elements"}`;
            return `Too big: expected ${issue2.origin ?? "value"} to be ${adj}${issue2.maximum.toString()}`;
          }
          case "too_small": {
            const adj = issue2.exact ? "exactly " : issue2.inclusive ? ">=" : ">";
            const sizing = getSizing(issue2.origin);
            if (sizing) {
              return `Too small: expected ${issue2.origin} to have ${adj}${issue2.minimum.toString()} ${sizing.unit}`;
            }
            return `Too small: expected ${issue2.origin} to be ${adj}${issue2.minimum.toString()}`;
          }
          case "invalid_format": {
            const _issue = issue2;
            if (_issue.format === "starts_with") {
              return `Invalid string: must start with "${_issue.prefix}"`;
            }
            if (_issue.format === "ends_with")
              return `Invalid string: must end with "${_issue.suffix}"`;
            if (_issue.format === "includes")
              return `Invalid string: must include "${_issue.includes}"`;
            if (_issue.format === "regex")
              return `Invalid string: must match pattern ${_issue.pattern}`;
            return `Invalid ${FormatDictionary[_issue.format] ?? issue2.format}`;
          }
          case "not_multiple_of":
            return `Invalid number: must be a multiple of ${issue2.divisor}`;
          case "unrecognized_keys":
            return `Unrecognized key${issue2.keys.length > 1 ? "s" : ""}: ${joinValues(issue2.keys, ", ")}`;
          case "invalid_key":
            return `Invalid key in ${issue2.origin}`;
          case "invalid_union":
            if (issue2.options && Array.isArray(issue2.options) && issue2.options.length > 0) {
              const opts = issue2.options.map((o) => `'${o}'`).join(" | ");
              return `Invalid discriminator value. Expected ${opts}`;
            }
            if (issue2.inclusive === false) {
              return "Invalid input: more than one option matched";
            }
            return "Invalid input";
          case "invalid_element":
            return `Invalid value in ${issue2.origin}`;
          default:
            return `Invalid input`;
        }
      };
    };
  }
});

// node_modules/zod/v4/classic/checks.js
var init_checks2 = __esm({
  "node_modules/zod/v4/classic/checks.js"() {
    init_import_meta_url();
    init_core2();
  }
});

// node_modules/zod/v4/classic/errors.js
function _lazyMethod(proto, key, make) {
  Object.defineProperty(proto, key, {
    configurable: true,
    enumerable: false,
    get() {
      const value = make(this);
      Object.defineProperty(this, key, { value, configurable: true, writable: true });
      return value;
    },
    set(value) {
      Object.defineProperty(this, key, { value, configurable: true, writable: true });
    }
  });
}
var _installedErrorProtos, initializer2, ZodRealError;
var init_errors3 = __esm({
  "node_modules/zod/v4/classic/errors.js"() {
    init_import_meta_url();
    init_core2();
    init_core2();
    init_util();
    _installedErrorProtos = /* @__PURE__ */ new WeakSet([Object.prototype, Error.prototype]);
    initializer2 = (inst, issues) => {
      $ZodError.init(inst, issues);
      inst.name = "ZodError";
      const proto = Object.getPrototypeOf(inst);
      if (_installedErrorProtos.has(proto))
        return;
      _installedErrorProtos.add(proto);
      _lazyMethod(proto, "format", (self) => (mapper) => formatError(self, mapper));
      _lazyMethod(proto, "flatten", (self) => (mapper) => flattenError(self, mapper));
      _lazyMethod(proto, "addIssue", (self) => (issue2) => {
        self.issues.push(issue2);
        self.message = JSON.stringify(self.issues, jsonStringifyReplacer, 2);
      });
      _lazyMethod(proto, "addIssues", (self) => (issues2) => {
        self.issues.push(...issues2);
        self.message = JSON.stringify(self.issues, jsonStringifyReplacer, 2);
      });
      Object.defineProperty(proto, "isEmpty", {
        configurable: true,
        enumerable: false,
        get() {
          return this.issues.length === 0;
        }
      });
    };
    ZodRealError = /* @__PURE__ */ $constructor("ZodError", initializer2, void 0, {
      Parent: Error
    });
  }
});

// node_modules/zod/v4/classic/parse.js
var parse, parseAsync, safeParse, safeParseAsync, encode2, decode, encodeAsync, decodeAsync, safeEncode, safeDecode, safeEncodeAsync, safeDecodeAsync;
var init_parse2 = __esm({
  "node_modules/zod/v4/classic/parse.js"() {
    init_import_meta_url();
    init_core2();
    init_errors3();
    init_core2();
    parse = /* @__PURE__ */ _parse(ZodRealError);
    parseAsync = /* @__PURE__ */ _parseAsync(ZodRealError);
    safeParse = /* @__PURE__ */ _safeParse(ZodRealError);
    safeParseAsync = /* @__PURE__ */ _safeParseAsync(ZodRealError);
    encode2 = /* @__PURE__ */ _encode(ZodRealError);
    decode = /* @__PURE__ */ _decode(ZodRealError);
    encodeAsync = /* @__PURE__ */ _encodeAsync(ZodRealError);
    decodeAsync = /* @__PURE__ */ _decodeAsync(ZodRealError);
    safeEncode = /* @__PURE__ */ _safeEncode(ZodRealError);
    safeDecode = /* @__PURE__ */ _safeDecode(ZodRealError);
    safeEncodeAsync = /* @__PURE__ */ _safeEncodeAsync(ZodRealError);
    safeDecodeAsync = /* @__PURE__ */ _safeDecodeAsync(ZodRealError);
  }
});

// node_modules/zod/v4/classic/schemas.js
function _ensureDefaultLocale() {
  if (!globalConfig.localeError)
    config(en_default());
}
function _ensureDefaultMemoizer() {
  if (!globalConfig.memoizer)
    config({ memoizer: memoizer() });
}
function string2(params) {
  return _string(ZodString, params);
}
function number2(params) {
  return _number(ZodNumber, params);
}
function int(params) {
  return _int(ZodNumberFormat, params);
}
function boolean2(params) {
  return _boolean(ZodBoolean, params);
}
function unknown() {
  return _unknown(ZodUnknown);
}
function never(params) {
  return _never(ZodNever, params);
}
function array(element, params) {
  return _array(ZodArray, element, params);
}
function object(shape, params) {
  const def = {
    type: "object",
    shape: shape ?? {},
    ...util_exports.normalizeParams(params)
  };
  return new ZodObject(def);
}
function union(options, params) {
  return new ZodUnion({
    type: "union",
    options,
    ...util_exports.normalizeParams(params)
  });
}
function intersection(left, right) {
  return new ZodIntersection({
    type: "intersection",
    left,
    right
  });
}
function record(keyType, valueType, params) {
  if (!valueType || !valueType._zod) {
    return new ZodRecord({
      type: "record",
      keyType: string2(),
      valueType: keyType,
      ...util_exports.normalizeParams(valueType)
    });
  }
  return new ZodRecord({
    type: "record",
    keyType,
    valueType,
    ...util_exports.normalizeParams(params)
  });
}
function _enum(values, params) {
  const entries = Array.isArray(values) ? Object.fromEntries(values.map((v) => [v, v])) : values;
  return new ZodEnum({
    type: "enum",
    entries,
    ...util_exports.normalizeParams(params)
  });
}
function literal(value, params) {
  return new ZodLiteral({
    type: "literal",
    values: Array.isArray(value) ? value : [value],
    ...util_exports.normalizeParams(params)
  });
}
function transform(fn) {
  return new ZodTransform({
    type: "transform",
    transform: fn
  });
}
function optional(innerType) {
  return new ZodOptional({
    type: "optional",
    innerType
  });
}
function exactOptional(innerType) {
  return new ZodExactOptional({
    type: "optional",
    innerType
  });
}
function nullable(innerType) {
  return new ZodNullable({
    type: "nullable",
    innerType
  });
}
function _default(innerType, defaultValue) {
  return new ZodDefault({
    type: "default",
    innerType,
    get defaultValue() {
      return typeof defaultValue === "function" ? defaultValue() : util_exports.shallowClone(defaultValue);
    }
  });
}
function prefault(innerType, defaultValue) {
  return new ZodPrefault({
    type: "prefault",
    innerType,
    get defaultValue() {
      return typeof defaultValue === "function" ? defaultValue() : util_exports.shallowClone(defaultValue);
    }
  });
}
function nonoptional(innerType, params) {
  return new ZodNonOptional({
    type: "nonoptional",
    innerType,
    ...util_exports.normalizeParams(params)
  });
}
function _catch(innerType, catchValue) {
  return new ZodCatch({
    type: "catch",
    innerType,
    catchValue: typeof catchValue === "function" ? catchValue : util_exports.constantCatch(catchValue)
  });
}
function pipe(in_, out) {
  return new ZodPipe({
    type: "pipe",
    in: in_,
    out
    // ...util.normalizeParams(params),
  });
}
function readonly(innerType) {
  return new ZodReadonly({
    type: "readonly",
    innerType
  });
}
function refine(fn, _params = {}) {
  return _refine(ZodCustom, fn, _params);
}
function superRefine(fn, params) {
  return _superRefine(fn, params);
}
var ZodType, _ZodString, ZodString, ZodStringFormat, ZodISODateTime, ZodISODate, ZodISOTime, ZodISODuration, ZodEmail, ZodGUID, ZodUUID, ZodURL, ZodEmoji, ZodNanoID, ZodCUID, ZodCUID2, ZodULID, ZodXID, ZodKSUID, ZodIPv4, ZodIPv6, ZodCIDRv4, ZodCIDRv6, ZodBase64, ZodBase64URL, ZodE164, ZodJWT, ZodNumber, ZodNumberFormat, ZodBoolean, ZodUnknown, ZodNever, ZodArray, ZodObject, ZodUnion, ZodIntersection, ZodRecord, ZodEnum, ZodLiteral, ZodTransform, ZodOptional, ZodExactOptional, ZodNullable, ZodDefault, ZodPrefault, ZodNonOptional, ZodCatch, ZodPipe, ZodReadonly, ZodCustom;
var init_schemas2 = __esm({
  "node_modules/zod/v4/classic/schemas.js"() {
    init_import_meta_url();
    init_core2();
    init_core2();
    init_json_schema_processors();
    init_to_json_schema();
    init_en();
    init_checks2();
    init_parse2();
    ZodType = /* @__PURE__ */ $constructor("ZodType", (inst, def) => {
      _ensureDefaultLocale();
      $ZodType.init(inst, def);
      inst.def = def;
      inst.type = def.type;
      return inst;
    }, {
      check(...chks) {
        const def = this.def;
        return this.clone(util_exports.mergeDefs(def, {
          checks: [
            ...def.checks ?? [],
            ...chks.map((ch) => typeof ch === "function" ? { _zod: { check: ch, def: { check: "custom" }, onattach: [] } } : ch)
          ]
        }), { parent: true });
      },
      with(...chks) {
        return this.check(...chks);
      },
      clone(def, params) {
        return clone(this, def, params);
      },
      brand() {
        return this;
      },
      register(reg, meta2) {
        reg.add(this, meta2);
        return this;
      },
      refine(check, params) {
        return this.check(refine(check, params));
      },
      superRefine(refinement, params) {
        return this.check(superRefine(refinement, params));
      },
      overwrite(fn) {
        return this.check(_overwrite(fn));
      },
      optional() {
        return optional(this);
      },
      exactOptional() {
        return exactOptional(this);
      },
      nullable() {
        return nullable(this);
      },
      nullish() {
        return optional(nullable(this));
      },
      nonoptional(params) {
        return nonoptional(this, params);
      },
      array() {
        return array(this);
      },
      or(arg) {
        return union([this, arg]);
      },
      and(arg) {
        return intersection(this, arg);
      },
      transform(tx) {
        return pipe(this, transform(tx));
      },
      default(d) {
        return _default(this, d);
      },
      prefault(d) {
        return prefault(this, d);
      },
      catch(params) {
        return _catch(this, params);
      },
      pipe(target) {
        return pipe(this, target);
      },
      readonly() {
        return readonly(this);
      },
      describe(description) {
        const cl = this.clone();
        globalRegistry.add(cl, { description });
        return cl;
      },
      meta(...args) {
        if (args.length === 0)
          return globalRegistry.get(this);
        const cl = this.clone();
        globalRegistry.add(cl, args[0]);
        return cl;
      },
      isOptional() {
        return this.safeParse(void 0).success;
      },
      isNullable() {
        return this.safeParse(null).success;
      },
      apply(fn, ...args) {
        return args.length === 0 ? fn(this) : fn(this, ...args);
      },
      // Overrides core's `~standard` to add `jsonSchema`. Must stay a prototype entry: redefining it per instance demotes instances to dictionary mode.
      get "~standard"() {
        return util_exports.hide(this, "~standard", {
          ...standardProps(this),
          jsonSchema: {
            input: createStandardJSONSchemaMethod(this, "input"),
            output: createStandardJSONSchemaMethod(this, "output")
          }
        });
      },
      set "~standard"(value) {
        util_exports.own(this, "~standard", value);
      },
      parse: function _parse2(data, params) {
        return parse(this, data, params, { callee: _parse2 });
      },
      parseAsync: async function _parseAsync2(data, params) {
        return await parseAsync(this, data, params, { callee: _parseAsync2 });
      },
      safeParse(data, params) {
        return safeParse(this, data, params);
      },
      async safeParseAsync(data, params) {
        return safeParseAsync(this, data, params);
      },
      // `spa` is an alias: same function object as `safeParseAsync`, as before.
      get spa() {
        return this?.safeParseAsync;
      },
      set spa(value) {
        util_exports.own(this, "spa", value);
      },
      validate(data, params) {
        return validate(this, data, params);
      },
      validateAsync(data, params) {
        return validateAsync(this, data, params);
      },
      encode: function _encode2(data, params) {
        return encode2(this, data, params, { callee: _encode2 });
      },
      decode: function _decode2(data, params) {
        return decode(this, data, params, { callee: _decode2 });
      },
      encodeAsync: async function _encodeAsync2(data, params) {
        return await encodeAsync(this, data, params, { callee: _encodeAsync2 });
      },
      decodeAsync: async function _decodeAsync2(data, params) {
        return await decodeAsync(this, data, params, { callee: _decodeAsync2 });
      },
      safeEncode(data, params) {
        return safeEncode(this, data, params);
      },
      safeDecode(data, params) {
        return safeDecode(this, data, params);
      },
      async safeEncodeAsync(data, params) {
        return safeEncodeAsync(this, data, params);
      },
      async safeDecodeAsync(data, params) {
        return safeDecodeAsync(this, data, params);
      },
      toJSONSchema(params) {
        return createToJSONSchemaMethod(this, {})(params);
      },
      // Reads through to the registry on every access, so it must not cache.
      get description() {
        return globalRegistry.get(this)?.description;
      },
      // No setter: `schema._def = x` throws, as it did when `_def` was a non-writable own property.
      get _def() {
        return this._zod.def;
      }
    });
    _ZodString = /* @__PURE__ */ $constructor(
      "_ZodString",
      (inst, def) => {
        $ZodString.init(inst, def);
        ZodType.init(inst, def);
        inst._zod.processJSONSchema = (ctx, json, params) => stringProcessor(inst, ctx, json, params);
      },
      /* @__PURE__ */ util_exports.derived({
        format: (inst) => aggregateChecks(inst).format ?? null,
        minLength: (inst) => aggregateChecks(inst).minimum ?? null,
        maxLength: (inst) => aggregateChecks(inst).maximum ?? null
      }, {
        regex(...args) {
          return this.check(_regex(...args));
        },
        includes(...args) {
          return this.check(_includes(...args));
        },
        startsWith(...args) {
          return this.check(_startsWith(...args));
        },
        endsWith(...args) {
          return this.check(_endsWith(...args));
        },
        min(...args) {
          return this.check(_minLength(...args));
        },
        max(...args) {
          return this.check(_maxLength(...args));
        },
        length(...args) {
          return this.check(_length(...args));
        },
        nonempty(...args) {
          return this.check(_minLength(1, ...args));
        },
        lowercase(params) {
          return this.check(_lowercase(params));
        },
        uppercase(params) {
          return this.check(_uppercase(params));
        },
        trim() {
          return this.check(_trim());
        },
        normalize(...args) {
          return this.check(_normalize(...args));
        },
        toLowerCase() {
          return this.check(_toLowerCase());
        },
        toUpperCase() {
          return this.check(_toUpperCase());
        },
        slugify() {
          return this.check(_slugify());
        }
      })
    );
    ZodString = /* @__PURE__ */ $constructor("ZodString", (inst, def) => {
      $ZodString.init(inst, def);
      _ZodString.init(inst, def);
    }, {
      email(params) {
        return this.check(_email(ZodEmail, params));
      },
      url(params) {
        return this.check(_url(ZodURL, params));
      },
      jwt(params) {
        return this.check(_jwt(ZodJWT, params));
      },
      emoji(params) {
        return this.check(_emoji2(ZodEmoji, params));
      },
      guid(params) {
        return this.check(_guid(ZodGUID, params));
      },
      uuid(params) {
        return this.check(_uuid(ZodUUID, params));
      },
      uuidv4(params) {
        return this.check(_uuidv4(ZodUUID, params));
      },
      uuidv6(params) {
        return this.check(_uuidv6(ZodUUID, params));
      },
      uuidv7(params) {
        return this.check(_uuidv7(ZodUUID, params));
      },
      nanoid(params) {
        return this.check(_nanoid(ZodNanoID, params));
      },
      cuid(params) {
        return this.check(_cuid(ZodCUID, params));
      },
      cuid2(params) {
        return this.check(_cuid2(ZodCUID2, params));
      },
      ulid(params) {
        return this.check(_ulid(ZodULID, params));
      },
      base64(params) {
        return this.check(_base64(ZodBase64, params));
      },
      base64url(params) {
        return this.check(_base64url(ZodBase64URL, params));
      },
      xid(params) {
        return this.check(_xid(ZodXID, params));
      },
      ksuid(params) {
        return this.check(_ksuid(ZodKSUID, params));
      },
      ipv4(params) {
        return this.check(_ipv4(ZodIPv4, params));
      },
      ipv6(params) {
        return this.check(_ipv6(ZodIPv6, params));
      },
      cidrv4(params) {
        return this.check(_cidrv4(ZodCIDRv4, params));
      },
      cidrv6(params) {
        return this.check(_cidrv6(ZodCIDRv6, params));
      },
      e164(params) {
        return this.check(_e164(ZodE164, params));
      },
      datetime(params) {
        return this.check(_isoDateTime(ZodISODateTime, params));
      },
      date(params) {
        return this.check(_isoDate(ZodISODate, params));
      },
      time(params) {
        return this.check(_isoTime(ZodISOTime, params));
      },
      duration(params) {
        return this.check(_isoDuration(ZodISODuration, params));
      }
    });
    ZodStringFormat = /* @__PURE__ */ $constructor("ZodStringFormat", (inst, def) => {
      $ZodStringFormat.init(inst, def);
      _ZodString.init(inst, def);
    });
    ZodISODateTime = /* @__PURE__ */ $constructor("ZodISODateTime", (inst, def) => {
      $ZodISODateTime.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodISODate = /* @__PURE__ */ $constructor("ZodISODate", (inst, def) => {
      $ZodISODate.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodISOTime = /* @__PURE__ */ $constructor("ZodISOTime", (inst, def) => {
      $ZodISOTime.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodISODuration = /* @__PURE__ */ $constructor("ZodISODuration", (inst, def) => {
      $ZodISODuration.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodEmail = /* @__PURE__ */ $constructor("ZodEmail", (inst, def) => {
      $ZodEmail.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodGUID = /* @__PURE__ */ $constructor("ZodGUID", (inst, def) => {
      $ZodGUID.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodUUID = /* @__PURE__ */ $constructor("ZodUUID", (inst, def) => {
      $ZodUUID.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodURL = /* @__PURE__ */ $constructor("ZodURL", (inst, def) => {
      $ZodURL.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodEmoji = /* @__PURE__ */ $constructor("ZodEmoji", (inst, def) => {
      $ZodEmoji.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodNanoID = /* @__PURE__ */ $constructor("ZodNanoID", (inst, def) => {
      $ZodNanoID.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodCUID = /* @__PURE__ */ $constructor("ZodCUID", (inst, def) => {
      $ZodCUID.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodCUID2 = /* @__PURE__ */ $constructor("ZodCUID2", (inst, def) => {
      $ZodCUID2.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodULID = /* @__PURE__ */ $constructor("ZodULID", (inst, def) => {
      $ZodULID.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodXID = /* @__PURE__ */ $constructor("ZodXID", (inst, def) => {
      $ZodXID.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodKSUID = /* @__PURE__ */ $constructor("ZodKSUID", (inst, def) => {
      $ZodKSUID.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodIPv4 = /* @__PURE__ */ $constructor("ZodIPv4", (inst, def) => {
      $ZodIPv4.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodIPv6 = /* @__PURE__ */ $constructor("ZodIPv6", (inst, def) => {
      $ZodIPv6.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodCIDRv4 = /* @__PURE__ */ $constructor("ZodCIDRv4", (inst, def) => {
      $ZodCIDRv4.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodCIDRv6 = /* @__PURE__ */ $constructor("ZodCIDRv6", (inst, def) => {
      $ZodCIDRv6.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodBase64 = /* @__PURE__ */ $constructor("ZodBase64", (inst, def) => {
      $ZodBase64.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodBase64URL = /* @__PURE__ */ $constructor("ZodBase64URL", (inst, def) => {
      $ZodBase64URL.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodE164 = /* @__PURE__ */ $constructor("ZodE164", (inst, def) => {
      $ZodE164.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodJWT = /* @__PURE__ */ $constructor("ZodJWT", (inst, def) => {
      $ZodJWT.init(inst, def);
      ZodStringFormat.init(inst, def);
    });
    ZodNumber = /* @__PURE__ */ $constructor(
      "ZodNumber",
      (inst, def) => {
        $ZodNumber.init(inst, def);
        ZodType.init(inst, def);
        inst._zod.processJSONSchema = (ctx, json, params) => numberProcessor(inst, ctx, json, params);
        inst.isFinite = true;
      },
      /* @__PURE__ */ util_exports.derived({
        minValue: (inst) => {
          const { minimum, exclusiveMinimum } = aggregateChecks(inst);
          return Math.max(minimum ?? Number.NEGATIVE_INFINITY, exclusiveMinimum ?? Number.NEGATIVE_INFINITY);
        },
        maxValue: (inst) => {
          const { maximum, exclusiveMaximum } = aggregateChecks(inst);
          return Math.min(maximum ?? Number.POSITIVE_INFINITY, exclusiveMaximum ?? Number.POSITIVE_INFINITY);
        },
        isInt: (inst) => {
          const { isInt, multipleOf } = aggregateChecks(inst);
          return !!isInt || !!multipleOf?.some(Number.isSafeInteger);
        },
        format: (inst) => aggregateChecks(inst).format ?? null
      }, {
        gt(value, params) {
          return this.check(_gt(value, params));
        },
        gte(value, params) {
          return this.check(_gte(value, params));
        },
        min(value, params) {
          return this.check(_gte(value, params));
        },
        lt(value, params) {
          return this.check(_lt(value, params));
        },
        lte(value, params) {
          return this.check(_lte(value, params));
        },
        max(value, params) {
          return this.check(_lte(value, params));
        },
        int(params) {
          return this.check(int(params));
        },
        safe(params) {
          return this.check(int(params));
        },
        positive(params) {
          return this.check(_gt(0, params));
        },
        nonnegative(params) {
          return this.check(_gte(0, params));
        },
        negative(params) {
          return this.check(_lt(0, params));
        },
        nonpositive(params) {
          return this.check(_lte(0, params));
        },
        multipleOf(value, params) {
          return this.check(_multipleOf(value, params));
        },
        step(value, params) {
          return this.check(_multipleOf(value, params));
        },
        finite() {
          return this;
        }
      })
    );
    ZodNumberFormat = /* @__PURE__ */ $constructor("ZodNumberFormat", (inst, def) => {
      $ZodNumberFormat.init(inst, def);
      ZodNumber.init(inst, def);
    });
    ZodBoolean = /* @__PURE__ */ $constructor("ZodBoolean", (inst, def) => {
      $ZodBoolean.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => booleanProcessor(inst, ctx, json, params);
    });
    ZodUnknown = /* @__PURE__ */ $constructor("ZodUnknown", (inst, def) => {
      $ZodUnknown.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => unknownProcessor(inst, ctx, json, params);
    });
    ZodNever = /* @__PURE__ */ $constructor("ZodNever", (inst, def) => {
      $ZodNever.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => neverProcessor(inst, ctx, json, params);
    });
    ZodArray = /* @__PURE__ */ $constructor("ZodArray", (inst, def) => {
      _ensureDefaultMemoizer();
      $ZodArray.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => arrayProcessor(inst, ctx, json, params);
      inst.element = def.element;
    }, {
      min(n, params) {
        return this.check(_minLength(n, params));
      },
      nonempty(params) {
        return this.check(_minLength(1, params));
      },
      max(n, params) {
        return this.check(_maxLength(n, params));
      },
      length(n, params) {
        return this.check(_length(n, params));
      },
      unwrap() {
        return this.element;
      }
    });
    ZodObject = /* @__PURE__ */ $constructor("ZodObject", (inst, def) => {
      _ensureDefaultMemoizer();
      $ZodObjectJIT.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => objectProcessor(inst, ctx, json, params);
      util_exports.installLazyProp(inst, "shape", (self) => self._zod.def.shape, false);
    }, {
      keyof() {
        return _enum(Object.keys(this._zod.def.shape));
      },
      catchall(catchall) {
        return this.clone(util_exports.mergeDefs(this._zod.def, { catchall }));
      },
      passthrough() {
        return this.clone(util_exports.mergeDefs(this._zod.def, { catchall: unknown() }));
      },
      loose() {
        return this.clone(util_exports.mergeDefs(this._zod.def, { catchall: unknown() }));
      },
      strict() {
        return this.clone(util_exports.mergeDefs(this._zod.def, { catchall: never() }));
      },
      strip() {
        return this.clone(util_exports.mergeDefs(this._zod.def, { catchall: void 0 }));
      },
      extend(incoming) {
        return util_exports.extend(this, incoming);
      },
      safeExtend(incoming) {
        return util_exports.safeExtend(this, incoming);
      },
      merge(other) {
        return util_exports.merge(this, other);
      },
      pick(mask) {
        return util_exports.pick(this, mask);
      },
      omit(mask) {
        return util_exports.omit(this, mask);
      },
      partial(...args) {
        return util_exports.partial(ZodOptional, this, args[0]);
      },
      exactPartial(...args) {
        return util_exports.partial(ZodExactOptional, this, args[0], "exactPartial");
      },
      required(...args) {
        return util_exports.required(ZodNonOptional, this, args[0]);
      }
    });
    ZodUnion = /* @__PURE__ */ $constructor("ZodUnion", (inst, def) => {
      $ZodUnion.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => unionProcessor(inst, ctx, json, params);
      inst.options = def.options;
    });
    ZodIntersection = /* @__PURE__ */ $constructor("ZodIntersection", (inst, def) => {
      $ZodIntersection.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => intersectionProcessor(inst, ctx, json, params);
    });
    ZodRecord = /* @__PURE__ */ $constructor("ZodRecord", (inst, def) => {
      _ensureDefaultMemoizer();
      $ZodRecord.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => recordProcessor(inst, ctx, json, params);
      inst.keyType = def.keyType;
      inst.valueType = def.valueType;
    });
    ZodEnum = /* @__PURE__ */ $constructor("ZodEnum", (inst, def) => {
      $ZodEnum.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => enumProcessor(inst, ctx, json, params);
      inst.enum = def.entries;
      inst.options = [...inst._zod.values];
      const keys = new Set(Object.keys(def.entries));
      inst.extract = (values, params) => {
        const newEntries = {};
        for (const value of values) {
          if (keys.has(value)) {
            newEntries[value] = def.entries[value];
          } else
            throw new Error(`Key ${value} not found in enum`);
        }
        return new ZodEnum({
          ...def,
          checks: [],
          ...util_exports.normalizeParams(params),
          entries: newEntries
        });
      };
      inst.exclude = (values, params) => {
        const newEntries = { ...def.entries };
        for (const value of values) {
          if (keys.has(value)) {
            delete newEntries[value];
          } else
            throw new Error(`Key ${value} not found in enum`);
        }
        return new ZodEnum({
          ...def,
          checks: [],
          ...util_exports.normalizeParams(params),
          entries: newEntries
        });
      };
    });
    ZodLiteral = /* @__PURE__ */ $constructor("ZodLiteral", (inst, def) => {
      $ZodLiteral.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => literalProcessor(inst, ctx, json, params);
      inst.values = new Set(def.values);
      Object.defineProperty(inst, "value", {
        get() {
          if (def.values.length > 1) {
            throw new Error("This schema contains multiple valid literal values. Use `.values` instead.");
          }
          return def.values[0];
        }
      });
    });
    ZodTransform = /* @__PURE__ */ $constructor("ZodTransform", (inst, def) => {
      _ensureDefaultMemoizer();
      $ZodTransform.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => transformProcessor(inst, ctx, json, params);
      inst._zod.parse = (payload, _ctx) => {
        if (_ctx.direction === "backward") {
          throw new $ZodEncodeError(inst.constructor.name);
        }
        payload.addIssue = (issue2) => {
          if (typeof issue2 === "string") {
            payload.issues.push(util_exports.issue(issue2, payload.value, def));
          } else {
            const _issue = issue2;
            if (_issue.fatal)
              _issue.continue = false;
            _issue.code ?? (_issue.code = "custom");
            if (!("input" in _issue))
              _issue.input = payload.value;
            _issue.inst ?? (_issue.inst = inst);
            payload.issues.push(util_exports.issue(_issue));
          }
        };
        const output = def.transform(payload.value, payload);
        if (output instanceof Promise) {
          return output.then((output2) => {
            payload.value = output2;
            return payload;
          });
        }
        payload.value = output;
        return payload;
      };
    });
    ZodOptional = /* @__PURE__ */ $constructor("ZodOptional", (inst, def) => {
      $ZodOptional.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => optionalProcessor(inst, ctx, json, params);
      inst.unwrap = () => inst._zod.def.innerType;
    });
    ZodExactOptional = /* @__PURE__ */ $constructor("ZodExactOptional", (inst, def) => {
      $ZodExactOptional.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => optionalProcessor(inst, ctx, json, params);
      inst.unwrap = () => inst._zod.def.innerType;
    });
    ZodNullable = /* @__PURE__ */ $constructor("ZodNullable", (inst, def) => {
      $ZodNullable.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => nullableProcessor(inst, ctx, json, params);
      inst.unwrap = () => inst._zod.def.innerType;
    });
    ZodDefault = /* @__PURE__ */ $constructor("ZodDefault", (inst, def) => {
      $ZodDefault.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => defaultProcessor(inst, ctx, json, params);
      inst.unwrap = () => inst._zod.def.innerType;
      inst.removeDefault = inst.unwrap;
    });
    ZodPrefault = /* @__PURE__ */ $constructor("ZodPrefault", (inst, def) => {
      $ZodPrefault.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => prefaultProcessor(inst, ctx, json, params);
      inst.unwrap = () => inst._zod.def.innerType;
    });
    ZodNonOptional = /* @__PURE__ */ $constructor("ZodNonOptional", (inst, def) => {
      $ZodNonOptional.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => nonoptionalProcessor(inst, ctx, json, params);
      inst.unwrap = () => inst._zod.def.innerType;
    });
    ZodCatch = /* @__PURE__ */ $constructor("ZodCatch", (inst, def) => {
      $ZodCatch.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => catchProcessor(inst, ctx, json, params);
      inst.unwrap = () => inst._zod.def.innerType;
      inst.removeCatch = inst.unwrap;
    });
    ZodPipe = /* @__PURE__ */ $constructor("ZodPipe", (inst, def) => {
      $ZodPipe.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => pipeProcessor(inst, ctx, json, params);
      inst.in = def.in;
      inst.out = def.out;
    });
    ZodReadonly = /* @__PURE__ */ $constructor("ZodReadonly", (inst, def) => {
      $ZodReadonly.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => readonlyProcessor(inst, ctx, json, params);
      inst.unwrap = () => inst._zod.def.innerType;
    });
    ZodCustom = /* @__PURE__ */ $constructor("ZodCustom", (inst, def) => {
      $ZodCustom.init(inst, def);
      ZodType.init(inst, def);
      inst._zod.processJSONSchema = (ctx, json, params) => customProcessor(inst, ctx, json, params);
    });
  }
});

// node_modules/zod/v4/classic/compat.js
var ZodFirstPartyTypeKind;
var init_compat = __esm({
  "node_modules/zod/v4/classic/compat.js"() {
    init_import_meta_url();
    /* @__PURE__ */ (function(ZodFirstPartyTypeKind2) {
    })(ZodFirstPartyTypeKind || (ZodFirstPartyTypeKind = {}));
  }
});

// node_modules/zod/v4/classic/iso.js
var iso_exports = {};
__export(iso_exports, {
  ZodISODate: () => ZodISODate,
  ZodISODateTime: () => ZodISODateTime,
  ZodISODuration: () => ZodISODuration,
  ZodISOTime: () => ZodISOTime,
  date: () => date2,
  datetime: () => datetime2,
  duration: () => duration2,
  time: () => time2
});
function datetime2(params) {
  return _isoDateTime(ZodISODateTime, params);
}
function date2(params) {
  return _isoDate(ZodISODate, params);
}
function time2(params) {
  return _isoTime(ZodISOTime, params);
}
function duration2(params) {
  return _isoDuration(ZodISODuration, params);
}
var init_iso = __esm({
  "node_modules/zod/v4/classic/iso.js"() {
    init_import_meta_url();
    init_core2();
    init_schemas2();
    init_schemas2();
  }
});

// node_modules/zod/v4/classic/coerce.js
var init_coerce = __esm({
  "node_modules/zod/v4/classic/coerce.js"() {
    init_import_meta_url();
  }
});

// node_modules/zod/v4/classic/external.js
var init_external = __esm({
  "node_modules/zod/v4/classic/external.js"() {
    init_import_meta_url();
    init_core2();
    init_schemas2();
    init_checks2();
    init_errors3();
    init_parse2();
    init_compat();
    init_locales_left_out();
    init_iso();
    init_coerce();
  }
});

// node_modules/zod/index.js
var init_zod = __esm({
  "node_modules/zod/index.js"() {
    init_import_meta_url();
    init_external();
  }
});

// packages/core/src/image/manifest.ts
function buildManifestSchema() {
  const digest = string2().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 lowercase hex>");
  const column = object({ name: string2(), type: string2(), nullable: boolean2() }).strict();
  const table = object({
    schema: string2(),
    name: string2(),
    rowEstimate: number2().int().nonnegative(),
    sizeBytes: number2().int().nonnegative(),
    columns: array(column)
  }).strict();
  const count = number2().int().nonnegative();
  const leakScanRecord = object({
    bytesScanned: count,
    probes: count,
    hits: count,
    mode: _enum(["exhaustive", "none"]).optional(),
    reason: string2().optional(),
    valuesSearched: count.optional(),
    valuesTotal: count.optional(),
    publishedValuesRead: count.optional(),
    matches: count.optional(),
    explained: record(string2(), count).optional(),
    copies: array(record(string2(), unknown())).optional(),
    copiesFailed: count.optional(),
    highCardinalityRatio: number2().optional()
  });
  return object({
    schemaVersion: literal(1),
    name: string2().regex(IMAGE_NAME_PATTERN, "must be lowercase letters, digits, '.', '_', '-' and '/' segments"),
    version: string2().regex(VERSION_PATTERN, "must be 1-128 of A-Z a-z 0-9 _ . - and not start with . or -"),
    created: iso_exports.datetime(),
    engine: object({ kind: _enum(["postgres", "sqlserver"]), version: string2().min(1) }).strict(),
    platform: object({ os: _enum(["linux", "windows"]), diskFormat: _enum(["qcow2", "vhdx"]), filesystem: string2().optional() }).strict(),
    databases: array(object({ name: string2().min(1), sizeBytes: number2().int().nonnegative(), tables: array(table) }).strict()).min(1, "an image holds at least one database"),
    disk: object({
      digest,
      sizeBytes: number2().int().nonnegative(),
      virtualSizeBytes: number2().int().nonnegative(),
      /** Digest of the uncompressed bytes where a transport compresses the blob. */
      uncompressedDigest: digest.optional()
    }).strict(),
    /** Manifest digest of the version this one layers on (promoted/layered versions). */
    parent: digest.optional(),
    source: object({
      kind: _enum(["dump", "datadir", "server", "backup-chain", "basebackup", "clone"]),
      /** What the source was, by file or directory basename: never a builder's absolute path. */
      description: string2(),
      /** Source files by basename and sha256 (dump files), so a rebuild can be matched to its inputs. */
      files: array(object({ name: string2(), digest }).strict()).optional(),
      capturedAt: iso_exports.datetime(),
      backupChain: record(string2(), unknown()).optional(),
      /** Every role's password (the bootstrap superuser's included) was removed at build. Absent in older manifests. */
      rolePasswordsStripped: boolean2().optional()
    }).strict(),
    masking: object({
      policyDigest: digest,
      variant: string2().optional(),
      rules: array(record(string2(), unknown())),
      rowsChanged: number2().int().nonnegative(),
      scan: object({ piiCandidates: array(record(string2(), unknown())) }).optional(),
      /** Unmasked columns the policy declares not personal, with the reason. */
      notPersonal: array(object({ column: string2(), reason: string2() })).optional(),
      leakScan: leakScanRecord.optional()
    }).optional(),
    /** Published without masking although the PII scan found personal data: who said so and why. */
    unmasked: object({ reason: string2().min(1), piiCandidates: array(record(string2(), unknown())) }).strict().optional(),
    git: object({ repository: string2().optional(), commit: string2().optional(), ref: string2().optional(), tag: string2().optional() }).strict().optional(),
    build: object({
      runUrl: string2().optional(),
      actor: string2().optional(),
      startedAt: iso_exports.datetime(),
      finishedAt: iso_exports.datetime(),
      toolVersion: string2()
    }).strict(),
    access: object({ users: array(string2()).default([]), teams: array(string2()).default([]) }).strict().optional(),
    labels: record(string2(), string2()).default({})
  }).strict();
}
function validateManifest(value, source) {
  const result = manifestSchema().safeParse(value, { jitless: true });
  if (result.success) return result.data;
  const issue2 = result.error.issues[0];
  const field = issue2.path.length ? issue2.path.map(String).join(".") : "(root)";
  throw new ValidationError(`${source}: invalid manifest field '${field}': ${issue2.message}`, source, field);
}
function parseManifest(text, source) {
  return validateManifest(parseManifestJson(text, source), source);
}
function parseManifestJson(text, source) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`${source}: not valid JSON (${e.message})`, source);
  }
}
var IMAGE_NAME_PATTERN, VERSION_PATTERN, MANIFEST_SCHEMA_REVISION, built, manifestSchema;
var init_manifest = __esm({
  "packages/core/src/image/manifest.ts"() {
    "use strict";
    init_import_meta_url();
    init_zod();
    init_errors();
    IMAGE_NAME_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
    VERSION_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
    MANIFEST_SCHEMA_REVISION = 1;
    manifestSchema = () => {
      built ??= buildManifestSchema();
      return built;
    };
  }
});

// packages/core/src/image/reference.ts
function bad(input, what) {
  throw new BadReferenceError(`bad image reference '${input}': ${what} (${EXAMPLES})`);
}
function parseImageRef(input) {
  const s = input.trim();
  if (!s) bad(input, "it is empty");
  let rest = s;
  let digest;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_PATTERN.test(digest)) bad(input, `digest '${digest}' must be sha256: followed by 64 lowercase hex digits`);
  }
  let version2;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    version2 = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!VERSION_PATTERN.test(version2)) {
      bad(input, `version '${version2}' must be 1-128 of A-Z a-z 0-9 _ . - and not start with . or -`);
    }
  }
  let variant;
  const plus = rest.indexOf("+");
  if (plus >= 0) {
    variant = rest.slice(plus + 1);
    rest = rest.slice(0, plus);
    if (!VARIANT_PATTERN.test(variant)) bad(input, `variant '${variant}' must be lowercase letters and digits separated by . _ -`);
  }
  if (!rest) bad(input, "the image name is missing");
  if (!IMAGE_NAME_PATTERN.test(rest)) {
    const hint = rest.includes(":") ? "; a registry host belongs in the repository location, not the reference" : "";
    bad(input, `image name '${rest}' must be lowercase letters, digits, '.', '_', '-' in '/'-separated segments${hint}`);
  }
  const ref = { name: rest };
  if (variant !== void 0) ref.variant = variant;
  if (version2 !== void 0) ref.version = version2;
  if (digest !== void 0) ref.digest = digest;
  return ref;
}
function formatImageRef(ref) {
  return `${ref.name}${ref.variant ? `+${ref.variant}` : ""}${ref.version ? `:${ref.version}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}
var DIGEST_PATTERN, VARIANT_PATTERN, EXAMPLES;
var init_reference = __esm({
  "packages/core/src/image/reference.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_manifest();
    DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
    VARIANT_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
    EXAMPLES = "examples: orders-db, orders-db:1.4.0, orders-db:latest, orders-db@sha256:<64 hex>";
  }
});

// packages/core/src/image/unmasked.ts
var init_unmasked = __esm({
  "packages/core/src/image/unmasked.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
  }
});

// packages/core/src/image/labels.ts
function parseLabel(pair, field, example = "branch=main") {
  const eq = pair.indexOf("=");
  const key = eq > 0 ? pair.slice(0, eq).trim() : "";
  if (!LABEL_KEY_PATTERN.test(key)) {
    throw new UsageError(`${field}: '${pair}' is not a label; write key=value with a key of letters, digits and _ . / - (e.g. ${example})`);
  }
  return [key, pair.slice(eq + 1).trim()];
}
var LABEL_KEY_PATTERN;
var init_labels = __esm({
  "packages/core/src/image/labels.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    LABEL_KEY_PATTERN = /^[A-Za-z0-9_./-]+$/;
  }
});

// packages/core/src/image/index.ts
var init_image = __esm({
  "packages/core/src/image/index.ts"() {
    "use strict";
    init_import_meta_url();
    init_manifest();
    init_reference();
    init_digest();
    init_unmasked();
    init_labels();
  }
});

// packages/core/src/util/time.ts
var secondsSince;
var init_time = __esm({
  "packages/core/src/util/time.ts"() {
    "use strict";
    init_import_meta_url();
    secondsSince = (start2) => Math.round(performance.now() - start2) / 1e3;
  }
});

// packages/core/src/util/step-timer.ts
var StepTimer;
var init_step_timer = __esm({
  "packages/core/src/util/step-timer.ts"() {
    "use strict";
    init_import_meta_url();
    StepTimer = class {
      /** `start`: a performance.now() value; 0 is the process's own start (node's start-up counts too). */
      constructor(start2 = performance.now()) {
        this.start = start2;
        this.last = start2;
      }
      start;
      steps = [];
      last;
      /** Ends the step running since the last mark, under `name`. */
      mark(name) {
        const now = performance.now();
        this.steps.push([name, now - this.last]);
        this.last = now;
      }
      /** Times `fn` as the step `name` (anything since the last mark counts as `other` first). */
      async step(name, fn) {
        if (performance.now() - this.last >= 1) this.mark("other");
        else this.last = performance.now();
        const value = await fn();
        this.mark(name);
        return value;
      }
      /** "from process start: open 271 ms, resolve 4 ms, …; total 812 ms" (or "from 71 ms: …" when started later). */
      summary() {
        const ms = (x) => `${Math.round(x)} ms`;
        const parts = this.steps.map(([name, t]) => `${name} ${ms(t)}`).join(", ");
        return `from ${this.start === 0 ? "process start" : ms(this.start)}: ${parts}; total ${ms(this.last - this.start)}`;
      }
    };
  }
});

// packages/core/src/clones/clone-id.ts
function newCloneId() {
  const bytes = (0, import_node_crypto8.randomBytes)(10);
  let id = "c-";
  for (const b of bytes) id += BASE32[b & 31];
  return id;
}
function cloneIdForIdentifier(id) {
  return id.replace(/-/g, "_");
}
var import_node_crypto8, BASE32, CLONE_ID_PATTERN;
var init_clone_id = __esm({
  "packages/core/src/clones/clone-id.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_crypto8 = require("node:crypto");
    BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
    CLONE_ID_PATTERN = /^c-[a-z2-7]{10}$/;
  }
});

// packages/core/src/clones/clone-paths.ts
function childFileOf(dir, disk) {
  return import_node_path50.default.join(dir, `child.${CLONE_DISK_FORMATS[disk ?? "qcow2"]}`);
}
function clonePaths(home, id, disk) {
  const dir = import_node_path50.default.join(home, "clones", id);
  return { dir, childFile: childFileOf(dir, disk), mountPath: import_node_path50.default.join(dir, "mnt"), user: `clone_${cloneIdForIdentifier(id)}` };
}
var import_node_path50;
var init_clone_paths = __esm({
  "packages/core/src/clones/clone-paths.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_path50 = __toESM(require("node:path"), 1);
    init_disk_names();
    init_clone_id();
  }
});

// packages/core/src/clones/ports.ts
function isPortFree(port, host = "127.0.0.1") {
  return new Promise((resolve) => {
    const server = import_node_net2.default.createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
async function pickFreePort(records, opts = {}) {
  const [min, max] = opts.range ?? DEFAULT_PORT_RANGE;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
    throw new UsageError(`port range [${min}, ${max}] is not valid: give two integers 1-65535 with min <= max`);
  }
  const held = new Set(records.map((r) => r.port));
  const size = max - min + 1;
  const start2 = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    const port = min + (start2 + i) % size;
    if (held.has(port)) continue;
    if (await isPortFree(port, opts.host ?? "127.0.0.1")) return port;
  }
  throw new CloneError(
    `no free port in ${min}-${max} on ${opts.host ?? "127.0.0.1"}: ${held.size} are held by clones. Tear down clones you no longer need (dbclone teardown / dbclone gc) or widen the port range.`
  );
}
function allocatePort(registry2, opts = {}) {
  return registry2.update((records) => pickFreePort(records, opts));
}
var import_node_net2, DEFAULT_PORT_RANGE;
var init_ports = __esm({
  "packages/core/src/clones/ports.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_net2 = __toESM(require("node:net"), 1);
    init_errors();
    DEFAULT_PORT_RANGE = [15432, 16431];
  }
});

// packages/core/src/util/process-identity.ts
function startTicks(pid) {
  try {
    const stat27 = (0, import_node_fs27.readFileSync)(`/proc/${pid}/stat`, "utf8");
    const fields = stat27.slice(stat27.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return void 0;
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : void 0;
  } catch {
    return void 0;
  }
}
function currentProcess() {
  return { pid: process.pid, start: startTicks(process.pid) };
}
function ownerAlive(owner) {
  if (!owner) return false;
  if (owner.pid === process.pid) return owner.start === void 0 || owner.start === startTicks(process.pid);
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if (e.code !== "EPERM") return false;
  }
  if (process.platform !== "linux") return true;
  const now = startTicks(owner.pid);
  if (now === void 0) return false;
  return owner.start === void 0 || owner.start === now;
}
function isPostgresOf(pid, dir) {
  if (process.platform !== "linux") return true;
  let argv;
  try {
    argv = (0, import_node_fs27.readFileSync)(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return false;
  }
  if (!/(^|\/)postgres$/.test(argv[0] ?? "")) return false;
  const d = argv.indexOf("-D");
  const dataDir = d >= 0 ? argv[d + 1] : void 0;
  if (!dataDir) return false;
  const rel = import_node_path51.default.relative(import_node_path51.default.resolve(dir), import_node_path51.default.resolve(dataDir));
  return rel === "" || !rel.startsWith("..") && !import_node_path51.default.isAbsolute(rel);
}
var import_node_fs27, import_node_path51;
var init_process_identity = __esm({
  "packages/core/src/util/process-identity.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs27 = require("node:fs");
    import_node_path51 = __toESM(require("node:path"), 1);
  }
});

// packages/core/src/clones/registry.ts
function stripUndefined(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== void 0));
}
function diskDigestsInUse(home) {
  return async () => new Set((await new CloneRegistry(home).list()).map((r) => r.image.diskDigest));
}
function matchesLabels(record2, labels) {
  const wanted = Object.entries(labels);
  return wanted.length > 0 && wanted.every(([k, v]) => record2.labels?.[k] === v);
}
async function replaceFile(file, text, mode) {
  const tmp = tempPath(import_node_path52.default.dirname(file));
  try {
    await import_node_fs28.promises.writeFile(tmp, text, { mode, flag: "wx" });
    await import_node_fs28.promises.rename(tmp, file);
  } catch (e) {
    await unlinkQuietly(tmp);
    throw e;
  }
}
var import_node_async_hooks, import_node_fs28, import_node_path52, import_proper_lockfile2, LOCK_OPTIONS, heldLocks, lockedSections, CloneRegistry;
var init_registry2 = __esm({
  "packages/core/src/clones/registry.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_async_hooks = require("node:async_hooks");
    import_node_fs28 = require("node:fs");
    import_node_path52 = __toESM(require("node:path"), 1);
    init_paths();
    init_durable_write();
    import_proper_lockfile2 = __toESM(require_proper_lockfile(), 1);
    init_errors();
    init_clone_id();
    init_clone_paths();
    init_ports();
    init_process_identity();
    LOCK_OPTIONS = {
      stale: 15e3,
      retries: { retries: 200, factor: 1.3, minTimeout: 10, maxTimeout: 250, randomize: true },
      realpath: false
    };
    heldLocks = new import_node_async_hooks.AsyncLocalStorage();
    lockedSections = 0;
    CloneRegistry = class {
      constructor(home) {
        this.home = home;
        this.dir = import_node_path52.default.join(home, "clones");
        this.file = import_node_path52.default.join(this.dir, "registry.json");
        this.lockPath = `${this.file}.lock`;
      }
      home;
      dir;
      file;
      lockPath;
      dirMade;
      /** All records (a consistent snapshot; atomic renames mean no lock is needed to read). */
      async list() {
        return this.read();
      }
      /** A record by id, or by name when no id matches; undefined when absent. */
      async get(idOrName) {
        const records = await this.read();
        return records.find((r) => r.id === idOrName) ?? records.find((r) => r.name === idOrName);
      }
      async findByName(name) {
        return (await this.read()).find((r) => r.name === name);
      }
      /** Records whose labels include every given key=value (an empty filter matches none). */
      async findByLabels(labels) {
        return (await this.read()).filter((r) => matchesLabels(r, labels));
      }
      /**
       * A locked transaction: `fn` gets the current records and may change the array or its records
       * in place; the result is written (only if something changed) before the lock is released.
       */
      async update(fn, opts = {}) {
        return this.withLock(async () => {
          const records = await this.read();
          const before = JSON.stringify(records);
          const result = await fn(records);
          if (JSON.stringify(records) !== before) {
            this.assertLockHeld();
            await this.write(records, opts);
          }
          return result;
        });
      }
      assertLockHeld() {
        const held = heldLocks.getStore()?.get(this.file);
        if (held?.compromised) {
          throw new CloneError(`lost the clone registry lock (${held.compromised.message}); nothing more was written, retry`);
        }
      }
      /**
       * Hold the registry lock while `fn` runs (re-entrant within `fn`'s async context). A lock that
       * is compromised (taken over as stale while we held it) fails the call instead of writing on.
       */
      async withLock(fn) {
        if (heldLocks.getStore()?.has(this.file)) return fn();
        await this.ensureDir();
        const state = {};
        let release;
        try {
          release = await import_proper_lockfile2.default.lock(this.file, {
            ...LOCK_OPTIONS,
            lockfilePath: this.lockPath,
            onCompromised: (err) => {
              state.compromised = err;
            }
          });
        } catch (e) {
          throw new CloneError(
            `could not lock the clone registry ${this.file}: ${e.message}. If no dbclone process is running, remove ${this.lockPath} and retry.`,
            { cause: e }
          );
        }
        const held = new Map(heldLocks.getStore() ?? []);
        held.set(this.file, state);
        lockedSections++;
        try {
          const result = await heldLocks.run(held, fn);
          if (state.compromised) throw new CloneError(`lost the clone registry lock (${state.compromised.message}); retry`);
          return result;
        } finally {
          if (--lockedSections === 0) heldLocks.disable();
          await release().catch(() => {
          });
        }
      }
      async add(record2) {
        return this.update((records) => {
          if (records.some((r) => r.id === record2.id)) throw new CloneError(`clone ${record2.id} is already registered`);
          records.push(record2);
          return record2;
        });
      }
      /** Merge `partial` into the record; CloneNotFoundError when it is gone. */
      async patch(id, partial2, opts = {}) {
        return this.update((records) => {
          const i = records.findIndex((r) => r.id === id);
          if (i < 0) throw new CloneNotFoundError(`clone ${id} is not in the registry ${this.file}; list clones with: dbclone clones`);
          const next = { ...records[i], ...partial2, id };
          records[i] = next;
          return next;
        }, opts);
      }
      /** Remove a record; a record already gone is fine (teardown is idempotent). */
      async remove(id) {
        await this.update((records) => {
          const i = records.findIndex((r) => r.id === id);
          if (i >= 0) records.splice(i, 1);
        });
      }
      /**
       * Allocate an id and a port and write a 'creating' record, all in one locked transaction.
       * `draft` may be a function of the new id (e.g. to put the clone's dir under <home>/clones/<id>).
       * durable: false writes it atomically without fsync: the caller awaits sync() before it relies on it.
       */
      async reserve(draft, opts = {}) {
        return this.update(async (records) => {
          let id = newCloneId();
          while (records.some((r) => r.id === id)) id = newCloneId();
          const d = typeof draft === "function" ? draft(id) : draft;
          if (d.name !== void 0 && opts.uniqueName !== false) {
            const taken = records.find((r) => r.name === d.name);
            if (taken) {
              throw new CloneError(
                `a clone named '${d.name}' already exists (${taken.id}, ${taken.state}); reuse it, or tear it down first: dbclone teardown --name ${d.name}`
              );
            }
          }
          const host = opts.host ?? d.host;
          const preferred = opts.preferredPort;
          const keepPort = preferred !== void 0 && !records.some((r) => r.port === preferred) && await isPortFree(preferred, host);
          const port = keepPort ? preferred : await pickFreePort(records, { range: opts.range, host });
          const record2 = {
            ...clonePaths(this.home, id, d.disk),
            ...stripUndefined(d),
            id,
            port,
            state: "creating",
            createdAt: d.createdAt ?? (/* @__PURE__ */ new Date()).toISOString(),
            // gc sweeps a 'creating' record at once when this process is gone (a crash mid-creation).
            owner: d.owner ?? currentProcess()
          };
          records.push(record2);
          return record2;
        }, opts);
      }
      /** fsync the registry as it is now (after writes made with durable: false). */
      sync() {
        return syncFileAndDir(this.file);
      }
      async ensureDir() {
        this.dirMade ??= makeDir(this.dir, TRAVERSABLE_DIR).catch((e) => {
          this.dirMade = void 0;
          throw e;
        });
        await this.dirMade;
      }
      async read() {
        let text;
        try {
          text = await import_node_fs28.promises.readFile(this.file, "utf8");
        } catch (e) {
          if (e.code === "ENOENT") return [];
          throw e;
        }
        let parsed;
        try {
          parsed = JSON.parse(text);
        } catch (e) {
          throw new CloneError(`the clone registry ${this.file} is not valid JSON (${e.message}); fix or move it aside`);
        }
        const clones = parsed?.clones;
        if (!Array.isArray(clones)) {
          throw new CloneError(`the clone registry ${this.file} has no 'clones' list; fix or move it aside`);
        }
        return clones;
      }
      async write(records, opts) {
        const text = `${JSON.stringify({ version: 1, clones: records }, null, 2)}
`;
        if (opts.durable === false) await replaceFile(this.file, text, 384);
        else await writeFileAtomic(this.file, text, 384);
      }
    };
  }
});

// packages/core/src/audit/chain.ts
function hashEvent(event) {
  const { mac: _mac2, ...body } = event;
  return sha256Of(body.prevHash + canonicalJson(body));
}
function checkLine(line, prev) {
  if (line.trim() === "") return { reason: "is empty" };
  let value;
  try {
    value = JSON.parse(line);
  } catch {
    return { reason: "is not valid JSON: the line was truncated or edited" };
  }
  const event = value;
  if (typeof value !== "object" || value === null || typeof event.seq !== "number" || typeof event.hash !== "string" || typeof event.prevHash !== "string") {
    return { reason: "lacks seq, prevHash or hash: it is not an audit event" };
  }
  const { hash, mac: _mac2, ...rest } = event;
  if (hashEvent(rest) !== hash) return { reason: "does not match its own hash: the line was edited" };
  if (event.seq !== prev.seq + 1) {
    return { reason: `has seq ${event.seq} where ${prev.seq + 1} was expected: a line was removed, inserted or moved` };
  }
  if (event.prevHash !== prev.hash) return { reason: "does not chain to the line before it: a line was removed, inserted or moved" };
  return { event };
}
var GENESIS_HASH;
var init_chain = __esm({
  "packages/core/src/audit/chain.ts"() {
    "use strict";
    init_import_meta_url();
    init_digest();
    GENESIS_HASH = `sha256:${"0".repeat(64)}`;
  }
});

// packages/core/src/audit/keyed.ts
function auditKeyFromEnv(env = process.env) {
  const raw = env[AUDIT_KEY_ENV];
  if (!raw) return void 0;
  if (raw.length < 32) throw new AuditError(`${AUDIT_KEY_ENV} must be at least 32 characters (e.g. openssl rand -hex 32); it is shorter`);
  return Buffer.from(raw, "utf8");
}
function macOf(key, hash) {
  return `hmac-sha256:${(0, import_node_crypto9.createHmac)("sha256", key).update(hash).digest("hex")}`;
}
function macMatches(key, hash, mac2) {
  const want = Buffer.from(macOf(key, hash));
  const got = Buffer.from(mac2);
  return want.length === got.length && (0, import_node_crypto9.timingSafeEqual)(want, got);
}
var import_node_crypto9, AUDIT_KEY_ENV;
var init_keyed = __esm({
  "packages/core/src/audit/keyed.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_crypto9 = require("node:crypto");
    init_errors();
    AUDIT_KEY_ENV = "DBCLONE_AUDIT_KEY";
  }
});

// packages/core/src/audit/tail.ts
async function readLastLine(file, limit) {
  let fh;
  try {
    fh = await (0, import_promises46.open)(file, "r");
  } catch (e) {
    if (e.code === "ENOENT") return void 0;
    throw e;
  }
  try {
    const size = Math.min(limit ?? Infinity, (await fh.stat()).size);
    if (size === 0) return void 0;
    let chunk = 4096;
    for (; ; ) {
      const start2 = Math.max(0, size - chunk);
      const buf = Buffer.alloc(size - start2);
      await fh.read(buf, 0, buf.length, start2);
      const complete = buf[buf.length - 1] === 10;
      const body = complete ? buf.subarray(0, buf.length - 1) : buf;
      const nl = body.lastIndexOf(10);
      if (nl >= 0 || start2 === 0) return { text: body.subarray(nl + 1).toString("utf8"), complete, start: start2 + nl + 1 };
      chunk *= 4;
    }
  } finally {
    await fh.close();
  }
}
async function setAsideTornTail(file, last) {
  const fh = await (0, import_promises46.open)(file, "r+");
  try {
    const size = (await fh.stat()).size;
    const torn = Buffer.alloc(size - last.start);
    await fh.read(torn, 0, torn.length, last.start);
    const tornFile = `${file}.torn`;
    await (0, import_promises46.appendFile)(tornFile, Buffer.concat([torn, Buffer.from("\n")]), { mode: 384 });
    await fh.truncate(last.start);
    await fh.sync();
    return { bytes: torn.length, tornFile: import_node_path53.default.basename(tornFile) };
  } finally {
    await fh.close();
  }
}
var import_promises46, import_node_path53;
var init_tail = __esm({
  "packages/core/src/audit/tail.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises46 = require("node:fs/promises");
    import_node_path53 = __toESM(require("node:path"), 1);
  }
});

// packages/core/src/audit/verify-chain.ts
async function walkChain(lines, opts = {}) {
  const walk2 = {
    ok: true,
    events: 0,
    last: opts.from ?? { seq: 0, hash: GENESIS_HASH },
    lastPrevHash: GENESIS_HASH,
    repairs: [],
    keyed: 0,
    unkeyed: 0
  };
  let lineNo = 0;
  const fail = (reason) => {
    walk2.ok = false;
    walk2.problem = { line: lineNo, reason: `line ${lineNo} ${reason}` };
    return walk2;
  };
  for await (const line of lines) {
    lineNo++;
    const check = checkLine(line, walk2.last);
    if ("reason" in check) return fail(check.reason);
    const event = check.event;
    if (opts.key) {
      if (event.mac !== void 0 && !macMatches(opts.key, event.hash, event.mac)) {
        return fail("has a wrong HMAC: it was rewritten without the audit key");
      }
      if (event.mac === void 0 && walk2.keyed > 0) {
        return fail("lacks the HMAC the lines before it carry: it was rewritten without the audit key");
      }
      if (event.mac === void 0) walk2.unkeyed++;
      else walk2.keyed++;
    }
    if (event.action === "repair") walk2.repairs.push({ seq: event.seq, time: event.time, detail: event.detail ?? "" });
    walk2.lastPrevHash = event.prevHash;
    walk2.last = { seq: event.seq, hash: event.hash };
    walk2.events = lineNo;
  }
  return walk2;
}
function compareHead(head2, last, lastPrevHash, events) {
  if (!head2) {
    return events === 0 ? void 0 : { line: events, reason: `events.head is missing while the log holds ${events} events: it was deleted` };
  }
  if (head2.seq > events) {
    return {
      line: events + 1,
      reason: `line ${events + 1} is missing: events.head records ${head2.seq} events but the log ends after ${events}; the last line(s) were removed`
    };
  }
  if (head2.seq < events) {
    const interrupted = head2.seq === events - 1 && head2.hash === lastPrevHash;
    return {
      line: head2.seq + 1,
      reason: `line ${head2.seq + 1} is beyond the ${head2.seq} events recorded in events.head: ${interrupted ? "an interrupted append, or a line added at the end" : "lines were added at the end"}`
    };
  }
  if (head2.hash !== last.hash) return { line: events, reason: `line ${events} is not the last event recorded in events.head: the end of the log was replaced` };
  return void 0;
}
var init_verify_chain = __esm({
  "packages/core/src/audit/verify-chain.ts"() {
    "use strict";
    init_import_meta_url();
    init_chain();
    init_keyed();
  }
});

// packages/core/src/audit/filter.ts
function matches(e, f) {
  if (f.action && e.action !== f.action) return false;
  if (f.outcome && e.outcome !== f.outcome) return false;
  if (f.actor && e.actor !== f.actor) return false;
  if (f.since && e.time < f.since) return false;
  if (f.image && e.image !== f.image && !(e.image ?? "").startsWith(`${f.image}:`)) return false;
  return true;
}
var init_filter = __esm({
  "packages/core/src/audit/filter.ts"() {
    "use strict";
    init_import_meta_url();
  }
});

// packages/core/src/audit/log.ts
function defaultActor(env = process.env) {
  if (env.GITHUB_ACTOR) return env.GITHUB_ACTOR;
  try {
    return import_node_os9.default.userInfo().username;
  } catch {
    return env.USER || "unknown";
  }
}
function dropUndefined(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== void 0));
}
async function exists(p) {
  try {
    await (0, import_promises47.stat)(p);
    return true;
  } catch (e) {
    if (e.code === "ENOENT") return false;
    throw e;
  }
}
async function endsWithNewline(file) {
  const last = await readLastLine(file);
  return last === void 0 || last.complete;
}
var import_node_fs29, import_promises47, import_node_os9, import_node_path54, import_node_readline2, AuditLog;
var init_log = __esm({
  "packages/core/src/audit/log.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs29 = require("node:fs");
    import_promises47 = require("node:fs/promises");
    import_node_os9 = __toESM(require("node:os"), 1);
    import_node_path54 = __toESM(require("node:path"), 1);
    import_node_readline2 = require("node:readline");
    init_errors();
    init_durable_write();
    init_chain();
    init_file_lock();
    init_keyed();
    init_tail();
    init_verify_chain();
    init_filter();
    init_chain();
    init_verify_chain();
    init_keyed();
    AuditLog = class {
      /** `prepare` runs before each append: a repository uses it to lay itself out on first write. */
      constructor(filePath, prepare, options = {}) {
        this.filePath = filePath;
        this.prepare = prepare;
        this.options = options;
        this.headPath = filePath.endsWith(".jsonl") ? `${filePath.slice(0, -".jsonl".length)}.head` : `${filePath}.head`;
      }
      filePath;
      prepare;
      options;
      headPath;
      /** Append one event (fsynced) and move the head, under a cross-process lock. */
      async append(input) {
        await this.prepare?.();
        await (0, import_promises47.mkdir)(import_node_path54.default.dirname(this.filePath), { recursive: true });
        const event = await withFileLock(this.filePath, async () => {
          let prev = await this.repairTornTail();
          prev ??= await this.currentTail();
          return this.writeEvent(input, prev);
        });
        await this.options.afterAppend?.(event);
        return event;
      }
      /** Walk the whole chain (setting aside a torn last line first); report the first problem. */
      async verify() {
        if (!await exists(import_node_path54.default.dirname(this.filePath))) return { ok: true, events: 0 };
        return withFileLock(this.filePath, async () => {
          await this.repairTornTail();
          return this.verifyUnlocked();
        });
      }
      /** The head as the log records it (seq 0 and the genesis hash for an empty log). */
      async head() {
        return await this.readHead() ?? { seq: 0, hash: GENESIS_HASH };
      }
      /** The raw lines of the log (for publishing segments of it). */
      async *rawLines() {
        yield* this.lines();
      }
      key() {
        return this.options.key === void 0 ? auditKeyFromEnv() : this.options.key ?? void 0;
      }
      async writeEvent(input, prev) {
        const body = {
          ...dropUndefined(input),
          seq: prev.seq + 1,
          time: (/* @__PURE__ */ new Date()).toISOString(),
          actor: input.actor || defaultActor(),
          prevHash: prev.hash
        };
        const hash = hashEvent(body);
        const key = this.key();
        const event = { ...body, hash, ...key ? { mac: macOf(key, hash) } : {} };
        const fh = await (0, import_promises47.open)(this.filePath, "a", 416);
        try {
          await fh.write(`${JSON.stringify(event)}
`);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await this.writeHead({ seq: event.seq, hash: event.hash });
        return event;
      }
      /**
       * A torn last line whose event the head does not cover (the append died before moving the
       * head) goes to `<log>.torn` and a `repair` event records it; returns the new tail, or
       * undefined when there was nothing to repair. Anything else stays for verify to report.
       */
      async repairTornTail() {
        const last = await readLastLine(this.filePath);
        if (!last || last.complete) return void 0;
        const head2 = await this.readHead();
        const before = await readLastLine(this.filePath, last.start);
        let tail = { seq: 0, hash: GENESIS_HASH };
        if (before) {
          try {
            const e = JSON.parse(before.text);
            tail = { seq: e.seq, hash: e.hash };
          } catch {
            return void 0;
          }
        }
        const covered = head2 ? head2.seq !== tail.seq || head2.hash !== tail.hash : tail.seq !== 0 && tail.seq !== 1;
        if (covered) return void 0;
        const repair = await setAsideTornTail(this.filePath, last);
        if (!head2 && tail.seq === 1) await this.writeHead(tail);
        const event = await this.writeEvent(
          {
            action: "repair",
            outcome: "success",
            detail: `a torn last line (${repair.bytes} bytes, an append that did not finish) was set aside in ${repair.tornFile}`
          },
          tail
        );
        return { seq: event.seq, hash: event.hash };
      }
      /** Events matching `filter`, oldest first. Throws AuditError on a line that does not parse. */
      async read(filter = {}) {
        const out = [];
        let lineNo = 0;
        for await (const line of this.lines()) {
          lineNo++;
          if (!line.trim()) continue;
          let event;
          try {
            event = JSON.parse(line);
          } catch {
            throw new AuditError(`${this.filePath} line ${lineNo} is not valid JSON; run \`dbclone audit verify\``);
          }
          if (matches(event, filter)) out.push(event);
        }
        return out;
      }
      async verifyUnlocked() {
        const key = this.key();
        const walk2 = await walkChain(this.lines(), { key });
        const extra = {
          ...walk2.repairs.length ? { repairs: walk2.repairs } : {},
          ...key ? { keyed: { keyed: walk2.keyed, unkeyed: walk2.unkeyed } } : {}
        };
        if (!walk2.ok) return { ok: false, events: walk2.events, problem: walk2.problem, ...extra };
        const events = walk2.events;
        if (events > 0 && !await endsWithNewline(this.filePath)) {
          return {
            ok: false,
            events: events - 1,
            problem: { line: events, reason: `line ${events} is incomplete (no newline at the end): the log was truncated` },
            ...extra
          };
        }
        const head2 = await this.readHead();
        const headProblem = compareHead(head2, walk2.last, walk2.lastPrevHash, events);
        return headProblem ? { ok: false, events, problem: headProblem, ...extra } : { ok: true, events, ...extra };
      }
      /** The last event as the log and the head agree on it; refuses to extend a damaged log. */
      async currentTail() {
        const head2 = await this.readHead();
        const last = await readLastLine(this.filePath);
        if (last === void 0) {
          if (head2 && head2.seq > 0) throw this.damaged(`it is empty but ${import_node_path54.default.basename(this.headPath)} records ${head2.seq} events`);
          return { seq: 0, hash: GENESIS_HASH };
        }
        if (!last.complete) throw this.damaged("its last line is incomplete");
        let event;
        try {
          event = JSON.parse(last.text);
        } catch {
          throw this.damaged("its last line is not valid JSON");
        }
        const { hash, mac: _mac2, ...rest } = event;
        if (hashEvent(rest) !== hash) throw this.damaged("its last line does not match its hash");
        const agrees = head2 ? head2.seq === event.seq && head2.hash === event.hash || // An append that died between the log write and the head write: the head catches up now.
        head2.seq === event.seq - 1 && head2.hash === event.prevHash : event.seq === 1 && event.prevHash === GENESIS_HASH;
        if (!agrees) throw this.damaged(`its last line (seq ${event.seq}) does not match ${import_node_path54.default.basename(this.headPath)}`);
        return { seq: event.seq, hash: event.hash };
      }
      damaged(what) {
        return new AuditError(`audit log ${this.filePath} is damaged: ${what}. Nothing was appended; run \`dbclone audit verify\` and restore the log from a copy`);
      }
      async readHead() {
        let text;
        try {
          text = await (0, import_promises47.readFile)(this.headPath, "utf8");
        } catch (e) {
          if (e.code === "ENOENT") return void 0;
          throw e;
        }
        try {
          const head2 = JSON.parse(text);
          if (typeof head2.seq === "number" && typeof head2.hash === "string") return head2;
        } catch {
        }
        throw new AuditError(`audit head ${this.headPath} is not valid; restore it from a copy`);
      }
      async writeHead(head2) {
        await writeFileAtomic(this.headPath, `${JSON.stringify(head2)}
`, 416);
      }
      async *lines() {
        try {
          await (0, import_promises47.stat)(this.filePath);
        } catch (e) {
          if (e.code === "ENOENT") return;
          throw e;
        }
        const rl = (0, import_node_readline2.createInterface)({ input: (0, import_node_fs29.createReadStream)(this.filePath, "utf8"), crlfDelay: Infinity });
        for await (const line of rl) yield line;
      }
    };
  }
});

// packages/core/src/audit/anchor.ts
function parseAnchor(raw, where) {
  const a = raw;
  const ok = !!a && typeof a.logId === "string" && LOG_ID.test(a.logId) && Number.isSafeInteger(a.seq) && a.seq >= 0 && typeof a.hash === "string" && /^sha256:[0-9a-f]{64}$/.test(a.hash) && typeof a.time === "string";
  if (!ok) throw new AuditError(`audit anchor ${where} is not valid (logId, seq, hash, time); it was not written by dbclone audit anchor`);
  return { logId: a.logId, log: typeof a.log === "string" ? a.log.slice(0, 500) : "", seq: a.seq, hash: a.hash, time: a.time };
}
var LOG_ID;
var init_anchor = __esm({
  "packages/core/src/audit/anchor.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    LOG_ID = /^[0-9a-f]{12,16}$/;
  }
});

// packages/core/src/audit/segments.ts
var init_segments = __esm({
  "packages/core/src/audit/segments.ts"() {
    "use strict";
    init_import_meta_url();
    init_verify_chain();
  }
});

// packages/core/src/audit/index.ts
var init_audit = __esm({
  "packages/core/src/audit/index.ts"() {
    "use strict";
    init_import_meta_url();
    init_log();
    init_anchor();
    init_segments();
  }
});

// packages/core/src/masking/variants.ts
function variantImageName(name, variant) {
  return `${name}/${VARIANT_SEGMENT}/${variant}`;
}
var VARIANT_SEGMENT;
var init_variants = __esm({
  "packages/core/src/masking/variants.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    VARIANT_SEGMENT = "variants";
  }
});

// packages/core/src/repository/durable-files.ts
async function copyAndHash(src, dest, onProgress) {
  const total = (await (0, import_promises48.stat)(src)).size;
  const hash = (0, import_node_crypto10.createHash)("sha256");
  const out = await (0, import_promises48.open)(dest, "wx", 420);
  try {
    let done = 0;
    for await (const chunk of (0, import_node_fs30.createReadStream)(src, { highWaterMark: 1 << 20 })) {
      const buf = chunk;
      hash.update(buf);
      await out.write(buf);
      done += buf.length;
      onProgress?.(done, total);
    }
    await out.sync();
  } finally {
    await out.close();
  }
  return `sha256:${hash.digest("hex")}`;
}
async function removeStaleTemps(dir, staleMs) {
  let names;
  try {
    names = await (0, import_promises48.readdir)(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names.filter((n) => n.startsWith(TEMP_PREFIX))) {
    const file = import_node_path55.default.join(dir, name);
    const st = await (0, import_promises48.stat)(file).catch(() => void 0);
    if (!st) continue;
    const m = /^\.tmp-(.+)-(\d+)-[0-9a-f]+$/.exec(name);
    const deadHere = m !== null && m[1] === TEMP_HOST && !pidAlive(Number(m[2]));
    if (deadHere || Date.now() - st.mtimeMs > staleMs) {
      await unlinkQuietly(file);
      removed++;
    }
  }
  return removed;
}
function pidAlive(pid) {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}
var import_node_crypto10, import_node_fs30, import_promises48, import_node_path55;
var init_durable_files = __esm({
  "packages/core/src/repository/durable-files.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_crypto10 = require("node:crypto");
    import_node_fs30 = require("node:fs");
    import_promises48 = require("node:fs/promises");
    import_node_path55 = __toESM(require("node:path"), 1);
    init_durable_write();
  }
});

// packages/core/src/util/blob-group.ts
function blobGroupId(env = process.env) {
  const wanted = env.DBCLONE_BLOB_GROUP?.trim();
  if (!wanted) return void 0;
  if (/^\d+$/.test(wanted)) return Number(wanted);
  let groups = "";
  try {
    groups = (0, import_node_fs31.readFileSync)("/etc/group", "utf8");
  } catch {
  }
  for (const line of groups.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name === wanted && gid && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new UsageError(
    `DBCLONE_BLOB_GROUP names the group '${wanted}', which does not exist on this machine; create it or set a group name or gid that exists`
  );
}
var import_node_fs31;
var init_blob_group = __esm({
  "packages/core/src/util/blob-group.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs31 = require("node:fs");
    init_errors();
  }
});

// packages/core/src/repository/fs-publish.ts
function versionExists(name, version2) {
  return new VersionExistsError(`image ${name} version ${version2} already exists; versions are immutable: choose a new version`);
}
async function checkDiskFile(manifest, diskFile) {
  const st = await (0, import_promises49.stat)(diskFile).catch(() => void 0);
  if (!st?.isFile()) throw new UsageError(`disk file ${diskFile} does not exist or is not a regular file; pass the sealed disk blob`);
  if (st.size !== manifest.disk.sizeBytes) {
    throw new ValidationError(
      `manifest field 'disk.sizeBytes' is ${manifest.disk.sizeBytes} but ${diskFile} holds ${st.size} bytes; rebuild the manifest from this file`,
      diskFile,
      "disk.sizeBytes"
    );
  }
}
async function publishBlobAndManifest(ctx, manifest, diskFile, opts) {
  const { layout } = ctx;
  const { name, version: version2 } = manifest;
  const digest = manifest.disk.digest;
  const blob = layout.blob(digest);
  await removeStaleTemps(layout.blobsDir, ctx.staleTempMs);
  const dir = layout.manifestDir(name);
  await (0, import_promises49.mkdir)(dir, { recursive: true });
  await removeStaleTemps(dir, ctx.staleTempMs);
  const tmp = tempPath(dir);
  await writeDurable(tmp, canonicalJson(manifest), 292);
  try {
    for (let attempt = 1; ; attempt++) {
      const addedBlob = await placeBlob(ctx, digest, diskFile, opts);
      await pausePoint("publish:before-link");
      const linked = await ctx.locked(async () => {
        if (!await (0, import_promises49.stat)(blob).catch(() => void 0)) return false;
        try {
          await linkWithoutOverwrite(tmp, layout.manifest(name, version2), name, version2);
        } catch (e) {
          if (addedBlob && e instanceof VersionExistsError && !await ctx.blobReferenced(digest)) {
            await unlinkQuietly(blob);
            await ctx.cache.forget(blob);
          }
          throw e;
        }
        return true;
      });
      if (linked) break;
      if (attempt >= 3) throw new RepositoryError(`blob ${digest} kept vanishing while publishing ${name}:${version2} (concurrent deletes); publish again`);
    }
    await syncDir(dir);
  } finally {
    await unlinkQuietly(tmp);
  }
  return { name, version: version2, manifestDigest: manifestDigest(manifest), manifest };
}
async function placeBlob(ctx, digest, diskFile, opts) {
  const blob = ctx.layout.blob(digest);
  if (await ctx.blobIsGood(blob, digest, opts)) return false;
  const tmp = tempPath(ctx.layout.blobsDir);
  try {
    const got = await copyAndHash(diskFile, tmp, opts.onProgress);
    if (got !== digest) {
      throw new DigestMismatchError(`${diskFile} has digest ${got} but the manifest's disk.digest is ${digest}; rebuild the manifest from this file`);
    }
    await (0, import_promises49.chmod)(tmp, 288);
    const gid = blobGroupId();
    if (gid !== void 0) await (0, import_promises49.chown)(tmp, -1, gid);
    await pausePoint("publish:blob-copied");
    await (0, import_promises49.rename)(tmp, blob);
    await syncDir(ctx.layout.blobsDir);
  } finally {
    await unlinkQuietly(tmp);
  }
  await ctx.cache.remember(blob, digest);
  return true;
}
async function linkWithoutOverwrite(tmp, final, name, version2) {
  if (!await placeWithoutOverwrite(tmp, final, 292)) throw versionExists(name, version2);
}
async function placeWithoutOverwrite(tmp, final, mode) {
  try {
    await (0, import_promises49.link)(tmp, final);
    return true;
  } catch (e) {
    const code = e.code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw e;
  }
  try {
    await writeDurable(final, await (0, import_promises49.readFile)(tmp, "utf8"), mode);
    return true;
  } catch (e) {
    if (e.code === "EEXIST") return false;
    throw e;
  }
}
var import_promises49;
var init_fs_publish = __esm({
  "packages/core/src/repository/fs-publish.ts"() {
    "use strict";
    init_import_meta_url();
    init_pause_point();
    import_promises49 = require("node:fs/promises");
    init_blob_group();
    init_errors();
    init_digest();
    init_durable_files();
    init_durable_write();
  }
});

// packages/core/src/repository/fs-scan.ts
function isNotFound(e) {
  const code = e.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
async function readPublished(layout, name, version2, validated) {
  const file = layout.manifest(name, version2);
  let text;
  try {
    text = await (0, import_promises50.readFile)(file, "utf8");
  } catch (e) {
    if (isNotFound(e)) return void 0;
    throw e;
  }
  const { manifest, digest } = validated ? await validated.read(text, file) : { manifest: parseManifest(text, file), digest: void 0 };
  if (manifest.name !== name || manifest.version !== version2) {
    throw new RepositoryError(
      `${file} holds ${manifest.name}:${manifest.version}, not ${name}:${version2}: the repository was edited by hand; move the file back`
    );
  }
  return { name, version: version2, manifestDigest: digest ?? manifestDigest(manifest), manifest };
}
async function versionsOf(layout, name) {
  let entries;
  try {
    entries = await (0, import_promises50.readdir)(layout.manifestDir(name), { withFileTypes: true });
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  return entries.filter((d) => d.isFile() && d.name.endsWith(".json") && !d.name.startsWith(TEMP_PREFIX)).map((d) => d.name.slice(0, -".json".length));
}
async function allNames(layout) {
  const names = [];
  async function walk2(dir, prefix) {
    let entries;
    try {
      entries = await (0, import_promises50.readdir)(dir, { withFileTypes: true });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (prefix.length && entries.some((d) => d.isFile() && d.name.endsWith(".json") && !d.name.startsWith(TEMP_PREFIX))) {
      names.push(prefix.join("/"));
    }
    for (const d of entries) if (d.isDirectory()) await walk2(import_node_path56.default.join(dir, d.name), [...prefix, d.name]);
  }
  await walk2(layout.manifestsDir, []);
  return names.sort();
}
async function allPublished(layout, name) {
  const out = [];
  for (const n of name ? [name] : await allNames(layout)) {
    for (const v of await versionsOf(layout, n)) {
      const image = await readPublished(layout, n, v);
      if (image) out.push(image);
    }
  }
  return out;
}
async function readTags(layout, name) {
  let entries;
  try {
    entries = await (0, import_promises50.readdir)(layout.tagDir(name), { withFileTypes: true });
  } catch (e) {
    if (isNotFound(e)) return {};
    throw e;
  }
  const tags = {};
  for (const d of entries) {
    if (!d.isFile() || d.name.startsWith(TEMP_PREFIX)) continue;
    const version2 = (await (0, import_promises50.readFile)(import_node_path56.default.join(layout.tagDir(name), d.name), "utf8").catch(() => "")).trim();
    if (version2) tags[d.name] = version2;
  }
  return tags;
}
var import_promises50, import_node_path56;
var init_fs_scan = __esm({
  "packages/core/src/repository/fs-scan.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises50 = require("node:fs/promises");
    import_node_path56 = __toESM(require("node:path"), 1);
    init_errors();
    init_digest();
    init_manifest();
    init_durable_write();
  }
});

// packages/core/src/repository/validated-manifests.ts
function validatedManifests(cacheDir) {
  return new ValidatedManifests(import_node_path57.default.join(cacheDir, "validated-manifests.json"));
}
var import_promises51, import_node_path57, MAX_DIGESTS, ValidatedManifests, isObject2;
var init_validated_manifests = __esm({
  "packages/core/src/repository/validated-manifests.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises51 = require("node:fs/promises");
    import_node_path57 = __toESM(require("node:path"), 1);
    init_digest();
    init_manifest();
    init_durable_write();
    init_paths();
    MAX_DIGESTS = 256;
    ValidatedManifests = class {
      constructor(file) {
        this.file = file;
      }
      file;
      /**
       * The manifest in `text` and its digest: used as parsed when its digest is recorded as validated,
       * else validated (an invalid one throws, naming `source` and the field) and then recorded when
       * validation left it as it was (no defaults filled in, so the parsed value is the validated one).
       */
      async read(text, source) {
        const value = parseManifestJson(text, source);
        const digest = isObject2(value) ? manifestDigest(value) : void 0;
        const known = await this.load();
        if (digest && known.includes(digest)) return { manifest: value, digest };
        const manifest = validateManifest(value, source);
        const validated = manifestDigest(manifest);
        if (validated === digest) await this.save([...known.filter((d) => d !== digest), digest].slice(-MAX_DIGESTS)).catch(() => void 0);
        return { manifest, digest: validated };
      }
      async load() {
        try {
          const parsed = JSON.parse(await (0, import_promises51.readFile)(this.file, "utf8"));
          if (parsed.revision !== MANIFEST_SCHEMA_REVISION || !Array.isArray(parsed.digests)) return [];
          return parsed.digests.filter((d) => typeof d === "string");
        } catch {
          return [];
        }
      }
      async save(digests) {
        await makeDir(import_node_path57.default.dirname(this.file), PRIVATE_DIR);
        await writeFileAtomic(this.file, JSON.stringify({ revision: MANIFEST_SCHEMA_REVISION, digests }), 384);
      }
    };
    isObject2 = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
  }
});

// packages/core/src/util/duration.ts
function parseDuration(input, what = "duration", makeError = (m) => new UsageError(m)) {
  const s = String(input).trim().toLowerCase();
  const fail = (why) => {
    throw makeError(`${what}: '${input}' is not a duration: ${why} (e.g. ${DURATION_EXAMPLES})`);
  };
  if (!s) fail("it is empty");
  const bare = new RegExp(`^${NUMBER}$`).exec(s);
  const m = bare ? void 0 : DURATION_PATTERN.exec(s);
  if (!bare && (!m || m.slice(1).every((g) => g === void 0)))
    fail("write a number of seconds, or numbers with units d, h, m, s, each once and in that order");
  const seconds = bare ? Number(bare[1]) : ["d", "h", "m", "s"].reduce((sum, unit, i) => sum + Number(m[i + 1] ?? 0) * UNIT_SECONDS[unit], 0);
  if (!(seconds > 0)) fail("it must be greater than zero");
  if (!Number.isSafeInteger(Math.ceil(seconds))) fail("it is too large");
  return seconds;
}
function formatDuration(seconds) {
  let rest = Math.max(0, Math.round(seconds));
  let out = "";
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) out += `${n}${unit}`;
  }
  return out || "0s";
}
function parseTtl(input, what = "--ttl", makeError) {
  return input.trim().toLowerCase() === "none" ? void 0 : parseWholeSeconds(input, what, makeError);
}
var UNIT_SECONDS, NUMBER, DURATION_PATTERN, DURATION_EXAMPLES, parseWholeSeconds, DEFAULT_TTL;
var init_duration = __esm({
  "packages/core/src/util/duration.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    UNIT_SECONDS = { d: 86400, h: 3600, m: 60, s: 1 };
    NUMBER = String.raw`(\d+(?:\.\d+)?)`;
    DURATION_PATTERN = new RegExp(`^(?:${NUMBER}d)?(?:${NUMBER}h)?(?:${NUMBER}m)?(?:${NUMBER}s)?$`);
    DURATION_EXAMPLES = "90s, 1.5, 30m, 2h, 1h30m, 1d";
    parseWholeSeconds = (input, what, makeError) => Math.ceil(parseDuration(input, what, makeError));
    DEFAULT_TTL = "2h";
  }
});

// packages/core/src/repository/layout.ts
function parseTtlSeconds(value, source) {
  const text = typeof value === "number" ? String(value) : value;
  return parseWholeSeconds(text, `${source}: maxTtl`, (m) => new RepositoryError(m));
}
async function readConfigFile(layout) {
  let text;
  try {
    text = await (0, import_promises52.readFile)(layout.configFile, "utf8");
  } catch (e) {
    if (e.code === "ENOENT") return void 0;
    throw e;
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new RepositoryError(`${layout.configFile} is not valid JSON (${e.message}); fix or restore it`);
  }
  if (typeof parsed.format !== "number") throw new RepositoryError(`${layout.configFile} lacks a numeric "format"; fix or restore it`);
  if (parsed.format > REPOSITORY_FORMAT) {
    throw new RepositoryError(
      `${layout.root} uses repository format ${parsed.format}, newer than this dbclone understands (${REPOSITORY_FORMAT}); upgrade dbclone`
    );
  }
  return { format: parsed.format, config: parsed.config ?? {} };
}
function configOf(file, source) {
  const c = file?.config ?? {};
  const raw = c.maxTtlSeconds ?? c.maxTtl;
  return raw === void 0 ? {} : { maxTtlSeconds: parseTtlSeconds(raw, source) };
}
async function assertUsableRoot(root) {
  const st = await (0, import_promises52.stat)(root).catch((e) => e.code === "ENOENT" ? void 0 : Promise.reject(e));
  if (!st) return;
  if (!st.isDirectory()) {
    throw new RepositoryError(`repository path ${root} is a file, not a directory; pass a directory (new, empty, or an existing dbclone repository)`);
  }
  const entries = await (0, import_promises52.readdir)(root);
  if (entries.includes(CONFIG_FILE2)) return;
  const foreign = entries.filter((e) => !e.startsWith(TEMP_PREFIX) && e !== `${CONFIG_FILE2}.lock`);
  if (foreign.length) {
    throw new RepositoryError(
      `${root} is not a dbclone repository (no ${CONFIG_FILE2}) and is not empty (${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", \u2026" : ""}); pass an empty or new directory, or an existing repository`
    );
  }
}
var import_promises52, import_node_path58, REPOSITORY_FORMAT, CONFIG_FILE2, FsLayout;
var init_layout2 = __esm({
  "packages/core/src/repository/layout.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises52 = require("node:fs/promises");
    import_node_path58 = __toESM(require("node:path"), 1);
    init_errors();
    init_duration();
    init_durable_write();
    REPOSITORY_FORMAT = 1;
    CONFIG_FILE2 = "dbclone-repository.json";
    FsLayout = class {
      constructor(root) {
        this.root = root;
      }
      root;
      get configFile() {
        return import_node_path58.default.join(this.root, CONFIG_FILE2);
      }
      get blobsDir() {
        return import_node_path58.default.join(this.root, "blobs", "sha256");
      }
      get manifestsDir() {
        return import_node_path58.default.join(this.root, "manifests");
      }
      get tagsDir() {
        return import_node_path58.default.join(this.root, "tags");
      }
      get auditFile() {
        return import_node_path58.default.join(this.root, "audit", "events.jsonl");
      }
      blob(digest) {
        return import_node_path58.default.join(this.blobsDir, digest.replace(/^sha256:/, ""));
      }
      /** Names are validated (lowercase segments, no `..`), so joining them is safe. */
      manifestDir(name) {
        return import_node_path58.default.join(this.manifestsDir, ...name.split("/"));
      }
      manifest(name, version2) {
        return import_node_path58.default.join(this.manifestDir(name), `${version2}.json`);
      }
      tagDir(name) {
        return import_node_path58.default.join(this.tagsDir, ...name.split("/"));
      }
      tag(name, tag) {
        return import_node_path58.default.join(this.tagDir(name), tag);
      }
    };
  }
});

// packages/core/src/repository/verified-blobs.ts
function verifiedBlobCache(cacheDir) {
  return new StampedDigestCache(import_node_path59.default.join(cacheDir, "verified-blobs.json"));
}
var import_node_path59;
var init_verified_blobs = __esm({
  "packages/core/src/repository/verified-blobs.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_path59 = __toESM(require("node:path"), 1);
    init_stamped_digests();
  }
});

// packages/core/src/repository/audit-after-work.ts
async function recordDoneWork(audit2, event, reporter) {
  try {
    await audit2.append(event);
  } catch (e) {
    const message = `WARNING: ${event.action} of ${event.image ?? "?"} succeeded but could not be recorded in the audit log ${audit2.filePath} (${e.message}); the ${event.action} stands. Check the log: dbclone audit --verify`;
    if (reporter) reporter.warn(message);
    else process.emitWarning(message, "DbcloneAuditWarning");
  }
}
var init_audit_after_work = __esm({
  "packages/core/src/repository/audit-after-work.ts"() {
    "use strict";
    init_import_meta_url();
  }
});

// packages/core/src/repository/fs.ts
var import_promises53, import_node_path60, FsRepository;
var init_fs = __esm({
  "packages/core/src/repository/fs.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises53 = require("node:fs/promises");
    import_node_path60 = __toESM(require("node:path"), 1);
    init_audit();
    init_file_lock();
    init_errors();
    init_digest();
    init_manifest();
    init_reference();
    init_variants();
    init_paths();
    init_durable_files();
    init_durable_write();
    init_fs_publish();
    init_fs_scan();
    init_validated_manifests();
    init_layout2();
    init_verified_blobs();
    init_audit_after_work();
    init_disk_full();
    FsRepository = class {
      location;
      audit;
      layout;
      cache;
      validated;
      staleTempMs;
      reporter;
      constructor(root, opts = {}) {
        this.location = import_node_path60.default.resolve(root);
        this.layout = new FsLayout(this.location);
        this.audit = new AuditLog(this.layout.auditFile, () => this.ensureLayout());
        const cacheDir = opts.cacheDir ?? import_node_path60.default.join(dbcloneHome(), "cache");
        this.cache = verifiedBlobCache(cacheDir);
        this.validated = validatedManifests(cacheDir);
        this.staleTempMs = (opts.staleTempMinutes ?? 60) * 6e4;
        this.reporter = opts.reporter;
      }
      async readConfig() {
        return configOf(await readConfigFile(this.layout), this.layout.configFile);
      }
      async push(input, diskFile, opts = {}) {
        const manifest = validateManifest(input, "manifest to publish");
        const label = `${manifest.name}:${manifest.version}`;
        await checkDiskFile(manifest, diskFile);
        await readConfigFile(this.layout);
        const context = { runUrl: manifest.build.runUrl, commit: manifest.git?.commit };
        if (await readPublished(this.layout, manifest.name, manifest.version)) {
          const e = versionExists(manifest.name, manifest.version);
          await this.record({ action: "publish", outcome: "failure", image: label, detail: e.message, ...context });
          throw e;
        }
        if ((await readTags(this.layout, manifest.name))[manifest.version]) {
          throw new UsageError(`image ${manifest.name} has a tag named '${manifest.version}'; a version must not shadow a tag: choose another version`);
        }
        await this.ensureLayout();
        try {
          const published = await publishBlobAndManifest(
            {
              layout: this.layout,
              cache: this.cache,
              staleTempMs: this.staleTempMs,
              locked: (fn) => this.locked(fn),
              blobIsGood: (blob, digest, o) => this.blobIsGood(blob, digest, o),
              blobReferenced: async (digest) => (await allPublished(this.layout)).some((i) => i.manifest.disk.digest === digest)
            },
            manifest,
            diskFile,
            opts
          );
          await recordDoneWork(this.audit, { action: "publish", outcome: "success", image: label, digest: published.manifestDigest, ...context }, this.reporter);
          return published;
        } catch (e) {
          if (e instanceof VersionExistsError || e instanceof DigestMismatchError) {
            await this.record({ action: "publish", outcome: "failure", image: label, detail: e.message, ...context });
          }
          throw await diskFullError(e, [this.layout.blobsDir], `publishing ${label} to ${this.location}`) ?? e;
        }
      }
      async resolve(ref) {
        if (ref.variant) {
          const { variant, ...rest } = ref;
          const found = await this.resolve({ ...rest, name: variantImageName(ref.name, variant) });
          if (found.manifest.masking?.variant !== variant) {
            throw new ImageNotFoundError(
              `image ${formatImageRef(ref)}: ${found.name}:${found.version} is not a masking variant '${variant}'; rebuild it with the policy's variant`
            );
          }
          return found;
        }
        if (ref.digest) {
          const found = (await allPublished(this.layout, ref.name)).find((i) => i.manifestDigest === ref.digest);
          if (!found || ref.version && found.version !== ref.version) {
            throw new ImageNotFoundError(`image ${formatImageRef(ref)} not found in ${this.location}; list the repository's images to see what exists`);
          }
          return found;
        }
        const wanted = ref.version ?? "latest";
        const direct = await readPublished(this.layout, ref.name, wanted, this.validated);
        if (direct) return direct;
        const tagged = (await readTags(this.layout, ref.name))[wanted];
        const viaTag = tagged ? await readPublished(this.layout, ref.name, tagged, this.validated) : void 0;
        if (viaTag) return viaTag;
        const why = tagged ? `tag '${wanted}' points at version ${tagged}, which no longer exists` : `no version or tag '${wanted}'`;
        throw new ImageNotFoundError(`image ${ref.name}:${wanted} not found in ${this.location}: ${why}; list the repository's images to see what exists`);
      }
      /** The blob's path in the repository, after checking its digest (cached by stat stamp). */
      async pull(image, opts = {}) {
        const digest = image.manifest.disk.digest;
        const blob = this.layout.blob(digest);
        if (!await (0, import_promises53.stat)(blob).catch(() => void 0)) {
          throw new RepositoryError(
            `blob ${digest} of ${image.name}:${image.version} is missing from ${this.location}; the repository is damaged: republish the image`
          );
        }
        if (!await this.blobIsGood(blob, digest, opts)) {
          throw new DigestMismatchError(
            `blob ${blob} of ${image.name}:${image.version} does not hash to ${digest}: the repository copy is corrupt; delete this version and publish it again`
          );
        }
        return blob;
      }
      async list(name) {
        const images = await allPublished(this.layout, name);
        const tagsByName = /* @__PURE__ */ new Map();
        for (const n of new Set(images.map((i) => i.name))) tagsByName.set(n, await readTags(this.layout, n));
        return images.map((i) => ({
          name: i.name,
          version: i.version,
          manifestDigest: i.manifestDigest,
          created: i.manifest.created,
          diskSizeBytes: i.manifest.disk.sizeBytes,
          tags: Object.entries(tagsByName.get(i.name) ?? {}).filter(([, v]) => v === i.version).map(([t]) => t).sort(),
          ...i.manifest.parent ? { parent: i.manifest.parent } : {}
        })).sort((a, b) => a.name.localeCompare(b.name) || a.created.localeCompare(b.created) || a.version.localeCompare(b.version));
      }
      async tags(name) {
        return readTags(this.layout, name);
      }
      async tag(image, tag) {
        if (!VERSION_PATTERN.test(tag)) throw new UsageError(`tag '${tag}' must be 1-128 of A-Z a-z 0-9 _ . - and not start with . or -`);
        await this.ensureLayout();
        await this.locked(async () => {
          await this.mustExist(image);
          if (await readPublished(this.layout, image.name, tag)) {
            throw new UsageError(`'${tag}' is a version of image ${image.name}; a tag must not shadow a version: choose another tag`);
          }
          const dir = this.layout.tagDir(image.name);
          await (0, import_promises53.mkdir)(dir, { recursive: true });
          await removeStaleTemps(dir, this.staleTempMs);
          const tmp = tempPath(dir);
          await writeDurable(tmp, `${image.version}
`);
          await (0, import_promises53.rename)(tmp, this.layout.tag(image.name, tag)).catch(async (e) => {
            await (0, import_promises53.unlink)(tmp).catch(() => void 0);
            throw new RepositoryError(
              `cannot write tag ${tag} of ${image.name} (${e.message}); an image named ${image.name}/${tag} may use that path: choose another tag`
            );
          });
          await syncDir(dir);
        });
        await this.record({ action: "tag", outcome: "success", image: `${image.name}:${image.version}`, digest: image.manifestDigest, detail: `tag ${tag}` });
      }
      async untag(name, tag) {
        await this.locked(async () => {
          try {
            const st = await (0, import_promises53.stat)(this.layout.tag(name, tag));
            if (!st.isFile()) throw Object.assign(new Error("not a tag"), { code: "ENOENT" });
            await (0, import_promises53.unlink)(this.layout.tag(name, tag));
          } catch (e) {
            if (isNotFound(e)) throw new ImageNotFoundError(`image ${name} has no tag '${tag}' in ${this.location}; nothing to untag`);
            throw e;
          }
        });
        await this.record({ action: "untag", outcome: "success", image: name, detail: `tag ${tag}` });
      }
      /** `force` also removes tags pointing at the version; child versions and live clones always block. */
      async delete(image, opts) {
        const label = `${image.name}:${image.version}`;
        const outcome = await this.locked(async () => {
          await this.mustExist(image);
          const all = await allPublished(this.layout);
          const tagsHere = Object.entries(await readTags(this.layout, image.name)).filter(([, v]) => v === image.version).map(([t]) => t);
          const users = [
            ...opts.force ? [] : tagsHere.map((t) => `tag '${t}'`),
            ...all.filter((i) => i.manifest.parent === image.manifestDigest).map((i) => `version ${i.name}:${i.version} (its parent)`),
            ...opts.liveCloneDigests.includes(image.manifestDigest) ? ["a live clone"] : []
          ];
          if (users.length) return { refused: users };
          for (const t of tagsHere) await (0, import_promises53.unlink)(this.layout.tag(image.name, t));
          await (0, import_promises53.unlink)(this.layout.manifest(image.name, image.version));
          await syncDir(this.layout.manifestDir(image.name));
          const digest = image.manifest.disk.digest;
          const shared = all.some((i) => i.manifestDigest !== image.manifestDigest && i.manifest.disk.digest === digest);
          if (!shared) {
            await (0, import_promises53.unlink)(this.layout.blob(digest)).catch((e) => isNotFound(e) ? void 0 : Promise.reject(e));
            await this.cache.forget(this.layout.blob(digest));
          }
          return { refused: void 0, untagged: opts.force ? tagsHere : [] };
        });
        if (outcome.refused) {
          const detail = `still referenced by ${outcome.refused.join(", ")}`;
          await this.record({ action: "delete", outcome: "failure", image: label, digest: image.manifestDigest, detail });
          throw new ImageInUseError(`cannot delete ${label}: ${detail}; untag it, delete child versions and tear down clones first`);
        }
        for (const t of outcome.untagged ?? []) await this.record({ action: "untag", outcome: "success", image: label, detail: `tag ${t} (forced delete)` });
        await this.record({ action: "delete", outcome: "success", image: label, digest: image.manifestDigest });
      }
      async mustExist(image) {
        const current2 = await readPublished(this.layout, image.name, image.version);
        if (!current2 || current2.manifestDigest !== image.manifestDigest) {
          throw new ImageNotFoundError(`image ${image.name}:${image.version}@${image.manifestDigest} not found in ${this.location}; resolve it again`);
        }
      }
      async blobIsGood(blob, digest, opts) {
        if (!await (0, import_promises53.stat)(blob).catch(() => void 0)) return false;
        if (await this.cache.isVerified(blob, digest)) return true;
        if (await sha256File(blob, opts.onProgress) !== digest) return false;
        await this.cache.remember(blob, digest);
        return true;
      }
      /** Create the layout on first write; the config file comes first so it marks the directory as ours. */
      async ensureLayout() {
        if (!await readConfigFile(this.layout)) {
          await assertUsableRoot(this.location);
          await (0, import_promises53.mkdir)(this.location, { recursive: true });
          const tmp = tempPath(this.location);
          await writeDurable(tmp, `${JSON.stringify({ format: REPOSITORY_FORMAT, config: {} }, null, 2)}
`);
          await placeWithoutOverwrite(tmp, this.layout.configFile);
          await unlinkQuietly(tmp);
        }
        for (const dir of [this.layout.blobsDir, this.layout.manifestsDir, this.layout.tagsDir, import_node_path60.default.dirname(this.layout.auditFile)]) {
          await (0, import_promises53.mkdir)(dir, { recursive: true });
        }
      }
      locked(fn) {
        return withFileLock(this.layout.configFile, fn);
      }
      async record(event) {
        try {
          await this.audit.append(event);
        } catch (e) {
          throw e instanceof DbcloneError ? e : new RepositoryError(`could not append to the audit log ${this.audit.filePath}: ${e.message}`, { cause: e });
        }
      }
    };
  }
});

// packages/core/src/repository/cache/cache-index.ts
var import_promises54, import_node_path61, CacheIndex;
var init_cache_index = __esm({
  "packages/core/src/repository/cache/cache-index.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises54 = require("node:fs/promises");
    import_node_path61 = __toESM(require("node:path"), 1);
    init_durable_write();
    init_paths();
    init_file_lock();
    CacheIndex = class {
      constructor(dir, blobsDir) {
        this.dir = dir;
        this.blobsDir = blobsDir;
        this.file = import_node_path61.default.join(dir, "index.json");
      }
      dir;
      blobsDir;
      file;
      async read() {
        try {
          const parsed = JSON.parse(await (0, import_promises54.readFile)(this.file, "utf8"));
          return parsed.blobs ?? {};
        } catch {
          return this.rebuild();
        }
      }
      /** Change the entries under the index lock; `fn` edits them in place. */
      async update(fn) {
        await makeDir(this.dir, PRIVATE_DIR);
        return withFileLock(this.file, async () => {
          const entries = await this.read();
          const result = await fn(entries);
          await writeFileAtomic(this.file, JSON.stringify({ format: 1, blobs: entries }), 420);
          return result;
        });
      }
      /** Entries for the blobs on disk, all as if last used at their mtime. */
      async rebuild() {
        const entries = {};
        const names = await (0, import_promises54.readdir)(this.blobsDir).catch(() => []);
        for (const hex of names.filter((n) => /^[0-9a-f]{64}$/.test(n))) {
          const st = await (0, import_promises54.stat)(import_node_path61.default.join(this.blobsDir, hex)).catch(() => void 0);
          if (st?.isFile()) entries[`sha256:${hex}`] = { sizeBytes: st.size, lastUsedMs: st.mtimeMs };
        }
        return entries;
      }
    };
  }
});

// packages/core/src/repository/cache/blob-cache.ts
var import_promises55, import_node_path62, BlobCache, EMPTY_DIGEST;
var init_blob_cache = __esm({
  "packages/core/src/repository/cache/blob-cache.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises55 = require("node:fs/promises");
    import_node_path62 = __toESM(require("node:path"), 1);
    init_file_lock();
    init_errors();
    init_digest();
    init_reporter();
    init_paths();
    init_durable_files();
    init_durable_write();
    init_verified_blobs();
    init_cache_index();
    BlobCache = class {
      constructor(dir, opts = {}) {
        this.dir = dir;
        this.opts = opts;
        this.blobsDir = import_node_path62.default.join(dir, "blobs", "sha256");
        this.partialDir = import_node_path62.default.join(dir, "partial");
        this.index = new CacheIndex(dir, this.blobsDir);
        this.verified = verifiedBlobCache(dir);
        this.reporter = opts.reporter ?? silentReporter;
        if (opts.maxBytes !== void 0 && !opts.inUse) {
          throw new UsageError("a size-limited image cache needs inUse(): the disk digests live clones use, which it must never evict");
        }
      }
      dir;
      opts;
      blobsDir;
      partialDir;
      index;
      verified;
      reporter;
      blobPath(digest) {
        return import_node_path62.default.join(this.blobsDir, digest.replace(/^sha256:/, ""));
      }
      /** The cached blob's path when it is present and still hashes to `digest`. */
      async lookup(digest) {
        const file = this.blobPath(digest);
        if (!await (0, import_promises55.stat)(file).catch(() => void 0)) return void 0;
        if (await this.verified.isVerified(file, digest)) return file;
        if (await sha256File(file) === digest) {
          await this.verified.remember(file, digest);
          return file;
        }
        this.reporter.warn(`cached blob ${file} no longer hashes to ${digest}: removing it and downloading again`);
        await this.verified.forget(file);
        await unlinkQuietly(file);
        return void 0;
      }
      /**
       * The blob for `digest`: from the cache, or made by `produce` (which must write exactly that
       * content to target.tempFile and verify it). Holds the blob's lock throughout, so concurrent
       * callers in any process wait for one download instead of starting their own.
       */
      async obtain(digest, produce) {
        const file = this.blobPath(digest);
        await makeDir(this.dir, PRIVATE_DIR);
        await makeDir(import_node_path62.default.dirname(this.blobsDir), PRIVATE_DIR);
        await makeDir(this.blobsDir, PRIVATE_DIR);
        await makeDir(this.partialDir, PRIVATE_DIR);
        const result = await withFileLock(
          file,
          async (signal2) => {
            const hit = await this.lookup(digest);
            if (hit) return { path: hit, downloaded: false };
            await removeStaleTemps(this.blobsDir, 60 * 6e4);
            const tempFile = tempPath(this.blobsDir);
            try {
              await produce({ tempFile, partialDir: this.partialDir, signal: signal2 });
              if ((await (0, import_promises55.stat)(tempFile)).size === 0 && digest !== EMPTY_DIGEST) {
                throw new DigestMismatchError(`download of ${digest} produced no bytes; pull again`);
              }
              await (0, import_promises55.chmod)(tempFile, 288);
              await (0, import_promises55.rename)(tempFile, file);
              await syncDir(this.blobsDir);
            } finally {
              await unlinkQuietly(tempFile);
            }
            await this.verified.remember(file, digest);
            return { path: file, downloaded: true };
          },
          { waitMs: this.opts.lockWaitMs ?? 6 * 36e5 }
        );
        const size = (await (0, import_promises55.stat)(result.path)).size;
        await this.index.update((entries) => {
          entries[digest] = { sizeBytes: size, lastUsedMs: Date.now() };
        });
        if (result.downloaded) await this.evict(digest);
        return result;
      }
      /** Bytes held by cached blobs (per the index). */
      async usage() {
        return Object.values(await this.index.read()).reduce((a, e) => a + e.sizeBytes, 0);
      }
      /** Remove least-recently-used blobs until under maxBytes; returns the digests removed. */
      async evict(keep) {
        const max = this.opts.maxBytes;
        if (max === void 0) return [];
        const protectedSet = /* @__PURE__ */ new Set([...await this.opts.inUse(), ...keep ? [keep] : []]);
        const graceMs = this.opts.graceMs ?? 15 * 6e4;
        return this.index.update(async (entries) => {
          for (const [d] of Object.entries(entries)) if (!await (0, import_promises55.stat)(this.blobPath(d)).catch(() => void 0)) delete entries[d];
          let total = Object.values(entries).reduce((a, e) => a + e.sizeBytes, 0);
          const removed = [];
          const candidates = Object.entries(entries).filter(([d, e]) => !protectedSet.has(d) && Date.now() - e.lastUsedMs >= graceMs).sort((a, b) => a[1].lastUsedMs - b[1].lastUsedMs);
          for (const [d, e] of candidates) {
            if (total <= max) break;
            const gone = await withFileLock(
              this.blobPath(d),
              async () => {
                await this.verified.forget(this.blobPath(d));
                await (0, import_promises55.unlink)(this.blobPath(d)).catch(() => void 0);
                return true;
              },
              { waitMs: 200 }
            ).catch(() => false);
            if (!gone) continue;
            delete entries[d];
            total -= e.sizeBytes;
            removed.push(d);
            this.reporter.debug(`image cache: evicted ${d} (${e.sizeBytes} bytes, last used ${new Date(e.lastUsedMs).toISOString()})`);
          }
          if (total > max)
            this.reporter.warn(`image cache ${this.dir} holds ${total} bytes, over its ${max} byte limit: the rest is in use by live clones or recent pulls`);
          return removed;
        });
      }
    };
    EMPTY_DIGEST = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  }
});

// packages/core/src/repository/cache/cache-dir.ts
function defaultCacheDir(env = process.env) {
  if (env.DBCLONE_CACHE_DIR) return import_node_path63.default.resolve(env.DBCLONE_CACHE_DIR);
  if (env.GITHUB_ACTIONS === "true" && env.RUNNER_TOOL_CACHE) return import_node_path63.default.join(env.RUNNER_TOOL_CACHE, "dbclone");
  return import_node_path63.default.join(dbcloneHome(env), "cache");
}
var import_node_path63;
var init_cache_dir = __esm({
  "packages/core/src/repository/cache/cache-dir.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_path63 = __toESM(require("node:path"), 1);
    init_paths();
  }
});

// packages/core/src/repository/oci/auth.ts
function parseChallenge(header) {
  if (!header) return void 0;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return void 0;
  const scheme = m[1].toLowerCase();
  if (scheme !== "basic" && scheme !== "bearer") return void 0;
  const params = {};
  const re = /([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (let p = re.exec(m[2]); p; p = re.exec(m[2])) params[p[1].toLowerCase()] = p[2] !== void 0 ? p[2].replace(/\\(.)/g, "$1") : p[3];
  return { scheme, params };
}
function basicHeader(creds) {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
}
async function fetchBearerToken(challenge, scope, creds, doFetch, reporter) {
  const realm = challenge.params.realm;
  if (!realm) throw new RepositoryError("the registry asked for a bearer token but named no realm to get it from; check the registry's auth configuration");
  const url = new URL(realm);
  if (challenge.params.service) url.searchParams.set("service", challenge.params.service);
  for (const s of new Set([challenge.params.scope, ...scope.split(" ")].filter((x) => !!x))) url.searchParams.append("scope", s);
  const headers = {};
  if (creds) headers.authorization = basicHeader(creds);
  let res;
  try {
    res = await doFetch(url, { headers });
  } catch (e) {
    throw new RepositoryError(
      `could not reach the token service ${url.origin}${url.pathname} (${e.message}); check the network and the registry URL`,
      { cause: e }
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    const who = creds ? `user '${creds.username}'` : "anonymous access";
    throw new RepositoryError(
      `the token service ${url.origin}${url.pathname} refused ${who} for ${scope} (HTTP ${res.status}); set DBCLONE_REGISTRY_USER / DBCLONE_REGISTRY_PASSWORD (or GITHUB_TOKEN for ghcr.io) to credentials allowed to use this repository`
    );
  }
  const body = await res.json();
  const token = body.token ?? body.access_token;
  if (!token) throw new RepositoryError(`the token service ${url.origin}${url.pathname} answered without a token; check the registry's auth configuration`);
  reporter.secret(token);
  return token;
}
var init_auth = __esm({
  "packages/core/src/repository/oci/auth.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
  }
});

// node_modules/is-network-error/index.js
function isNetworkError(error2) {
  const isValid = error2 && isError(error2) && error2.name === "TypeError" && typeof error2.message === "string";
  if (!isValid) {
    return false;
  }
  const { message, stack } = error2;
  if (message === "Load failed" || message.startsWith("Load failed (") && message.endsWith(")")) {
    return stack === void 0 || "__sentry_captured__" in error2;
  }
  if (message.startsWith("error sending request for url")) {
    return true;
  }
  if (message === "Failed to fetch" || message.startsWith("Failed to fetch (") && message.endsWith(")")) {
    return true;
  }
  return errorMessages.has(message);
}
var objectToString, isError, errorMessages;
var init_is_network_error = __esm({
  "node_modules/is-network-error/index.js"() {
    init_import_meta_url();
    objectToString = Object.prototype.toString;
    isError = (value) => objectToString.call(value) === "[object Error]";
    errorMessages = /* @__PURE__ */ new Set([
      "network error",
      // Chrome
      "NetworkError when attempting to fetch resource.",
      // Firefox
      "The Internet connection appears to be offline.",
      // Safari 16
      "Network request failed",
      // `cross-fetch`
      "fetch failed",
      // Undici (Node.js)
      "terminated",
      // Undici (Node.js)
      " A network error occurred.",
      // Bun (WebKit)
      "Network connection lost"
      // Cloudflare Workers (fetch)
    ]);
  }
});

// node_modules/p-retry/index.js
function validateRetries(retries) {
  if (typeof retries === "number") {
    if (retries < 0) {
      throw new TypeError("Expected `retries` to be a non-negative number.");
    }
    if (Number.isNaN(retries)) {
      throw new TypeError("Expected `retries` to be a valid number or Infinity, got NaN.");
    }
  } else if (retries !== void 0) {
    throw new TypeError("Expected `retries` to be a number or Infinity.");
  }
}
function validateNumberOption(name, value, { min = 0, allowInfinity = false } = {}) {
  if (value === void 0) {
    return;
  }
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`Expected \`${name}\` to be a number${allowInfinity ? " or Infinity" : ""}.`);
  }
  if (!allowInfinity && !Number.isFinite(value)) {
    throw new TypeError(`Expected \`${name}\` to be a finite number.`);
  }
  if (value < min) {
    throw new TypeError(`Expected \`${name}\` to be \u2265 ${min}.`);
  }
}
function calculateDelay(retriesConsumed, options) {
  const attempt = Math.max(1, retriesConsumed + 1);
  const random = options.randomize ? Math.random() + 1 : 1;
  let timeout = Math.round(random * options.minTimeout * options.factor ** (attempt - 1));
  timeout = Math.min(timeout, options.maxTimeout);
  return timeout;
}
function calculateRemainingTime(start2, max) {
  if (!Number.isFinite(max)) {
    return max;
  }
  return max - (performance.now() - start2);
}
async function onAttemptFailure({ error: error2, attemptNumber, retriesConsumed, startTime, options }) {
  const normalizedError = error2 instanceof Error ? error2 : new TypeError(`Non-error was thrown: "${error2}". You should only throw errors.`);
  if (normalizedError instanceof AbortError) {
    throw normalizedError.originalError;
  }
  const retriesLeft = Number.isFinite(options.retries) ? Math.max(0, options.retries - retriesConsumed) : options.retries;
  const maxRetryTime = options.maxRetryTime ?? Number.POSITIVE_INFINITY;
  const context = Object.freeze({
    error: normalizedError,
    attemptNumber,
    retriesLeft,
    retriesConsumed
  });
  await options.onFailedAttempt(context);
  if (calculateRemainingTime(startTime, maxRetryTime) <= 0) {
    throw normalizedError;
  }
  const consumeRetry = await options.shouldConsumeRetry(context);
  const remainingTime = calculateRemainingTime(startTime, maxRetryTime);
  if (remainingTime <= 0 || retriesLeft <= 0) {
    throw normalizedError;
  }
  if (normalizedError instanceof TypeError && !isNetworkError(normalizedError)) {
    if (consumeRetry) {
      throw normalizedError;
    }
    options.signal?.throwIfAborted();
    return false;
  }
  if (!await options.shouldRetry(context)) {
    throw normalizedError;
  }
  if (!consumeRetry) {
    options.signal?.throwIfAborted();
    return false;
  }
  const delayTime = calculateDelay(retriesConsumed, options);
  const finalDelay = Math.min(delayTime, remainingTime);
  options.signal?.throwIfAborted();
  if (finalDelay > 0) {
    await new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timeoutToken);
        options.signal?.removeEventListener("abort", onAbort);
        reject(options.signal.reason);
      };
      const timeoutToken = setTimeout(() => {
        options.signal?.removeEventListener("abort", onAbort);
        resolve();
      }, finalDelay);
      if (options.unref) {
        timeoutToken.unref?.();
      }
      options.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
  options.signal?.throwIfAborted();
  return true;
}
async function pRetry(input, options = {}) {
  options = { ...options };
  validateRetries(options.retries);
  if (Object.hasOwn(options, "forever")) {
    throw new Error("The `forever` option is no longer supported. For many use-cases, you can set `retries: Infinity` instead.");
  }
  options.retries ??= 10;
  options.factor ??= 2;
  options.minTimeout ??= 1e3;
  options.maxTimeout ??= Number.POSITIVE_INFINITY;
  options.maxRetryTime ??= Number.POSITIVE_INFINITY;
  options.randomize ??= false;
  options.onFailedAttempt ??= () => {
  };
  options.shouldRetry ??= () => true;
  options.shouldConsumeRetry ??= () => true;
  validateNumberOption("factor", options.factor, { min: 0, allowInfinity: false });
  validateNumberOption("minTimeout", options.minTimeout, { min: 0, allowInfinity: false });
  validateNumberOption("maxTimeout", options.maxTimeout, { min: 0, allowInfinity: true });
  validateNumberOption("maxRetryTime", options.maxRetryTime, { min: 0, allowInfinity: true });
  if (!(options.factor > 0)) {
    options.factor = 1;
  }
  options.signal?.throwIfAborted();
  let attemptNumber = 0;
  let retriesConsumed = 0;
  const startTime = performance.now();
  while (Number.isFinite(options.retries) ? retriesConsumed <= options.retries : true) {
    attemptNumber++;
    try {
      options.signal?.throwIfAborted();
      const result = await input(attemptNumber);
      options.signal?.throwIfAborted();
      return result;
    } catch (error2) {
      if (await onAttemptFailure({
        error: error2,
        attemptNumber,
        retriesConsumed,
        startTime,
        options
      })) {
        retriesConsumed++;
      }
    }
  }
  throw new Error("Retry attempts exhausted without throwing an error.");
}
var AbortError;
var init_p_retry = __esm({
  "node_modules/p-retry/index.js"() {
    init_import_meta_url();
    init_is_network_error();
    AbortError = class extends Error {
      constructor(message) {
        super();
        if (message instanceof Error) {
          this.originalError = message;
          ({ message } = message);
        } else {
          this.originalError = new Error(message);
          this.originalError.stack = this.stack;
        }
        this.name = "AbortError";
        this.message = message;
      }
    };
  }
});

// packages/core/src/repository/oci/retry-policy.ts
function retrySettingsFrom(env = process.env, overrides = {}) {
  const num = (name, scale) => {
    const raw = env[name];
    if (raw === void 0 || raw === "") return void 0;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new RepositoryError(`${name}='${raw}' is not a non-negative number; unset it or give a number`);
    return n * scale;
  };
  return {
    ...DEFAULT_RETRY,
    ...definedOnly({
      retries: num("DBCLONE_REGISTRY_RETRIES", 1),
      deadlineMs: num("DBCLONE_REGISTRY_DEADLINE", 1e3),
      headersTimeoutMs: num("DBCLONE_REGISTRY_TIMEOUT", 1e3)
    }),
    ...overrides
  };
}
function currentOperation() {
  return current.getStore();
}
async function asRegistryOperation(what, settings, reporter, fn) {
  const op = { what, deadlineAt: performance.now() + settings.deadlineMs, retries: 0, reasons: {} };
  try {
    return await current.run(op, () => fn(op));
  } finally {
    if (op.retries > 0) {
      const why = Object.entries(op.reasons).map(([k, v]) => `${k} \xD7${v}`).join(", ");
      reporter.info(`${what}: ${op.retries} registry retr${op.retries === 1 ? "y" : "ies"} (${why})`);
    }
  }
}
async function withRetries(label, settings, reporter, attempt, beforeRetry, passUp) {
  const op = current.getStore();
  const remaining = () => op ? op.deadlineAt - performance.now() : settings.deadlineMs;
  let first = true;
  return pRetry(
    async () => {
      try {
        if (!first && beforeRetry) await beforeRetry();
        first = false;
        return await attempt();
      } catch (e) {
        if (!isTransient(e) || passUp?.(e)) throw new AbortError(e);
        if (e instanceof TransientRegistryError) throw e;
        throw new TransientRegistryError(e.message, reasonOf(e), void 0, { cause: e });
      }
    },
    {
      retries: settings.retries,
      minTimeout: settings.minDelayMs,
      maxTimeout: settings.maxDelayMs,
      randomize: true,
      maxRetryTime: Math.max(0, remaining()),
      shouldRetry: () => remaining() > 0,
      onFailedAttempt: async ({ error: error2, attemptNumber, retriesLeft }) => {
        if (retriesLeft <= 0 || remaining() <= 0) return;
        const reason = reasonOf(error2);
        if (op) {
          op.retries++;
          op.reasons[reason] = (op.reasons[reason] ?? 0) + 1;
        }
        reporter.info(`registry: ${label} failed (${reason}); retry ${attemptNumber} of ${settings.retries}`);
        const after = error2 instanceof TransientRegistryError ? error2.retryAfterMs : void 0;
        if (after) await new Promise((r) => setTimeout(r, Math.min(after, Math.max(0, remaining()), settings.maxDelayMs * 4)));
      }
    }
  ).catch((e) => {
    const err = e instanceof AbortError ? e.cause ?? e : e;
    if (isTransient(err) && !passUp?.(err)) {
      const spent = op ? `; ${op.retries} retries in this ${op.what}` : "";
      throw new RepositoryError(
        `${label} failed after retrying: ${err.message}${spent}${remaining() <= 0 ? " (deadline reached: DBCLONE_REGISTRY_DEADLINE)" : ""}`,
        { cause: err }
      );
    }
    throw err;
  });
}
function isTransient(e) {
  if (e instanceof TransientRegistryError) return true;
  if (e instanceof DbcloneError) return false;
  const codes = /* @__PURE__ */ new Set([
    "ECONNRESET",
    "ECONNREFUSED",
    "EPIPE",
    "ETIMEDOUT",
    "UND_ERR_SOCKET",
    "UND_ERR_CONNECT_TIMEOUT",
    "UND_ERR_HEADERS_TIMEOUT",
    "UND_ERR_BODY_TIMEOUT",
    "ECONNABORTED",
    "EAI_AGAIN"
  ]);
  for (let err = e, depth = 0; err && depth < 4; err = err.cause, depth++) {
    if (err.code && codes.has(err.code)) return true;
    if (err.name === "TimeoutError") return true;
    if (err.message === "terminated" || err.message === "fetch failed" || /other side closed|socket hang up/i.test(err.message ?? "")) return true;
  }
  return false;
}
function reasonOf(e) {
  if (e instanceof TransientRegistryError) return e.reason;
  for (let err = e, depth = 0; err && depth < 4; err = err.cause, depth++) {
    if (err.name === "TimeoutError") return "timeout";
    if (typeof err.code === "string") return err.code;
  }
  return e?.message?.slice(0, 60) ?? "error";
}
function retryAfterMs(header) {
  if (!header) return void 0;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1e3;
  const at = Date.parse(header);
  return Number.isNaN(at) ? void 0 : Math.max(0, at - Date.now());
}
function definedOnly(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== void 0));
}
var import_node_async_hooks2, DEFAULT_RETRY, TransientRegistryError, current;
var init_retry_policy = __esm({
  "packages/core/src/repository/oci/retry-policy.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_async_hooks2 = require("node:async_hooks");
    init_p_retry();
    init_errors();
    DEFAULT_RETRY = { retries: 6, minDelayMs: 250, maxDelayMs: 8e3, deadlineMs: 30 * 6e4, headersTimeoutMs: 6e4 };
    TransientRegistryError = class extends RepositoryError {
      constructor(message, reason, retryAfterMs2, options) {
        super(message, options);
        this.reason = reason;
        this.retryAfterMs = retryAfterMs2;
      }
      reason;
      retryAfterMs;
    };
    current = new import_node_async_hooks2.AsyncLocalStorage();
  }
});

// packages/core/src/repository/oci/client.ts
function networkCode(e) {
  return e?.cause?.code ?? "";
}
function networkCause(e) {
  const cause = e?.cause;
  return cause?.message || cause?.code || e?.message || String(e);
}
async function errorText(res) {
  try {
    const text = (await res.text()).slice(0, 2e3);
    const parsed = JSON.parse(text);
    return (parsed.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(": ")).join("; ") || text.slice(0, 200);
  } catch {
    return "";
  }
}
function shortPath(p) {
  const path78 = /^https?:/.test(p) ? new URL(p).pathname : p.split("?")[0];
  return path78.replace(/sha256:([0-9a-f]{12})[0-9a-f]+/g, "sha256:$1\u2026").replace(/\/uploads\/[^/]+$/, "/uploads/\u2026");
}
function reasonFor(e) {
  for (let err = e, depth = 0; err && depth < 4; err = err.cause, depth++) {
    if (err.name === "TimeoutError") return "timeout";
    if (typeof err.code === "string") return err.code;
  }
  return "connection failed";
}
function scopeFor(repository, actions) {
  return `repository:${repository}:${actions}`;
}
var RegistryClient, NOT_TRANSIENT;
var init_client2 = __esm({
  "packages/core/src/repository/oci/client.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_auth();
    init_retry_policy();
    RegistryClient = class {
      constructor(location, creds, doFetch, reporter, retry = retrySettingsFrom()) {
        this.location = location;
        this.creds = creds;
        this.doFetch = doFetch;
        this.reporter = reporter;
        this.retry = retry;
      }
      location;
      creds;
      doFetch;
      reporter;
      retry;
      authScheme = "none";
      tokens = /* @__PURE__ */ new Map();
      url(pathOrUrl) {
        return /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : new URL(pathOrUrl, this.location.baseUrl).toString();
      }
      /**
       * Send a request, answering one auth challenge; the caller checks the status. 5xx/429 answers
       * and dropped connections are retried (unless req.retry is false) within the operation's deadline.
       */
      async send(req) {
        if (req.retry === false) return this.sendOnce(req);
        return withRetries(`${req.method} ${shortPath(req.path)}`, this.retry, this.reporter, async () => {
          const res = await this.sendOnce(req);
          if (res.status >= 500 || res.status === 429) {
            await res.body?.cancel().catch(() => void 0);
            throw new TransientRegistryError(
              `${this.location.display} answered HTTP ${res.status}`,
              `HTTP ${res.status}`,
              retryAfterMs(res.headers.get("retry-after"))
            );
          }
          return res;
        });
      }
      async sendOnce(req) {
        let res = await this.attempt(req);
        if (res.status !== 401) return res;
        const challenge = parseChallenge(res.headers.get("www-authenticate"));
        await res.body?.cancel();
        if (!challenge) throw this.denied(req, 401);
        if (challenge.scheme === "basic") {
          if (!this.creds) throw this.denied(req, 401);
          this.authScheme = "basic";
        } else {
          this.authScheme = "bearer";
          this.tokens.set(req.scope, await fetchBearerToken(challenge, req.scope, this.creds, this.doFetch, this.reporter));
        }
        res = await this.attempt(req);
        if (res.status === 401) {
          await res.body?.cancel();
          throw this.denied(req, 401);
        }
        return res;
      }
      /** send(), then fail with a RepositoryError unless the status is one of `expected`. */
      async expect(req, expected, what) {
        const res = await this.send(req);
        if (expected.includes(res.status)) return res;
        const detail = await errorText(res);
        if (res.status === 403) throw this.denied(req, 403, detail);
        throw new RepositoryError(`${what} failed: ${req.method} ${this.location.display} answered HTTP ${res.status}${detail ? ` (${detail})` : ""}`);
      }
      async attempt(req) {
        const headers = { ...req.headers };
        const auth = this.authorization(req.scope);
        if (auth) headers.authorization = auth;
        const headersTimer = new AbortController();
        const timer = setTimeout(
          () => headersTimer.abort(new DOMException(`no answer within ${this.retry.headersTimeoutMs} ms`, "TimeoutError")),
          this.retry.headersTimeoutMs
        );
        const op = currentOperation();
        const signals = [headersTimer.signal, ...req.signal ? [req.signal] : []];
        if (op) signals.push(AbortSignal.timeout(Math.max(1, Math.round(op.deadlineAt - performance.now()))));
        try {
          return await this.doFetch(this.url(req.path), { method: req.method, headers, body: req.body, signal: AbortSignal.any(signals), redirect: "follow" });
        } catch (e) {
          if (req.signal?.aborted) throw e;
          const message = `could not reach ${new URL(this.location.baseUrl).host}: ${networkCause(e)}; check the host, port and network`;
          if (NOT_TRANSIENT.has(networkCode(e))) throw new UnreachableError(message, { cause: e });
          throw new TransientRegistryError(message, reasonFor(e), void 0, { cause: e });
        } finally {
          clearTimeout(timer);
        }
      }
      authorization(scope) {
        if (this.authScheme === "basic" && this.creds) return basicHeader(this.creds);
        if (this.authScheme === "bearer") {
          const token = this.tokens.get(scope);
          return token ? `Bearer ${token}` : void 0;
        }
        return void 0;
      }
      denied(req, status, detail = "") {
        const who = this.creds ? `user '${this.creds.username}'` : "anonymous access";
        return new RepositoryError(
          `${this.location.display} refused ${who} for ${req.scope} (HTTP ${status}${detail ? `: ${detail}` : ""}); set DBCLONE_REGISTRY_USER / DBCLONE_REGISTRY_PASSWORD (or GITHUB_TOKEN for ghcr.io, or docker login) to credentials allowed to do this`
        );
      }
    };
    NOT_TRANSIENT = /* @__PURE__ */ new Set(["ECONNREFUSED", "ENOTFOUND"]);
  }
});

// packages/core/src/repository/oci/media-types.ts
function diskLayerMediaType(format, compression) {
  return `application/vnd.dbclone.disk.${format}.v1${compression === "none" ? "" : `+${compression}`}`;
}
function layerCompression(mediaType) {
  const m = DISK_LAYER.exec(mediaType);
  return m ? m[2] ?? "none" : void 0;
}
var IMAGE_ARTIFACT_TYPE, IMAGE_CONFIG_MEDIA_TYPE, OCI_MANIFEST_MEDIA_TYPE, DISK_LAYER, ANNOTATION_IMAGE_NAME, ANNOTATION_IMAGE_VERSION, ANNOTATION_IMAGE_ID, ANNOTATION_UNCOMPRESSED_DIGEST, ANNOTATION_UNCOMPRESSED_SIZE, ANNOTATION_CREATED, ANNOTATION_PARENT;
var init_media_types = __esm({
  "packages/core/src/repository/oci/media-types.ts"() {
    "use strict";
    init_import_meta_url();
    IMAGE_ARTIFACT_TYPE = "application/vnd.dbclone.image.v1+json";
    IMAGE_CONFIG_MEDIA_TYPE = IMAGE_ARTIFACT_TYPE;
    OCI_MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";
    DISK_LAYER = /^application\/vnd\.dbclone\.disk\.(qcow2|vhdx)\.v1(?:\+(gzip|zstd))?$/;
    ANNOTATION_IMAGE_NAME = "vnd.dbclone.image.name";
    ANNOTATION_IMAGE_VERSION = "vnd.dbclone.image.version";
    ANNOTATION_IMAGE_ID = "vnd.dbclone.image.id";
    ANNOTATION_UNCOMPRESSED_DIGEST = "vnd.dbclone.disk.uncompressed-digest";
    ANNOTATION_UNCOMPRESSED_SIZE = "vnd.dbclone.disk.uncompressed-size";
    ANNOTATION_CREATED = "org.opencontainers.image.created";
    ANNOTATION_PARENT = "vnd.dbclone.image.parent";
  }
});

// packages/core/src/repository/oci/descriptor.ts
function isValidDigest(digest) {
  return typeof digest === "string" && DIGEST_PATTERN2.test(digest);
}
function bad2(where, what) {
  throw new RepositoryError(`${where}: ${what}; the registry's answer is not a dbclone image (refused before anything was written or requested from it)`);
}
function checkDescriptor(d, kind, where) {
  const desc = d;
  if (!desc || typeof desc !== "object") bad2(where, `the ${kind} descriptor is missing`);
  if (typeof desc.digest !== "string" || !isValidDigest(desc.digest))
    bad2(where, `the ${kind} digest ${JSON.stringify(String(desc.digest).slice(0, 80))} is not sha256:<64 lowercase hex>`);
  const max = kind === "config" ? MAX_CONFIG_BYTES : MAX_LAYER_BYTES;
  if (typeof desc.size !== "number" || !Number.isSafeInteger(desc.size) || desc.size < 0 || desc.size > max) {
    bad2(where, `the ${kind} size ${JSON.stringify(desc.size)} is not a whole number of bytes up to ${max}`);
  }
  const known = kind === "config" ? desc.mediaType === IMAGE_CONFIG_MEDIA_TYPE : typeof desc.mediaType === "string" && layerCompression(desc.mediaType) !== void 0;
  if (!known) bad2(where, `the ${kind} media type ${JSON.stringify(String(desc.mediaType).slice(0, 100))} is not one dbclone writes`);
  return desc;
}
function checkManifestShape(m, where) {
  const o = m;
  if (!o || typeof o !== "object" || Array.isArray(o)) bad2(where, "the manifest is not a JSON object");
  if (!o.config || typeof o.config !== "object") bad2(where, "the manifest has no config descriptor");
  if (!Array.isArray(o.layers)) bad2(where, "the manifest has no layer list");
  if (o.annotations !== void 0 && (typeof o.annotations !== "object" || o.annotations === null)) bad2(where, "the manifest's annotations are not an object");
  return o;
}
function checkImageManifest(m, where) {
  const config2 = checkDescriptor(m.config, "config", where);
  const raw = m.layers.find((l) => typeof l?.mediaType === "string" && layerCompression(l.mediaType) !== void 0);
  return { config: config2, layer: raw === void 0 ? void 0 : checkDescriptor(raw, "layer", where) };
}
async function readCapped(res, maxBytes, what) {
  const declared = Number(res.headers.get("content-length") ?? 0);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new RepositoryError(`${what} is ${declared} bytes, more than the ${maxBytes} bytes dbclone accepts; it was not pushed by dbclone`);
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks = [];
  let total = 0;
  const reader = res.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new RepositoryError(`${what} is more than the ${maxBytes} bytes dbclone accepts; it was not pushed by dbclone`);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}
var DIGEST_PATTERN2, TAG_PATTERN, MAX_MANIFEST_BYTES, MAX_CONFIG_BYTES, MAX_TAG_PAGE_BYTES, MAX_LAYER_BYTES, isValidTag;
var init_descriptor = __esm({
  "packages/core/src/repository/oci/descriptor.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_media_types();
    DIGEST_PATTERN2 = /^sha256:[0-9a-f]{64}$/;
    TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
    MAX_MANIFEST_BYTES = 4 << 20;
    MAX_CONFIG_BYTES = 16 << 20;
    MAX_TAG_PAGE_BYTES = 8 << 20;
    MAX_LAYER_BYTES = 2 ** 44;
    isValidTag = (tag) => TAG_PATTERN.test(tag);
  }
});

// packages/core/src/repository/oci/partial-files.ts
function ownerOf(name) {
  const m = PARTIAL_NAME.exec(name);
  if (!m) return void 0;
  return { hex: m[1], owner: { pid: Number(m[2]), start: m[3] ? Number(m[3]) : void 0 } };
}
async function claimPartial(partialDir, digest) {
  const hex = digest.replace(/^sha256:/, "");
  const me = currentProcess();
  const mine = import_node_path64.default.join(partialDir, `${hex}.${me.pid}-${me.start ?? ""}`);
  if (await (0, import_promises56.stat)(mine).catch(() => void 0)) return mine;
  for (const name of await (0, import_promises56.readdir)(partialDir).catch(() => [])) {
    const found = ownerOf(name);
    const legacy = name === hex;
    if (!legacy && (!found || found.hex !== hex || ownerAlive(found.owner))) continue;
    if (await (0, import_promises56.rename)(import_node_path64.default.join(partialDir, name), mine).then(
      () => true,
      () => false
    ))
      return mine;
  }
  return mine;
}
async function removeOwnPartials(partialDir) {
  const me = currentProcess();
  for (const name of await (0, import_promises56.readdir)(partialDir).catch(() => [])) {
    const found = ownerOf(name);
    if (found && found.owner.pid === me.pid && found.owner.start === me.start) await (0, import_promises56.rm)(import_node_path64.default.join(partialDir, name), { force: true });
  }
}
async function removeDeadPartials(partialDir) {
  let removed = 0;
  for (const name of await (0, import_promises56.readdir)(partialDir).catch(() => [])) {
    const found = ownerOf(name);
    if (!found || ownerAlive(found.owner)) continue;
    await (0, import_promises56.rm)(import_node_path64.default.join(partialDir, name), { force: true });
    removed++;
  }
  return removed;
}
var import_promises56, import_node_path64, PARTIAL_NAME;
var init_partial_files = __esm({
  "packages/core/src/repository/oci/partial-files.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises56 = require("node:fs/promises");
    import_node_path64 = __toESM(require("node:path"), 1);
    init_process_identity();
    PARTIAL_NAME = /^([0-9a-f]{64})\.(\d+)-(\d*)$/;
  }
});

// packages/core/src/repository/oci/blob-download.ts
async function downloadLayer(d) {
  const { client, repo } = d;
  const layer = checkDescriptor(d.layer, "layer", `layer of ${repo} in ${client.location.display}`);
  assertKnownLayer(layer.mediaType);
  const partial2 = await claimPartial(d.partialDir, layer.digest);
  let have = (await (0, import_promises57.stat)(partial2).catch(() => void 0))?.size ?? 0;
  if (have > layer.size) have = await restart(partial2);
  const headers = {};
  if (have > 0) headers.range = `bytes=${have}-`;
  const res = await client.expect(
    { method: "GET", path: `/v2/${repo}/blobs/${layer.digest}`, scope: scopeFor(repo, "pull"), headers, signal: d.signal },
    [200, 206, 404, 416],
    `downloading ${layer.digest}`
  );
  if (res.status === 404) {
    await res.body?.cancel();
    throw new RepositoryError(`layer ${layer.digest} of ${repo} is missing from ${client.location.display}; the image is damaged: publish it again`);
  }
  if (res.status === 416 || res.status === 206 && !res.headers.get("content-range")?.startsWith(`bytes ${have}-`)) {
    await res.body?.cancel();
    await restart(partial2);
    return downloadLayer(d);
  }
  if (res.status === 200 && have > 0) have = await restart(partial2);
  if (!res.body) throw new RepositoryError(`the registry sent no body for ${layer.digest}; pull again`);
  const stats = { resumedFrom: have, received: 0 };
  const layerHash = (0, import_node_crypto11.createHash)("sha256");
  const diskHash = (0, import_node_crypto11.createHash)("sha256");
  let diskBytes = 0;
  let layerBytes = 0;
  const body = res.body;
  const partialOut = await (0, import_promises57.open)(partial2, "a", 384);
  async function* layerBytesSource() {
    if (have > 0) for await (const c of (0, import_node_fs32.createReadStream)(partial2, { end: have - 1, highWaterMark: 1 << 20 })) yield c;
    for await (const c of body) {
      const chunk = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      await partialOut.write(chunk);
      stats.received += chunk.length;
      if (stats.received === chunk.length) await pausePoint("pull:downloading");
      yield chunk;
    }
  }
  try {
    await (0, import_promises58.pipeline)(
      layerBytesSource(),
      async function* (src) {
        for await (const c of src) {
          layerHash.update(c);
          layerBytes += c.length;
          d.onProgress?.(layerBytes, layer.size);
          yield c;
        }
      },
      decompressorFor(layer.mediaType),
      async function* (src) {
        for await (const c of src) {
          diskHash.update(c);
          diskBytes += c.length;
          yield c;
        }
      },
      (0, import_node_fs32.createWriteStream)(d.tempFile, { flags: "wx", mode: 420 }),
      { signal: d.signal }
    );
  } catch (e) {
    await partialOut.close();
    if (isZlibError(e) && layerBytes < layer.size) {
      throw new TransientRegistryError(`${client.location.display} sent ${layerBytes} of ${layer.size} bytes of ${layer.digest}`, "short body");
    }
    if (isZlibError(e)) {
      await (0, import_promises57.unlink)(partial2).catch(() => void 0);
      throw new DigestMismatchError(
        `layer ${layer.digest} of ${repo} from ${client.location.display} is corrupt: it does not decompress (${e.message}); nothing was cached: publish the image again`
      );
    }
    throw e;
  }
  await partialOut.close();
  if (layerBytes < layer.size) {
    throw new TransientRegistryError(`${client.location.display} sent ${layerBytes} of ${layer.size} bytes of ${layer.digest}`, "short body");
  }
  await (0, import_promises57.unlink)(partial2).catch(() => void 0);
  const gotLayer = `sha256:${layerHash.digest("hex")}`;
  const gotDisk = `sha256:${diskHash.digest("hex")}`;
  if (gotLayer !== layer.digest) {
    throw new DigestMismatchError(
      `layer ${layer.digest} of ${repo} from ${client.location.display} hashes to ${gotLayer}: the registry copy is corrupt; nothing was cached: publish the image again`
    );
  }
  if (gotDisk !== d.expected.digest || diskBytes !== d.expected.sizeBytes) {
    throw new DigestMismatchError(
      `the disk in layer ${layer.digest} of ${repo} hashes to ${gotDisk} (${diskBytes} bytes), but the manifest says ${d.expected.digest} (${d.expected.sizeBytes} bytes); nothing was cached: publish the image again`
    );
  }
  return stats;
}
function decompressorFor(mediaType) {
  assertKnownLayer(mediaType);
  return layerCompression(mediaType) === "gzip" ? (0, import_node_zlib.createGunzip)({ chunkSize: 1 << 20 }) : new import_node_stream2.PassThrough();
}
function assertKnownLayer(mediaType) {
  const compression = layerCompression(mediaType);
  if (compression === "gzip" || compression === "none") return;
  if (compression === "zstd")
    throw new NotSupportedError("zstd disk layers are not supported by this build (Node 20 has no zstd); push the image again with gzip");
  throw new NotSupportedError(`disk layer media type '${mediaType}' is unknown to this dbclone; upgrade dbclone`);
}
async function restart(partial2) {
  await (0, import_promises57.truncate)(partial2, 0).catch(() => void 0);
  return 0;
}
function isZlibError(e) {
  const code = e?.code ?? "";
  return typeof code === "string" && code.startsWith("Z_");
}
var import_node_crypto11, import_node_fs32, import_promises57, import_node_stream2, import_promises58, import_node_zlib;
var init_blob_download = __esm({
  "packages/core/src/repository/oci/blob-download.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_crypto11 = require("node:crypto");
    import_node_fs32 = require("node:fs");
    import_promises57 = require("node:fs/promises");
    import_node_stream2 = require("node:stream");
    import_promises58 = require("node:stream/promises");
    import_node_zlib = require("node:zlib");
    init_errors();
    init_client2();
    init_descriptor();
    init_media_types();
    init_pause_point();
    init_partial_files();
    init_retry_policy();
  }
});

// packages/core/src/repository/oci/credentials.ts
async function findCredentials(registry2, sources, reporter) {
  const env = sources.env ?? process.env;
  const found = sources.credentials ?? fromEnv(registry2, env) ?? await fromDockerConfig(registry2, sources.dockerConfig ?? dockerConfigPath(env));
  if (found) {
    reporter.secret(found.password);
    reporter.secret(Buffer.from(`${found.username}:${found.password}`).toString("base64"));
  }
  return found;
}
function fromEnv(registry2, env) {
  if (env.DBCLONE_REGISTRY_PASSWORD) return { username: env.DBCLONE_REGISTRY_USER || "dbclone", password: env.DBCLONE_REGISTRY_PASSWORD };
  if (registry2 === "ghcr.io" && env.GITHUB_TOKEN) return { username: env.GITHUB_ACTOR || "x-access-token", password: env.GITHUB_TOKEN };
  return void 0;
}
function dockerConfigPath(env) {
  return import_node_path65.default.join(env.DOCKER_CONFIG || import_node_path65.default.join(import_node_os10.default.homedir(), ".docker"), "config.json");
}
async function fromDockerConfig(registry2, file) {
  let config2;
  try {
    config2 = JSON.parse(await (0, import_promises59.readFile)(file, "utf8"));
  } catch {
    return void 0;
  }
  const auths = config2.auths ?? {};
  const keys = [registry2, `https://${registry2}`, `http://${registry2}`, ...registry2 === "docker.io" ? ["https://index.docker.io/v1/"] : []];
  for (const key of Object.keys(auths)) {
    if (!keys.includes(key.replace(/\/+$/, "")) && !keys.includes(key)) continue;
    const entry = auths[key];
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  }
  return void 0;
}
var import_promises59, import_node_os10, import_node_path65;
var init_credentials = __esm({
  "packages/core/src/repository/oci/credentials.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises59 = require("node:fs/promises");
    import_node_os10 = __toESM(require("node:os"), 1);
    import_node_path65 = __toESM(require("node:path"), 1);
  }
});

// packages/core/src/repository/oci/known-layers.ts
var import_promises60, import_node_path66, KnownLayers;
var init_known_layers = __esm({
  "packages/core/src/repository/oci/known-layers.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises60 = require("node:fs/promises");
    import_node_path66 = __toESM(require("node:path"), 1);
    init_file_lock();
    init_durable_write();
    KnownLayers = class {
      file;
      constructor(cacheDir) {
        this.file = import_node_path66.default.join(cacheDir, "known-layers.json");
      }
      async get(diskDigest) {
        return (await this.load())[diskDigest];
      }
      async remember(diskDigest, layer, repository) {
        await (0, import_promises60.mkdir)(import_node_path66.default.dirname(this.file), { recursive: true });
        await withFileLock(this.file, async () => {
          const all = await this.load();
          const known = all[diskDigest]?.layer.digest === layer.digest ? all[diskDigest] : { layer, repositories: [] };
          known.repositories = [.../* @__PURE__ */ new Set([repository, ...known.repositories])].slice(0, 20);
          all[diskDigest] = known;
          await writeFileAtomic(this.file, JSON.stringify(all), 420);
        });
      }
      async load() {
        try {
          return JSON.parse(await (0, import_promises60.readFile)(this.file, "utf8"));
        } catch {
          return {};
        }
      }
    };
  }
});

// packages/core/src/repository/oci/location.ts
function parseOciLocation(location, plainHttp = false) {
  const s = location.trim();
  if (!s.startsWith("oci://")) throw new UsageError(`'${location}' is not an OCI location; write oci://host[:port]/namespace`);
  const rest = s.slice("oci://".length).replace(/\/+$/, "");
  if (rest.includes("@"))
    throw new UsageError(`'${location}' holds credentials; pass them in DBCLONE_REGISTRY_USER / DBCLONE_REGISTRY_PASSWORD or ~/.docker/config.json instead`);
  const slash = rest.indexOf("/");
  const registry2 = slash < 0 ? rest : rest.slice(0, slash);
  const namespace = slash < 0 ? "" : rest.slice(slash + 1);
  if (!/^(\[[0-9a-f:]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(registry2)) {
    throw new UsageError(`'${location}': registry host '${registry2}' is not a host[:port]; write oci://ghcr.io/my-org`);
  }
  if (namespace && !NAMESPACE.test(namespace)) {
    throw new UsageError(`'${location}': namespace '${namespace}' must be lowercase letters, digits, '.', '_', '-' in '/'-separated segments`);
  }
  const scheme = plainHttp || LOOPBACK.test(registry2) ? "http" : "https";
  return { registry: registry2, baseUrl: `${scheme}://${registry2}`, namespace, display: `oci://${registry2}${namespace ? `/${namespace}` : ""}` };
}
function repositoryOf(loc, name) {
  return loc.namespace ? `${loc.namespace}/${name}` : name;
}
var LOOPBACK, NAMESPACE;
var init_location = __esm({
  "packages/core/src/repository/oci/location.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/;
    NAMESPACE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
  }
});

// packages/core/src/repository/oci/manifests.ts
async function getManifest(client, repo, reference) {
  if (!isValidTag(reference) && !isValidDigest(reference)) {
    throw new RepositoryError(`'${reference.slice(0, 140)}' is neither a tag nor a sha256 digest; nothing was requested`);
  }
  const res = await client.expect(
    { method: "GET", path: `/v2/${repo}/manifests/${reference}`, scope: scopeFor(repo, "pull"), headers: { accept: ACCEPT } },
    [200, 404],
    `reading manifest ${repo}:${reference}`
  );
  if (res.status === 404) {
    await res.body?.cancel();
    return void 0;
  }
  const bytes = await readCapped(res, MAX_MANIFEST_BYTES, `manifest ${repo}:${reference} in ${client.location.display}`);
  const digest = sha256(bytes);
  if (reference.startsWith("sha256:") && digest !== reference) {
    throw new DigestMismatchError(
      `manifest ${repo}@${reference} from ${client.location.display} hashes to ${digest}: the registry returned other bytes; do not use this registry copy`
    );
  }
  let parsed;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new RepositoryError(
      `manifest ${repo}:${reference} in ${client.location.display} is not JSON (${e.message}); it was not pushed by dbclone`
    );
  }
  return { bytes, digest, manifest: checkManifestShape(parsed, `manifest ${repo}:${reference} in ${client.location.display}`) };
}
async function headManifest(client, repo, reference) {
  const res = await client.expect(
    { method: "HEAD", path: `/v2/${repo}/manifests/${reference}`, scope: scopeFor(repo, "pull"), headers: { accept: ACCEPT } },
    [200, 404],
    `checking tag ${repo}:${reference}`
  );
  await res.body?.cancel();
  if (res.status === 404) return void 0;
  const header = res.headers.get("docker-content-digest");
  return header && isValidDigest(header) ? header : (await getManifest(client, repo, reference))?.digest;
}
async function putManifest(client, repo, tag, bytes, mediaType = OCI_MANIFEST_MEDIA_TYPE) {
  const res = await client.expect(
    { method: "PUT", path: `/v2/${repo}/manifests/${tag}`, scope: scopeFor(repo, "pull,push"), body: bytes, headers: { "content-type": mediaType } },
    [201],
    `writing tag ${repo}:${tag}`
  );
  await res.body?.cancel();
  return sha256(bytes);
}
async function deleteManifest(client, repo, reference) {
  const res = await client.send({ method: "DELETE", path: `/v2/${repo}/manifests/${reference}`, scope: scopeFor(repo, "delete") });
  if (res.status === 202 || res.status === 200) return void await res.body?.cancel();
  const detail = await errorText(res);
  if (res.status === 405 || res.status === 400 || /UNSUPPORTED/.test(detail)) {
    throw new NotSupportedError(
      `${client.location.display} does not allow deleting ${repo}:${reference} (HTTP ${res.status}${detail ? `: ${detail}` : ""}); enable deletion in the registry (distribution: storage.delete.enabled) or delete it in the registry's own UI`
    );
  }
  if (res.status === 404) throw new ImageNotFoundError(`${repo}:${reference} is not in ${client.location.display}; nothing to delete`);
  throw new RepositoryError(`deleting ${repo}:${reference} in ${client.location.display} failed with HTTP ${res.status}${detail ? ` (${detail})` : ""}`);
}
async function listTags(client, repo, pageSize = 1e3) {
  return listPaged(client, `/v2/${repo}/tags/list`, "tags", scopeFor(repo, "pull"), pageSize);
}
async function listCatalog(client, pageSize = 1e3) {
  try {
    return await listPaged(client, "/v2/_catalog", "repositories", "registry:catalog:*", pageSize);
  } catch (e) {
    if (e instanceof RepositoryError && !(e instanceof UnreachableError)) return void 0;
    throw e;
  }
}
async function listPaged(client, base, key, scope, pageSize) {
  const all = [];
  let next = `${base}?n=${pageSize}`;
  for (let pages = 0; next && pages < 1e4; pages++) {
    const res = await client.expect({ method: "GET", path: next, scope }, [200, 404], `listing ${base}`);
    if (res.status === 404) {
      await res.body?.cancel();
      return all;
    }
    const body = await readCapped(res, MAX_TAG_PAGE_BYTES, `the list at ${base}`);
    let page;
    try {
      page = JSON.parse(body.toString("utf8"))[key] ?? [];
    } catch (e) {
      throw new RepositoryError(`the list at ${base} in ${client.location.display} is not JSON (${e.message})`);
    }
    if (!Array.isArray(page)) throw new RepositoryError(`the list at ${base} in ${client.location.display} has no ${key} array`);
    const names = page.filter((n) => typeof n === "string" && (key === "tags" ? isValidTag(n) : /^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/.test(n)));
    all.push(...names);
    next = nextLink(res.headers.get("link"));
    if (!next && page.length === pageSize && names.length > 0) next = `${base}?n=${pageSize}&last=${encodeURIComponent(names[names.length - 1])}`;
  }
  return all;
}
function nextLink(header) {
  const m = header ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(header) : null;
  return m ? m[1] : void 0;
}
async function getSmallBlob(client, repo, digest, maxBytes = MAX_CONFIG_BYTES) {
  if (!isValidDigest(digest))
    throw new RepositoryError(`blob digest '${digest.slice(0, 80)}' of ${repo} is not sha256:<64 lowercase hex>; nothing was requested`);
  const res = await client.expect({ method: "GET", path: `/v2/${repo}/blobs/${digest}`, scope: scopeFor(repo, "pull") }, [200, 404], `reading blob ${digest}`);
  if (res.status === 404) {
    await res.body?.cancel();
    throw new RepositoryError(`blob ${digest} of ${repo} is missing from ${client.location.display}; the image is damaged: publish it again`);
  }
  const bytes = await readCapped(res, maxBytes, `blob ${digest} of ${repo}`);
  if (sha256(bytes) !== digest) {
    throw new DigestMismatchError(
      `blob ${digest} of ${repo} in ${client.location.display} hashes to ${sha256(bytes)}: the registry copy is corrupt; publish the image again`
    );
  }
  return bytes;
}
function sha256(bytes) {
  return `sha256:${(0, import_node_crypto12.createHash)("sha256").update(bytes).digest("hex")}`;
}
var import_node_crypto12, ACCEPT;
var init_manifests = __esm({
  "packages/core/src/repository/oci/manifests.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_crypto12 = require("node:crypto");
    init_errors();
    init_client2();
    init_descriptor();
    init_media_types();
    ACCEPT = [OCI_MANIFEST_MEDIA_TYPE, "application/vnd.docker.distribution.manifest.v2+json"].join(", ");
  }
});

// packages/core/src/repository/oci/blob-upload.ts
async function blobExists(client, repo, digest) {
  const res = await client.expect(
    { method: "HEAD", path: `/v2/${repo}/blobs/${digest}`, scope: scopeFor(repo, "pull,push") },
    [200, 404],
    `checking blob ${digest}`
  );
  await res.body?.cancel();
  return res.status === 200;
}
async function mountBlob(client, repo, digest, from) {
  const q = new URLSearchParams({ mount: digest, from });
  const res = await client.send({ method: "POST", path: `/v2/${repo}/blobs/uploads/?${q}`, scope: `${scopeFor(repo, "pull,push")} ${scopeFor(from, "pull")}` });
  await res.body?.cancel();
  if (res.status === 201) return true;
  const location = res.headers.get("location");
  if (res.status === 202 && location)
    await client.send({ method: "DELETE", path: client.url(absolute(client, location)), scope: scopeFor(repo, "pull,push") }).then((r) => r.body?.cancel()).catch(() => void 0);
  return false;
}
async function uploadSmallBlob(client, repo, data, digest) {
  if (await blobExists(client, repo, digest)) return;
  const location = await startUpload(client, repo);
  const url = withDigest(absolute(client, location), digest);
  const res = await client.expect(
    {
      method: "PUT",
      path: url,
      scope: scopeFor(repo, "pull,push"),
      body: data,
      headers: { "content-type": "application/octet-stream", "content-length": String(data.length) }
    },
    [201, 204],
    `uploading blob ${digest} to ${repo}`
  );
  await res.body?.cancel();
}
async function uploadStream(client, repo, source, chunkSize, onBytes) {
  const scope = scopeFor(repo, "pull,push");
  let location = absolute(client, await startUpload(client, repo));
  const hash = (0, import_node_crypto13.createHash)("sha256");
  let chunk = Buffer.allocUnsafe(chunkSize);
  let spare = Buffer.allocUnsafe(chunkSize);
  let filled = 0;
  let sent = 0;
  let inFlight = Promise.resolve();
  const patch = async (body, start2) => {
    let have = start2;
    const sendRest = async () => {
      const part = body.subarray(have - start2);
      if (part.length === 0) return;
      const res2 = await client.send({
        method: "PATCH",
        path: location,
        scope,
        body: part,
        retry: false,
        headers: { "content-type": "application/octet-stream", "content-range": `${have}-${have + part.length - 1}`, "content-length": String(part.length) }
      });
      if (res2.status === 202) {
        await res2.body?.cancel();
        location = absolute(client, res2.headers.get("location") ?? location);
        return;
      }
      const detail = await errorText(res2);
      if (res2.status >= 500 || res2.status === 429 || res2.status === 416) {
        throw new TransientRegistryError(
          `${client.location.display} answered HTTP ${res2.status} to a chunk of ${repo}`,
          `HTTP ${res2.status}`,
          retryAfterMs(res2.headers.get("retry-after"))
        );
      }
      throw new RepositoryError(
        `uploading a chunk of ${repo} failed: PATCH ${client.location.display} answered HTTP ${res2.status}${detail ? ` (${detail})` : ""}`
      );
    };
    const resync = async () => {
      const status = await uploadStatus(client, location, scope);
      location = status.location;
      if (status.offset < start2 || status.offset > start2 + body.length) {
        throw new RepositoryError(
          `the registry's upload to ${repo} is at byte ${status.offset}, outside the chunk ${start2}-${start2 + body.length - 1} being re-sent; push again`
        );
      }
      have = status.offset;
    };
    await withRetries(`uploading a chunk of ${repo}`, client.retry, client.reporter, sendRest, resync, (e) => e instanceof UploadSessionLostError);
    onBytes?.(start2 + body.length);
  };
  const flush = async () => {
    await inFlight;
    if (filled === 0) return;
    const body = chunk.subarray(0, filled);
    inFlight = patch(body, sent);
    inFlight.catch(() => void 0);
    sent += filled;
    filled = 0;
    [chunk, spare] = [spare, chunk];
  };
  for await (const piece of source) {
    hash.update(piece);
    let offset = 0;
    while (offset < piece.length) {
      const n = Math.min(piece.length - offset, chunkSize - filled);
      piece.copy(chunk, filled, offset, offset + n);
      filled += n;
      offset += n;
      if (filled === chunkSize) await flush();
    }
  }
  await flush();
  await inFlight;
  const digest = `sha256:${hash.digest("hex")}`;
  const res = await client.send({ method: "PUT", path: withDigest(location, digest), scope, headers: { "content-length": "0" } });
  await res.body?.cancel();
  const done = res.status === 201 || res.status === 204 || res.status === 404 && await blobExists(client, repo, digest);
  if (!done) throw new RepositoryError(`finishing the upload of ${digest} to ${repo} failed: PUT ${client.location.display} answered HTTP ${res.status}`);
  return { digest, size: sent };
}
async function uploadStatus(client, location, scope) {
  const res = await client.expect({ method: "GET", path: location, scope }, [204, 404], "asking the registry how far an upload got");
  await res.body?.cancel();
  if (res.status === 404) throw new UploadSessionLostError(`the registry dropped the upload session after a failed chunk`, "upload session lost");
  const range = /^(?:bytes=)?0-(\d+)$/.exec(res.headers.get("range") ?? "");
  const last = range ? Number(range[1]) : 0;
  return { offset: last > 0 ? last + 1 : 0, location: absolute(client, res.headers.get("location") ?? location) };
}
async function startUpload(client, repo) {
  const res = await client.expect(
    { method: "POST", path: `/v2/${repo}/blobs/uploads/`, scope: scopeFor(repo, "pull,push"), headers: { "content-length": "0" } },
    [202],
    `starting an upload to ${repo}`
  );
  await res.body?.cancel();
  const location = res.headers.get("location");
  if (!location) throw new RepositoryError(`the registry opened an upload to ${repo} without a Location header; it does not follow the OCI distribution spec`);
  return location;
}
function absolute(client, location) {
  return client.url(location.startsWith("/") || /^https?:/.test(location) ? location : `/${location}`);
}
function withDigest(location, digest) {
  const url = new URL(location);
  url.searchParams.set("digest", digest);
  return url.toString();
}
var import_node_crypto13, UploadSessionLostError;
var init_blob_upload = __esm({
  "packages/core/src/repository/oci/blob-upload.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_crypto13 = require("node:crypto");
    init_errors();
    init_client2();
    init_retry_policy();
    UploadSessionLostError = class extends TransientRegistryError {
    };
  }
});

// packages/core/src/repository/oci/push-image.ts
function versionExistsError(repo, version2, display) {
  return new VersionExistsError(`image ${repo} version ${version2} already exists in ${display}; versions are immutable: choose a new version`);
}
async function pushImage(client, repo, manifest, diskFile, settings, opts) {
  const display = client.location.display;
  if (await headManifest(client, repo, manifest.version)) throw versionExistsError(repo, manifest.version, display);
  const layer = await pushDiskLayer(client, repo, manifest, diskFile, settings, opts);
  const config2 = Buffer.from(canonicalJson(manifest));
  const id = manifestDigest(manifest);
  await uploadSmallBlob(client, repo, config2, id);
  const annotations = {
    [ANNOTATION_IMAGE_NAME]: manifest.name,
    [ANNOTATION_IMAGE_VERSION]: manifest.version,
    [ANNOTATION_IMAGE_ID]: id,
    [ANNOTATION_CREATED]: manifest.created,
    ...manifest.parent ? { [ANNOTATION_PARENT]: manifest.parent } : {}
  };
  const oci = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    artifactType: IMAGE_ARTIFACT_TYPE,
    config: { mediaType: IMAGE_CONFIG_MEDIA_TYPE, digest: id, size: config2.length },
    layers: [layer],
    annotations
  };
  if (await headManifest(client, repo, manifest.version)) throw versionExistsError(repo, manifest.version, display);
  await putManifest(client, repo, manifest.version, Buffer.from(canonicalJson(oci)));
  return { name: manifest.name, version: manifest.version, manifestDigest: id, manifest };
}
async function pushDiskLayer(client, repo, manifest, diskFile, settings, opts) {
  const here = `${client.location.registry}/${repo}`;
  const known = await settings.knownLayers.get(manifest.disk.digest);
  if (known) {
    if (await blobExists(client, repo, known.layer.digest)) return known.layer;
    for (const source of known.repositories) {
      const [registry2, ...rest] = source.split("/");
      if (registry2 !== client.location.registry || source === here) continue;
      if (await mountBlob(client, repo, known.layer.digest, rest.join("/"))) {
        await settings.knownLayers.remember(manifest.disk.digest, known.layer, here);
        return known.layer;
      }
    }
  }
  let diskHash = (0, import_node_crypto14.createHash)("sha256");
  let read = 0;
  const total = manifest.disk.sizeBytes;
  async function* compressed() {
    const gzip = (0, import_node_zlib2.createGzip)({ level: settings.compressionLevel, chunkSize: 1 << 20 });
    const input = (0, import_node_fs33.createReadStream)(diskFile, { highWaterMark: 1 << 20 });
    input.on("data", (c) => {
      diskHash.update(c);
      read += c.length;
      opts.onProgress?.(read, total);
    });
    input.on("error", (e) => gzip.destroy(e));
    input.pipe(gzip);
    try {
      for await (const c of gzip) yield c;
    } finally {
      input.destroy();
      gzip.destroy();
    }
  }
  const uploaded = await withRetries(`uploading the disk layer of ${repo}`, client.retry, client.reporter, () => {
    diskHash = (0, import_node_crypto14.createHash)("sha256");
    read = 0;
    return uploadStream(client, repo, compressed(), settings.chunkSizeBytes);
  });
  const got = `sha256:${diskHash.digest("hex")}`;
  if (got !== manifest.disk.digest || read !== total) {
    throw new DigestMismatchError(
      `disk file ${diskFile} hashes to ${got} (${read} bytes) but the manifest says ${manifest.disk.digest} (${total} bytes); rebuild the manifest from this file`
    );
  }
  const layer = {
    mediaType: diskLayerMediaType(manifest.platform.diskFormat, "gzip"),
    digest: uploaded.digest,
    size: uploaded.size,
    annotations: {
      [ANNOTATION_UNCOMPRESSED_DIGEST]: manifest.disk.digest,
      [ANNOTATION_UNCOMPRESSED_SIZE]: String(total),
      "org.opencontainers.image.title": `${manifest.name}-${manifest.version}.${manifest.platform.diskFormat}.gz`
    }
  };
  await settings.knownLayers.remember(manifest.disk.digest, layer, here);
  return layer;
}
var import_node_fs33, import_node_crypto14, import_node_zlib2;
var init_push_image = __esm({
  "packages/core/src/repository/oci/push-image.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs33 = require("node:fs");
    import_node_crypto14 = require("node:crypto");
    import_node_zlib2 = require("node:zlib");
    init_errors();
    init_digest();
    init_retry_policy();
    init_blob_upload();
    init_manifests();
    init_media_types();
  }
});

// packages/core/src/repository/oci/tag-scan.ts
function isDbcloneManifest(f) {
  return f.manifest.artifactType === IMAGE_ARTIFACT_TYPE || f.manifest.config?.mediaType === IMAGE_CONFIG_MEDIA_TYPE;
}
async function scanTags(client, repo) {
  const out = [];
  for (const tag of await listTags(client, repo)) {
    const fetched = await getManifest(client, repo, tag);
    if (!fetched || !isDbcloneManifest(fetched)) continue;
    const a = fetched.manifest.annotations ?? {};
    out.push({ ...fetched, tag, version: a[ANNOTATION_IMAGE_VERSION], imageId: a[ANNOTATION_IMAGE_ID] ?? fetched.manifest.config.digest });
  }
  return out;
}
function movableTags(scanned) {
  const tags = {};
  for (const t of scanned) if (t.version && t.version !== t.tag) tags[t.tag] = t.version;
  return tags;
}
var init_tag_scan = __esm({
  "packages/core/src/repository/oci/tag-scan.ts"() {
    "use strict";
    init_import_meta_url();
    init_manifests();
    init_media_types();
  }
});

// packages/core/src/repository/oci/audit-artifacts.ts
function checkId(id, what) {
  if (!ID.test(id)) throw new RepositoryError(`${what} '${id.slice(0, 40)}' must be 12-16 lowercase hex characters`);
}
function parseSegment(raw, tag) {
  const s = raw;
  const ok = s && typeof s.runner === "string" && ID.test(s.runner) && isSeq(s.fromSeq) && isSeq(s.toSeq) && s.fromSeq <= s.toSeq && isHash(s.headHash) && (s.previous === void 0 || typeof s.previous === "string" && /^seg-[0-9a-f]{12,16}-\d{1,15}$/.test(s.previous));
  if (!ok) throw new RepositoryError(`audit segment ${tag} has an invalid description (runner, fromSeq, toSeq, headHash, previous)`);
  return s;
}
var AUDIT_REPOSITORY, SEGMENT_TYPE, EVENTS_TYPE, ANCHOR_TYPE, ID, MAX_SEGMENTS, OciAuditArtifacts, isHash, isSeq;
var init_audit_artifacts = __esm({
  "packages/core/src/repository/oci/audit-artifacts.ts"() {
    "use strict";
    init_import_meta_url();
    init_anchor();
    init_errors();
    init_digest();
    init_blob_upload();
    init_manifests();
    init_media_types();
    AUDIT_REPOSITORY = "dbclone-audit";
    SEGMENT_TYPE = "application/vnd.dbclone.audit.segment.v1+json";
    EVENTS_TYPE = "application/vnd.dbclone.audit.events.v1+jsonl";
    ANCHOR_TYPE = "application/vnd.dbclone.audit.anchor.v1+json";
    ID = /^[0-9a-f]{12,16}$/;
    MAX_SEGMENTS = 1e5;
    OciAuditArtifacts = class {
      constructor(client, repo) {
        this.client = client;
        this.repo = repo;
      }
      client;
      repo;
      async publishSegment(info, events) {
        checkId(info.runner, "runner id");
        const tag = `seg-${info.runner}-${info.toSeq}`;
        const config2 = { ...info, publishedAt: (/* @__PURE__ */ new Date()).toISOString() };
        await this.putArtifact(tag, SEGMENT_TYPE, config2, EVENTS_TYPE, events);
        await this.putArtifact(`runner-${info.runner}`, SEGMENT_TYPE, config2, EVENTS_TYPE, events);
        return tag;
      }
      /** Runner ids with a chain in the registry. */
      async runners() {
        return (await listTags(this.client, this.repo)).map((t) => /^runner-([0-9a-f]{12,16})$/.exec(t)?.[1]).filter((r) => !!r).sort();
      }
      /** A runner's segments, oldest first, and their event lines in order. */
      async readChain(runner) {
        checkId(runner, "runner id");
        const segments = [];
        let tag = `runner-${runner}`;
        while (tag) {
          if (segments.length >= MAX_SEGMENTS)
            throw new RepositoryError(`the audit chain of runner ${runner} in ${this.where()} has more than ${MAX_SEGMENTS} segments or a loop`);
          const read = await this.readArtifact(tag, SEGMENT_TYPE);
          if (!read) throw new RepositoryError(`segment ${tag} of runner ${runner} is missing from ${this.where()}: the chain is broken`);
          const info = parseSegment(read.config, tag);
          if (info.runner !== runner) throw new RepositoryError(`segment ${tag} in ${this.where()} names runner ${info.runner}, not ${runner}`);
          segments.unshift({
            info,
            lines: read.layer.toString("utf8").split("\n").filter((l) => l.length > 0)
          });
          tag = info.previous;
        }
        return { segments: segments.map((s) => s.info), lines: segments.flatMap((s) => s.lines) };
      }
      async putAnchor(anchor2) {
        checkId(anchor2.logId, "log id");
        const tag = `anchor-${anchor2.logId}-${anchor2.seq}`;
        await this.putArtifact(tag, ANCHOR_TYPE, anchor2, ANCHOR_TYPE, Buffer.from(canonicalJson(anchor2)));
        return tag;
      }
      async newestAnchor(logId) {
        checkId(logId, "log id");
        const prefix = `anchor-${logId}-`;
        const seqs = (await listTags(this.client, this.repo)).filter((t) => t.startsWith(prefix) && /^\d{1,15}$/.test(t.slice(prefix.length))).map((t) => Number(t.slice(prefix.length)));
        if (seqs.length === 0) return void 0;
        const tag = `${prefix}${Math.max(...seqs)}`;
        const read = await this.readArtifact(tag, ANCHOR_TYPE);
        if (!read) return void 0;
        return { tag, anchor: parseAnchor(read.config, `${this.where()}:${tag}`) };
      }
      async putArtifact(tag, configType, config2, layerType, layer) {
        const configBytes = Buffer.from(canonicalJson(config2));
        const configDigest = sha256(configBytes);
        const layerDigest = sha256(layer);
        await uploadSmallBlob(this.client, this.repo, configBytes, configDigest);
        await uploadSmallBlob(this.client, this.repo, layer, layerDigest);
        const manifest = {
          schemaVersion: 2,
          mediaType: OCI_MANIFEST_MEDIA_TYPE,
          artifactType: configType,
          config: { mediaType: configType, digest: configDigest, size: configBytes.length },
          layers: [{ mediaType: layerType, digest: layerDigest, size: layer.length }]
        };
        await putManifest(this.client, this.repo, tag, Buffer.from(canonicalJson(manifest)));
      }
      async readArtifact(tag, configType) {
        const fetched = await getManifest(this.client, this.repo, tag);
        if (!fetched) return void 0;
        const m = fetched.manifest;
        if (m.config?.mediaType !== configType || !Array.isArray(m.layers) || m.layers.length !== 1) {
          throw new RepositoryError(`${this.where()}:${tag} is not a dbclone audit artifact`);
        }
        const config2 = JSON.parse((await getSmallBlob(this.client, this.repo, m.config.digest, 64 << 10)).toString("utf8"));
        const layer = await getSmallBlob(this.client, this.repo, m.layers[0].digest, 64 << 20);
        return { config: config2, layer };
      }
      where() {
        return `${this.client.location.display}/${AUDIT_REPOSITORY}`;
      }
    };
    isHash = (v) => typeof v === "string" && /^sha256:[0-9a-f]{64}$/.test(v);
    isSeq = (v) => Number.isSafeInteger(v) && v >= 0;
  }
});

// packages/core/src/repository/oci/audit-publisher.ts
function seqOf(line) {
  try {
    const seq = JSON.parse(line).seq;
    return typeof seq === "number" ? seq : void 0;
  } catch {
    return void 0;
  }
}
var import_node_crypto15, import_promises61, import_node_path67, RunnerChainPublisher;
var init_audit_publisher = __esm({
  "packages/core/src/repository/oci/audit-publisher.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_crypto15 = require("node:crypto");
    import_promises61 = require("node:fs/promises");
    import_node_path67 = __toESM(require("node:path"), 1);
    init_audit();
    init_file_lock();
    init_errors();
    init_durable_write();
    RunnerChainPublisher = class {
      constructor(logDir, audit2, artifacts) {
        this.logDir = logDir;
        this.audit = audit2;
        this.artifacts = artifacts;
      }
      logDir;
      audit;
      artifacts;
      /** This runner's id: 12 random hex characters, made once per cache directory and registry. */
      async runnerId() {
        const file = import_node_path67.default.join(this.logDir, "runner-id");
        const existing = (await (0, import_promises61.readFile)(file, "utf8").catch(() => "")).trim();
        if (/^[0-9a-f]{12}$/.test(existing)) return existing;
        await (0, import_promises61.mkdir)(this.logDir, { recursive: true });
        const id = (0, import_node_crypto15.randomBytes)(6).toString("hex");
        await (0, import_promises61.writeFile)(file, `${id}
`, { flag: "wx", mode: 420 }).catch(() => void 0);
        return (await (0, import_promises61.readFile)(file, "utf8")).trim();
      }
      /** Publish the events not yet in the registry as one segment; returns how many. */
      async publish() {
        await (0, import_promises61.mkdir)(this.logDir, { recursive: true });
        return withFileLock(import_node_path67.default.join(this.logDir, "published.json"), async () => {
          const state = await this.readState();
          const lines = [];
          for await (const line of this.audit.rawLines()) {
            const seq = seqOf(line);
            if (seq !== void 0 && seq > state.seq) lines.push(line);
          }
          if (lines.length === 0) return 0;
          const walk2 = await walkChain(lines, { from: { seq: state.seq, hash: state.hash } });
          if (!walk2.ok || walk2.events === 0) {
            throw new RepositoryError(
              `the local audit log ${this.audit.filePath} does not continue the chain this runner published (${walk2.problem?.reason ?? "no events"}); run dbclone audit --verify`
            );
          }
          const published = lines.slice(0, walk2.events);
          const tag = await (await this.artifacts()).publishSegment(
            {
              runner: await this.runnerId(),
              fromSeq: state.seq + 1,
              toSeq: walk2.last.seq,
              headHash: walk2.last.hash,
              ...state.tag ? { previous: state.tag } : {}
            },
            Buffer.from(`${published.join("\n")}
`)
          );
          await this.writeState({ seq: walk2.last.seq, hash: walk2.last.hash, tag });
          return published.length;
        });
      }
      async readState() {
        try {
          const s = JSON.parse(await (0, import_promises61.readFile)(import_node_path67.default.join(this.logDir, "published.json"), "utf8"));
          if (Number.isSafeInteger(s.seq) && typeof s.hash === "string") return s;
        } catch {
        }
        return { seq: 0, hash: GENESIS_HASH };
      }
      async writeState(s) {
        const file = import_node_path67.default.join(this.logDir, "published.json");
        await writeFileAtomic(file, `${JSON.stringify(s)}
`, 420);
      }
    };
  }
});

// packages/core/src/repository/oci/oci-repository.ts
var import_node_path68, import_promises62, OciRepository;
var init_oci_repository = __esm({
  "packages/core/src/repository/oci/oci-repository.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_path68 = __toESM(require("node:path"), 1);
    init_audit();
    init_errors();
    init_digest();
    init_manifest();
    init_reference();
    init_reporter();
    init_blob_cache();
    init_cache_dir();
    init_fs_publish();
    init_blob_download();
    init_descriptor();
    init_client2();
    init_credentials();
    init_known_layers();
    init_location();
    init_manifests();
    init_media_types();
    init_push_image();
    init_tag_scan();
    init_retry_policy();
    import_promises62 = require("node:fs/promises");
    init_audit_artifacts();
    init_audit_publisher();
    init_audit_after_work();
    init_disk_full();
    init_partial_files();
    OciRepository = class {
      constructor(location, opts = {}) {
        this.opts = opts;
        this.oci = parseOciLocation(location, opts.plainHttp);
        this.location = this.oci.display;
        this.reporter = opts.reporter ?? silentReporter;
        const cacheDir = import_node_path68.default.resolve(opts.cacheDir ?? defaultCacheDir(opts.env));
        this.cache = new BlobCache(cacheDir, { ...opts.cache, reporter: this.reporter });
        this.knownLayers = new KnownLayers(cacheDir);
        const logDir = import_node_path68.default.join(cacheDir, "audit", this.oci.registry.replace(/[^A-Za-z0-9.-]/g, "_"), this.oci.namespace || "_root");
        const publish = opts.publishAudit ?? (opts.env ?? process.env).DBCLONE_AUDIT_PUBLISH !== "0";
        this.audit = new AuditLog(import_node_path68.default.join(logDir, "events.jsonl"), void 0, publish ? { afterAppend: () => this.publishAuditChain() } : {});
        this.auditChain = new RunnerChainPublisher(logDir, this.audit, () => this.auditArtifacts());
      }
      opts;
      location;
      audit;
      oci;
      cache;
      /** How the last download went (for progress messages and tests). */
      lastDownload;
      /** The retries the last push or pull needed, and why. */
      lastOperation;
      reporter;
      knownLayers;
      client;
      auditChain;
      async push(input, diskFile, opts = {}) {
        const manifest = validateManifest(input, "manifest to publish");
        await checkDiskFile(manifest, diskFile);
        const label = `${manifest.name}:${manifest.version}`;
        const context = { runUrl: manifest.build.runUrl, commit: manifest.git?.commit };
        try {
          const client = await this.registry();
          const published = await asRegistryOperation(`push of ${label}`, client.retry, this.reporter, (op) => {
            this.lastOperation = op;
            return pushImage(client, this.repo(manifest.name), manifest, diskFile, this.pushSettings(), opts);
          });
          await recordDoneWork(
            this.audit,
            { action: "publish", outcome: "success", image: label, digest: published.manifestDigest, detail: `to ${this.location}`, ...context },
            this.reporter
          );
          return published;
        } catch (e) {
          if (e instanceof VersionExistsError || e instanceof DigestMismatchError)
            await this.record({ action: "publish", outcome: "failure", image: label, detail: e.message, ...context });
          throw e;
        }
      }
      async resolve(ref) {
        if (ref.variant)
          throw new NotSupportedError(`'${formatImageRef(ref)}': masking variants (name+variant) are reserved syntax; OCI repositories do not store variants yet`);
        const client = await this.registry();
        const repo = this.repo(ref.name);
        if (ref.digest) {
          const hit = (await scanTags(client, repo)).find((t) => t.imageId === ref.digest && t.version === t.tag && (!ref.version || ref.version === t.version));
          if (!hit) throw this.notFound(formatImageRef(ref), "no version has that digest");
          return this.published(repo, hit);
        }
        const wanted = ref.version ?? "latest";
        const fetched = await getManifest(client, repo, wanted);
        if (!fetched || !isDbcloneManifest(fetched))
          throw this.notFound(`${ref.name}:${wanted}`, fetched ? "that tag is not a dbclone image" : `no version or tag '${wanted}'`);
        return this.published(repo, fetched);
      }
      /** The verified, decompressed disk in the local cache (downloaded once per runner). */
      async pull(image, opts = {}) {
        const label = `${image.name}:${image.version}`;
        const repo = this.repo(image.name);
        try {
          const result = await this.cache.obtain(
            image.manifest.disk.digest,
            (target) => asRegistryOperation(`pull of ${label}`, this.retrySettings(), this.reporter, async (op) => {
              this.lastOperation = op;
              const client = await this.registry();
              const fetched = await getManifest(client, repo, image.version);
              if (!fetched || (fetched.manifest.annotations?.[ANNOTATION_IMAGE_ID] ?? fetched.manifest.config.digest) !== image.manifestDigest) {
                throw this.notFound(`${label}@${image.manifestDigest}`, "the version tag no longer points at this image; resolve it again");
              }
              const { layer } = checkImageManifest(fetched.manifest, `${label} in ${this.location}`);
              if (!layer) throw new NotSupportedError(`${label} in ${this.location} has no dbclone disk layer; it was not pushed by dbclone`);
              this.lastDownload = await withRetries(`downloading ${layer.digest.slice(0, 19)}\u2026`, client.retry, this.reporter, async () => {
                await (0, import_promises62.rm)(target.tempFile, { force: true });
                const signal2 = opts.signal ? AbortSignal.any([opts.signal, target.signal]) : target.signal;
                return downloadLayer({
                  client,
                  repo,
                  layer,
                  expected: image.manifest.disk,
                  tempFile: target.tempFile,
                  partialDir: target.partialDir,
                  onProgress: opts.onProgress,
                  signal: signal2
                });
              });
              await this.knownLayers.remember(image.manifest.disk.digest, layer, `${this.oci.registry}/${repo}`);
            })
          );
          if (!result.downloaded) this.lastDownload = void 0;
          await this.record({
            action: "pull",
            outcome: "success",
            image: label,
            digest: image.manifestDigest,
            detail: result.downloaded ? `downloaded from ${this.location}` : "from the local cache"
          });
          return result.path;
        } catch (e) {
          if (e instanceof DigestMismatchError)
            await this.record({ action: "pull", outcome: "failure", image: label, digest: image.manifestDigest, detail: e.message });
          const full = await diskFullError(e, [this.cache.dir], `pulling ${label} into the cache`);
          if (full) await removeOwnPartials(this.cache.partialDir);
          throw full ?? e;
        }
      }
      async list(name) {
        const names = name ? [name] : await this.catalog();
        const out = [];
        for (const n of names) {
          const scanned = await scanTags(await this.registry(), this.repo(n));
          const tags = movableTags(scanned);
          for (const t of scanned.filter((s) => s.version === s.tag)) {
            const a = t.manifest.annotations ?? {};
            const layer = t.manifest.layers.find((l) => layerCompression(l.mediaType) !== void 0);
            out.push({
              name: n,
              version: t.tag,
              manifestDigest: t.imageId,
              created: a[ANNOTATION_CREATED] ?? "",
              diskSizeBytes: Number(layer?.annotations?.[ANNOTATION_UNCOMPRESSED_SIZE] ?? layer?.size ?? 0),
              tags: Object.entries(tags).filter(([, v]) => v === t.tag).map(([k]) => k).sort(),
              ...a[ANNOTATION_PARENT] ? { parent: a[ANNOTATION_PARENT] } : {}
            });
          }
        }
        return out.sort((a, b) => a.name.localeCompare(b.name) || a.created.localeCompare(b.created) || a.version.localeCompare(b.version));
      }
      async tags(name) {
        return movableTags(await scanTags(await this.registry(), this.repo(name)));
      }
      async tag(image, tag) {
        if (!VERSION_PATTERN.test(tag)) throw new UsageError(`tag '${tag}' must be 1-128 of A-Z a-z 0-9 _ . - and not start with . or -`);
        const client = await this.registry();
        const repo = this.repo(image.name);
        const version2 = await this.mustExist(repo, image);
        const existing = await getManifest(client, repo, tag);
        if (existing && existing.manifest.annotations?.[ANNOTATION_IMAGE_VERSION] === tag) {
          throw new UsageError(`'${tag}' is a version of image ${image.name}; a tag must not shadow a version: choose another tag`);
        }
        await putManifest(client, repo, tag, version2.bytes, version2.manifest.mediaType);
        await this.record({ action: "tag", outcome: "success", image: `${image.name}:${image.version}`, digest: image.manifestDigest, detail: `tag ${tag}` });
      }
      async untag(name, tag) {
        const client = await this.registry();
        const repo = this.repo(name);
        const existing = await getManifest(client, repo, tag);
        if (!existing) throw this.notFound(`${name}:${tag}`, "no such tag; nothing to untag");
        if (existing.manifest.annotations?.[ANNOTATION_IMAGE_VERSION] === tag)
          throw new UsageError(`'${tag}' is a version of ${name}, not a movable tag; delete the version instead`);
        await deleteManifest(client, repo, tag);
        await this.record({ action: "untag", outcome: "success", image: name, detail: `tag ${tag}` });
      }
      /** Deletes the version's OCI manifest by digest; `force` also drops the movable tags that point at it. */
      async delete(image, opts) {
        const label = `${image.name}:${image.version}`;
        const client = await this.registry();
        const repo = this.repo(image.name);
        const version2 = await this.mustExist(repo, image);
        const scanned = await scanTags(client, repo);
        const users = [
          ...opts.force ? [] : scanned.filter((t) => t.digest === version2.digest && t.tag !== image.version).map((t) => `tag '${t.tag}'`),
          ...scanned.filter((t) => t.version === t.tag && t.manifest.annotations?.[ANNOTATION_PARENT] === image.manifestDigest).map((t) => `version ${image.name}:${t.tag} (its parent)`),
          ...opts.liveCloneDigests.includes(image.manifestDigest) ? ["a live clone"] : []
        ];
        if (users.length) {
          const detail = `still referenced by ${users.join(", ")}`;
          await this.record({ action: "delete", outcome: "failure", image: label, digest: image.manifestDigest, detail });
          throw new ImageInUseError(`cannot delete ${label}: ${detail}; untag it, delete child versions and tear down clones first`);
        }
        await deleteManifest(client, repo, version2.digest);
        await this.record({ action: "delete", outcome: "success", image: label, digest: image.manifestDigest, detail: `from ${this.location}` });
      }
      async published(repo, fetched) {
        const client = await this.registry();
        const { config: configDescriptor } = checkImageManifest(fetched.manifest, `${repo} in ${this.location}`);
        const config2 = await getSmallBlob(client, repo, configDescriptor.digest);
        const manifest = parseManifest(config2.toString("utf8"), `${this.location}/${repo}@${fetched.manifest.config.digest}`);
        return { name: manifest.name, version: manifest.version, manifestDigest: manifestDigest(manifest), manifest };
      }
      async mustExist(repo, image) {
        const fetched = await getManifest(await this.registry(), repo, image.version);
        if (!fetched || (fetched.manifest.annotations?.[ANNOTATION_IMAGE_ID] ?? fetched.manifest.config.digest) !== image.manifestDigest) {
          throw this.notFound(`${image.name}:${image.version}@${image.manifestDigest}`, "resolve it again");
        }
        return fetched;
      }
      /** Image names under our namespace, via /v2/_catalog (which many hosted registries do not offer). */
      async catalog() {
        const repos = await listCatalog(await this.registry());
        if (!repos)
          throw new NotSupportedError(
            `${this.location} does not list its repositories (no /v2/_catalog for these credentials); name the image to list its versions`
          );
        const prefix = this.oci.namespace ? `${this.oci.namespace}/` : "";
        return repos.filter((r) => r.startsWith(prefix)).map((r) => r.slice(prefix.length)).filter((n) => n !== AUDIT_REPOSITORY);
      }
      repo(name) {
        return repositoryOf(this.oci, name);
      }
      registry() {
        this.client ??= findCredentials(
          this.oci.registry,
          { credentials: this.opts.credentials, env: this.opts.env, dockerConfig: this.opts.dockerConfig },
          this.reporter
        ).then((creds) => new RegistryClient(this.oci, creds, this.opts.fetch ?? fetch, this.reporter, this.retrySettings()));
        return this.client;
      }
      /** The registry's audit artifacts: runner chains and anchors (`<namespace>/dbclone-audit`). */
      async auditArtifacts() {
        return new OciAuditArtifacts(await this.registry(), this.repo(AUDIT_REPOSITORY));
      }
      /** Push the events not yet published; a registry that fails is a warning (they go with the next segment). */
      async publishAuditChain() {
        try {
          await asRegistryOperation("audit chain publish", { ...this.retrySettings(), deadlineMs: 15e3 }, this.reporter, () => this.auditChain.publish());
        } catch (e) {
          this.reporter.warn(`could not publish this runner's audit events to ${this.location} (${e.message}); they will go with the next event`);
        }
      }
      retrySettings() {
        return retrySettingsFrom(this.opts.env ?? process.env, this.opts.retry);
      }
      pushSettings() {
        return { chunkSizeBytes: this.opts.chunkSizeBytes ?? 16 << 20, compressionLevel: this.opts.compressionLevel ?? 1, knownLayers: this.knownLayers };
      }
      notFound(what, why) {
        return new ImageNotFoundError(`image ${what} not found in ${this.location}: ${why}; list the repository's images to see what exists`);
      }
      async record(event) {
        try {
          await this.audit.append(event);
        } catch (e) {
          throw e instanceof DbcloneError ? e : new RepositoryError(`could not append to the local audit log ${this.audit.filePath}: ${e.message}`, { cause: e });
        }
      }
    };
  }
});

// packages/core/src/repository/open.ts
function directoryOf(location) {
  const s = location.trim();
  if (!s) throw new UsageError("repository location is empty; pass a directory path, a file:// URL or an oci:// reference");
  if (s.startsWith("oci://"))
    throw new NotSupportedError(`'${location}' is an OCI registry, which has no directory or config file; open it with openRepository`);
  if (s.startsWith("file://")) {
    try {
      return (0, import_node_url2.fileURLToPath)(s);
    } catch (e) {
      throw new UsageError(`repository location '${location}' is not a valid file:// URL (${e.message}); write file:///absolute/path`);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    throw new UsageError(`repository location '${location}' uses an unsupported scheme; pass a directory path, a file:// URL or an oci:// reference`);
  }
  return import_node_path69.default.resolve(s);
}
async function openRepository(location, opts = {}) {
  if (location.trim().startsWith("oci://")) {
    return new OciRepository(location.trim(), { ...opts.oci, ...opts.cacheDir ? { cacheDir: opts.cacheDir } : {} });
  }
  const dir = directoryOf(location);
  if (opts.mustExist && !(0, import_node_fs34.existsSync)(dir)) {
    throw new RepositoryError(`repository ${dir} does not exist: check the path, or make it by publishing an image to it`);
  }
  await assertUsableRoot(dir);
  await readConfigFile(new FsLayout(dir));
  return new FsRepository(dir, opts);
}
async function readRepositoryConfig(repository) {
  if (typeof repository === "string" && repository.trim().startsWith("oci://")) return {};
  if (typeof repository !== "string") {
    const withConfig = repository;
    return withConfig.readConfig ? withConfig.readConfig() : {};
  }
  const layout = new FsLayout(directoryOf(repository));
  return configOf(await readConfigFile(layout), layout.configFile);
}
var import_node_fs34, import_node_path69, import_node_url2;
var init_open = __esm({
  "packages/core/src/repository/open.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs34 = require("node:fs");
    import_node_path69 = __toESM(require("node:path"), 1);
    import_node_url2 = require("node:url");
    init_errors();
    init_fs();
    init_oci_repository();
    init_layout2();
  }
});

// packages/core/src/repository/oci/index.ts
var init_oci = __esm({
  "packages/core/src/repository/oci/index.ts"() {
    "use strict";
    init_import_meta_url();
    init_oci_repository();
    init_location();
    init_credentials();
    init_auth();
    init_media_types();
  }
});

// packages/core/src/repository/cache/index.ts
var init_cache = __esm({
  "packages/core/src/repository/cache/index.ts"() {
    "use strict";
    init_import_meta_url();
    init_blob_cache();
    init_cache_index();
    init_cache_dir();
  }
});

// packages/core/src/repository/layers.ts
async function resolveParent(repository, image) {
  const parent = image.manifest.parent;
  if (!parent) return void 0;
  try {
    return await repository.resolve({ name: image.name, digest: parent });
  } catch (e) {
    if (!(e instanceof ImageNotFoundError)) throw e;
  }
  const found = (await repository.list()).find((s) => s.manifestDigest === parent);
  if (found) return repository.resolve({ name: found.name, digest: parent });
  throw new RepositoryError(
    `${image.name}:${image.version} layers on ${parent}, which is not in ${repository.location}; the repository is damaged: republish the parent or delete this version`
  );
}
async function imageChain(repository, image) {
  const chain = [image];
  for (let current2 = await resolveParent(repository, image); current2; current2 = await resolveParent(repository, current2)) {
    if (chain.some((c) => c.manifestDigest === current2.manifestDigest) || chain.length >= MAX_CHAIN_DEPTH) {
      throw new RepositoryError(
        `the parent chain of ${image.name}:${image.version} loops or is deeper than ${MAX_CHAIN_DEPTH}; the repository was edited by hand`
      );
    }
    chain.push(current2);
  }
  return chain;
}
async function pullLayers(repository, image, opts = {}) {
  const layers = [];
  for (const layer of await imageChain(repository, image)) {
    layers.push({ image: layer, file: await repository.pull(layer, opts), digest: layer.manifest.disk.digest });
  }
  return layers;
}
var MAX_CHAIN_DEPTH;
var init_layers2 = __esm({
  "packages/core/src/repository/layers.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    MAX_CHAIN_DEPTH = 64;
  }
});

// packages/core/src/repository/prune.ts
var init_prune = __esm({
  "packages/core/src/repository/prune.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
  }
});

// packages/core/src/repository/audit-anchor-git.ts
var init_audit_anchor_git = __esm({
  "packages/core/src/repository/audit-anchor-git.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_audit();
    init_digest();
    init_exec();
  }
});

// packages/core/src/repository/audit-report.ts
var init_audit_report = __esm({
  "packages/core/src/repository/audit-report.ts"() {
    "use strict";
    init_import_meta_url();
    init_audit();
    init_errors();
    init_audit_anchor_git();
    init_oci_repository();
  }
});

// packages/core/src/repository/index.ts
var init_repository = __esm({
  "packages/core/src/repository/index.ts"() {
    "use strict";
    init_import_meta_url();
    init_fs();
    init_open();
    init_layout2();
    init_oci();
    init_cache();
    init_layers2();
    init_prune();
    init_audit_report();
  }
});

// packages/core/src/clones/record.ts
function credentialsOf(record2, database) {
  return engineConnection(record2.engine).credentials(record2, database);
}
function connectionStringOf(record2, opts) {
  return engineConnection(record2.engine).connectionString(record2, opts);
}
function assertDatabaseChoice(database, databases, image) {
  if (database === void 0 || databases.includes(database)) return;
  throw new UsageError(`database '${database}' is not in ${image}; it holds: ${databases.join(", ") || "no databases"}. Choose one of those.`);
}
function serverOf(record2) {
  if (!record2.serverPid) return void 0;
  return { pid: record2.serverPid, host: record2.host, port: record2.port, socketDir: import_node_path70.default.join(record2.dir, "run"), adminUser: "" };
}
function sharedServerOf(record2) {
  return { pid: 0, host: record2.host, port: record2.port, adminUser: "", databases: record2.databases, cloneId: record2.id };
}
var import_node_path70;
var init_record = __esm({
  "packages/core/src/clones/record.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_path70 = __toESM(require("node:path"), 1);
    init_errors();
    init_platform();
  }
});

// lazy-vendor:dockerode
var require_dockerode = __commonJS({
  "lazy-vendor:dockerode"(exports2, module2) {
    init_import_meta_url();
    var real;
    var load = () => real ??= require("./vendor/dockerode.cjs");
    module2.exports = function(...args) {
      return new.target ? Reflect.construct(load(), args) : load().apply(this, args);
    };
    Object.defineProperty(module2.exports, "Container", { enumerable: true, configurable: true, get: () => load()["Container"] });
    Object.defineProperty(module2.exports, "Exec", { enumerable: true, configurable: true, get: () => load()["Exec"] });
    Object.defineProperty(module2.exports, "Image", { enumerable: true, configurable: true, get: () => load()["Image"] });
    Object.defineProperty(module2.exports, "Network", { enumerable: true, configurable: true, get: () => load()["Network"] });
    Object.defineProperty(module2.exports, "Node", { enumerable: true, configurable: true, get: () => load()["Node"] });
    Object.defineProperty(module2.exports, "Plugin", { enumerable: true, configurable: true, get: () => load()["Plugin"] });
    Object.defineProperty(module2.exports, "Secret", { enumerable: true, configurable: true, get: () => load()["Secret"] });
    Object.defineProperty(module2.exports, "Service", { enumerable: true, configurable: true, get: () => load()["Service"] });
    Object.defineProperty(module2.exports, "Task", { enumerable: true, configurable: true, get: () => load()["Task"] });
    Object.defineProperty(module2.exports, "Volume", { enumerable: true, configurable: true, get: () => load()["Volume"] });
  }
});

// packages/core/src/runtime/docker/client.ts
function dockerEndpoint(env = process.env) {
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  return process.platform === "win32" ? "npipe:////./pipe/docker_engine" : "unix:///var/run/docker.sock";
}
function dockerClient() {
  return new import_dockerode.default();
}
async function assertDockerReachable(docker, timeoutMs = 5e3) {
  let timer;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1e3} s`)), timeoutMs);
      })
    ]);
  } catch (e) {
    throw new MissingToolError(
      `The Docker engine at ${dockerEndpoint()} did not answer (${e.message}). Start dockerd (or Docker Desktop), set DOCKER_HOST to its socket, or use runtime: host.`,
      { cause: e }
    );
  } finally {
    clearTimeout(timer);
  }
}
function apiStatus(e) {
  const code = e.statusCode;
  return typeof code === "number" ? code : void 0;
}
function dockerConfigured(env = process.env) {
  if (env.DOCKER_HOST) return true;
  return process.platform !== "win32" && (0, import_node_fs35.existsSync)("/var/run/docker.sock");
}
var import_node_fs35, import_dockerode;
var init_client3 = __esm({
  "packages/core/src/runtime/docker/client.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_fs35 = require("node:fs");
    import_dockerode = __toESM(require_dockerode(), 1);
    init_errors();
  }
});

// packages/core/src/runtime/docker/container-spec.ts
function parseMemory(value) {
  if (typeof value === "number") return Math.floor(value);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?\s*$/i.exec(value);
  if (!m) throw new UsageError(`memory '${value}' is not a size: use bytes or a number with k, m, g or t (e.g. 512m, 2g).`);
  const power = "bkmgt".indexOf((m[2] || "b").toLowerCase());
  const bytes = Math.floor(Number(m[1]) * 1024 ** power);
  if (bytes < 6 * 1024 * 1024) throw new UsageError(`memory '${value}' is too small for a database server; give at least 64m.`);
  return bytes;
}
function parseCpus(value) {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`cpus '${value}' must be a positive number, e.g. 1 or 1.5.`);
  return n;
}
function containerCreateOptions(input) {
  const { launch, options } = input;
  const network = options.network ?? "bridge";
  const port = `${launch.port}/tcp`;
  const binds = [...launch.paths.map((p) => `${p}:${p}`), ...(options.readOnlyPaths ?? []).map((p) => `${p}:${p}:ro`)];
  const hostConfig = {
    Binds: binds,
    NetworkMode: network,
    // No restart: a clone whose server dies is gc's to remove, not Docker's to revive.
    RestartPolicy: { Name: "no" },
    // The server's shared memory (parallel query) needs more than Docker's 64 MB default on big images.
    ShmSize: 256 * 1024 * 1024,
    Init: false
  };
  if (network === "bridge") hostConfig.PortBindings = { [port]: [{ HostIp: input.hostAddress, HostPort: String(launch.port) }] };
  if (options.memory !== void 0) hostConfig.Memory = parseMemory(options.memory);
  if (options.cpus !== void 0) hostConfig.NanoCpus = Math.round(parseCpus(options.cpus) * 1e9);
  return {
    name: input.name,
    Image: input.image,
    ...entrypoint(launch, network),
    // Only what the server needs; the host's environment (tokens, secrets) stays out.
    Env: containerEnv(),
    WorkingDir: launch.cwd,
    // The uid:gid that owns the data files: the server must write them, and never runs as root.
    User: `${launch.dataOwner.uid}:${launch.dataOwner.gid}`,
    Labels: { [LABEL_MANAGED]: "true", ...input.labels ?? {} },
    StopSignal: launch.signals.fast,
    ExposedPorts: network === "bridge" ? { [port]: {} } : void 0,
    HostConfig: hostConfig
  };
}
function listenOnOwnAddress(setting) {
  if (!/^[a-z_]+$/.test(setting)) throw new UsageError(`invalid listen setting name '${setting}'`);
  return [
    'h=$(cat /etc/hostname); a=""',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    'while read -r ip name _; do [ "$name" = "$h" ] && a="${a:+$a,}$ip"; done < /etc/hosts',
    '[ -n "$a" ] || { echo "dbclone: no address for $h in /etc/hosts; the server is not started" >&2; exit 1; }',
    `exec "$0" "$@" -c "${setting}=$a"`
  ].join("\n");
}
function entrypoint(launch, network) {
  if (network !== "bridge" || !launch.listenAddressSetting) return { Entrypoint: [launch.containerProgram], Cmd: launch.args };
  return { Entrypoint: ["/bin/sh", "-c", listenOnOwnAddress(launch.listenAddressSetting), launch.containerProgram], Cmd: launch.args };
}
function demuxLog(buf) {
  let out = "";
  let i = 0;
  while (i + 8 <= buf.length && buf[i] <= 2 && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString("utf8");
    i += 8 + size;
  }
  if (i < buf.length) out += buf.subarray(i).toString("utf8");
  return out;
}
var LABEL_CLONE, LABEL_HOME, LABEL_MANAGED;
var init_container_spec = __esm({
  "packages/core/src/runtime/docker/container-spec.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_childEnv();
    LABEL_CLONE = "dbclone.clone";
    LABEL_HOME = "dbclone.home";
    LABEL_MANAGED = "dbclone.managed";
  }
});

// packages/core/src/runtime/docker/image.ts
async function ensureImage(docker, image, opts) {
  try {
    await docker.getImage(image).inspect();
    return;
  } catch (e) {
    if (apiStatus(e) !== 404) throw e;
  }
  if (!opts.pull) {
    throw new DbcloneError(`The Docker image ${image} is not on this engine and pulling is off. Pull or build it first, or choose another image.`);
  }
  opts.reporter?.info(`Pulling ${image} (once per runner) \u2026`);
  try {
    const stream = await docker.pull(image);
    await new Promise((resolve, reject) => {
      docker.modem.followProgress(stream, (err) => err ? reject(err) : resolve());
    });
  } catch (e) {
    throw new DbcloneError(
      `Could not pull the Docker image ${image}: ${e.message}. Check the name and the registry's reachability, or set docker-image.`,
      { cause: e }
    );
  }
}
var init_image2 = __esm({
  "packages/core/src/runtime/docker/image.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_client3();
  }
});

// packages/core/src/runtime/docker/runtime.ts
async function removeContainer(docker, id) {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (e) {
    if (apiStatus(e) !== 404 && apiStatus(e) !== 409) throw e;
  }
}
async function containerLog(container, lines = 30) {
  try {
    const raw = await container.logs({ stdout: true, stderr: true, tail: lines, follow: false });
    return demuxLog(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))).trimEnd() || "(empty log)";
  } catch (e) {
    return `(could not read the container's log: ${e.message})`;
  }
}
var POLL_MS3, INSPECT_EVERY_MS, sleep4, DockerRuntime;
var init_runtime = __esm({
  "packages/core/src/runtime/docker/runtime.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_client3();
    init_container_spec();
    init_image2();
    POLL_MS3 = 5;
    INSPECT_EVERY_MS = 100;
    sleep4 = (ms) => new Promise((r) => setTimeout(r, ms));
    DockerRuntime = class {
      constructor(config2 = {}, docker) {
        this.config = config2;
        this.docker = docker ?? dockerClient();
      }
      config;
      kind = "docker";
      docker;
      async start(launch, opts) {
        await assertDockerReachable(this.docker);
        const image = this.config.image ?? launch.defaultImage;
        await ensureImage(this.docker, image, { pull: this.config.pull !== false, reporter: opts.reporter });
        if ((this.config.network ?? "bridge") === "bridge" && launch.admitOnly) {
          const gateway = await this.bridgeGateway();
          if (gateway) await launch.admitOnly(gateway);
          else opts.reporter?.warn("Docker's bridge network reports no gateway: the clone's server admits password logins from any address on the bridge.");
        }
        const body = containerCreateOptions({
          launch,
          image,
          hostAddress: this.config.hostAddress ?? "127.0.0.1",
          labels: opts.labels,
          name: opts.name,
          options: this.config
        });
        const container = await this.docker.createContainer(body);
        const handle = { containerId: container.id };
        try {
          await container.start();
          const deadline = Date.now() + opts.timeoutMs;
          let lastInspect = Date.now();
          while (true) {
            if (await launch.ready()) break;
            if (Date.now() - lastInspect >= INSPECT_EVERY_MS) {
              lastInspect = Date.now();
              const state = (await container.inspect()).State;
              if (!state.Running) {
                const log2 = await containerLog(container);
                throw new CommandError(
                  `${launch.describe} did not start in container ${container.id.slice(0, 12)} (image ${image}): the server exited with code ${state.ExitCode}${state.Error ? ` (${state.Error})` : ""}.${launch.hintFor(log2)}
Last lines of the container's log:
${log2}`,
                  launch.containerProgram,
                  state.ExitCode,
                  log2
                );
              }
            }
            if (Date.now() > deadline) {
              const log2 = await containerLog(container);
              throw new TimeoutError(
                `${launch.describe} in container ${container.id.slice(0, 12)} (image ${image}) was not ready after ${Math.round(opts.timeoutMs / 1e3)} s.
Last lines of the container's log:
${log2}`
              );
            }
            await sleep4(POLL_MS3);
          }
          const pid = (await container.inspect()).State.Pid;
          return { ...handle, pid: pid > 0 ? pid : void 0 };
        } catch (e) {
          await this.stop(handle, { graceMs: 2e3 }).catch(() => void 0);
          throw e;
        }
      }
      /** The default bridge's gateway: the address connections through a published port come from. */
      async bridgeGateway() {
        const net3 = await this.docker.getNetwork("bridge").inspect();
        return net3.IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
      }
      async stop(handle, opts = {}) {
        if (!handle.containerId) return;
        const container = this.docker.getContainer(handle.containerId);
        try {
          await container.stop({ t: Math.max(1, Math.round((opts.graceMs ?? 6e4) / 1e3)) });
        } catch (e) {
          if (apiStatus(e) !== 304 && apiStatus(e) !== 404) throw e;
        }
        await removeContainer(this.docker, handle.containerId);
      }
      async checkAvailable() {
        await assertDockerReachable(this.docker);
      }
      async isRunning(handle) {
        if (!handle.containerId) return false;
        try {
          return (await this.docker.getContainer(handle.containerId).inspect()).State.Running;
        } catch (e) {
          if (apiStatus(e) === 404) return false;
          throw e;
        }
      }
    };
  }
});

// packages/core/src/runtime/docker/gc.ts
async function listCloneContainers(docker, home) {
  const found = await docker.listContainers({ all: true, filters: { label: [LABEL_CLONE, `${LABEL_HOME}=${home}`] } });
  return found.map((c) => ({
    id: c.Id,
    cloneId: c.Labels[LABEL_CLONE] ?? "",
    running: c.State === "running",
    name: (c.Names[0] ?? "").replace(/^\//, "")
  }));
}
async function removeOrphanContainers(docker, home, liveCloneIds) {
  const removed = [];
  for (const c of await listCloneContainers(docker, home)) {
    if (liveCloneIds.has(c.cloneId)) continue;
    await removeContainer(docker, c.id);
    removed.push(c);
  }
  return removed;
}
function cloneLabels(cloneId, home) {
  return { [LABEL_CLONE]: cloneId, [LABEL_HOME]: home };
}
var init_gc = __esm({
  "packages/core/src/runtime/docker/gc.ts"() {
    "use strict";
    init_import_meta_url();
    init_container_spec();
    init_runtime();
  }
});

// packages/core/src/runtime/docker/index.ts
var docker_exports = {};
__export(docker_exports, {
  DockerRuntime: () => DockerRuntime,
  LABEL_CLONE: () => LABEL_CLONE,
  LABEL_HOME: () => LABEL_HOME,
  LABEL_MANAGED: () => LABEL_MANAGED,
  assertDockerReachable: () => assertDockerReachable,
  cloneLabels: () => cloneLabels,
  containerCreateOptions: () => containerCreateOptions,
  containerLog: () => containerLog,
  demuxLog: () => demuxLog,
  dockerClient: () => dockerClient,
  dockerConfigured: () => dockerConfigured,
  dockerEndpoint: () => dockerEndpoint,
  ensureImage: () => ensureImage,
  listCloneContainers: () => listCloneContainers,
  parseCpus: () => parseCpus,
  parseMemory: () => parseMemory,
  removeContainer: () => removeContainer,
  removeOrphanContainers: () => removeOrphanContainers
});
var init_docker = __esm({
  "packages/core/src/runtime/docker/index.ts"() {
    "use strict";
    init_import_meta_url();
    init_runtime();
    init_client3();
    init_container_spec();
    init_gc();
    init_image2();
  }
});

// packages/core/src/clones/teardown.ts
async function teardownClones(opts) {
  const started = performance.now();
  const chosen = [opts.id, opts.name, opts.labels && Object.keys(opts.labels).length ? opts.labels : void 0].filter((x) => x !== void 0);
  if (chosen.length !== 1) throw new UsageError("teardown needs exactly one of: a clone id, --name, or labels (branch/pr).");
  const registry2 = new CloneRegistry(opts.home);
  let records;
  if (opts.labels) records = await registry2.findByLabels(opts.labels);
  else {
    const found = await registry2.get(opts.id ?? opts.name);
    records = found ? [found] : [];
  }
  const { inScope, skipped } = splitByScope(records, opts.scope);
  for (const r of skipped) {
    opts.reporter.warn(`Left clone ${r.id}${r.name ? ` (${r.name})` : ""} alone: it was not made by ${describeLabels(opts.scope ?? {})}.`);
  }
  if (inScope.length === 0) opts.reporter.info("No such clone: nothing to tear down.");
  const removed = [];
  for (const record2 of inScope) {
    await removeClone(record2, opts);
    removed.push(record2.id);
  }
  return { removed, ...skipped.length ? { skipped: skipped.map((r) => r.id) } : {}, seconds: secondsSince(started) };
}
function splitByScope(records, scope) {
  if (!scope || Object.keys(scope).length === 0) return { inScope: records, skipped: [] };
  return { inScope: records.filter((r) => matchesLabels(r, scope)), skipped: records.filter((r) => !matchesLabels(r, scope)) };
}
function describeLabels(labels) {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(", ");
}
async function removeCloneContainers(record2, home) {
  const { DockerRuntime: DockerRuntime2, listCloneContainers: listCloneContainers2 } = await Promise.resolve().then(() => (init_docker(), docker_exports));
  const runtime = new DockerRuntime2();
  if (record2.containerId) await runtime.stop({ containerId: record2.containerId }, { fast: true });
  for (const c of await listCloneContainers2(runtime.docker, import_node_path71.default.resolve(home))) {
    if (c.cloneId === record2.id) await runtime.stop({ containerId: c.id }, { fast: true });
  }
}
async function stopServer2(record2, platform, reporter) {
  const { engine } = platform;
  if (!platform.entry.serverPerClone) {
    const server2 = sharedServerOf(record2);
    const stopped = await engine.stop(server2, { fast: true }).then(
      () => void 0,
      (e) => e
    );
    const loginLeft = await engine.dropLogin?.(server2, record2.user).then(
      () => void 0,
      (e) => new CloneError(`Teardown of clone ${record2.id} could not drop its login ${record2.user}: ${e.message}. Run dbclone gc to retry.`, { cause: e })
    );
    if (stopped) throw stopped;
    if (loginLeft) reporter.warn(loginLeft.message);
    return loginLeft;
  }
  const server = serverOf(record2);
  if (server && isAlive(server.pid)) {
    if (isPostgresOf(server.pid, record2.mountPath)) await engine.stop(server, { fast: true });
    else reporter.warn(`Left process ${server.pid} alone: it is not clone ${record2.id}'s server (its pid was reused).`);
  }
  return void 0;
}
async function claimClone(registry2, id) {
  await registry2.patch(id, { state: "stopping", owner: currentProcess() });
}
async function removeClone(record2, opts, action = "teardown") {
  const registry2 = new CloneRegistry(opts.home);
  if (!opts.claimed) await claimClone(registry2, record2.id).catch(() => void 0);
  await pausePoint("teardown:stopping");
  const platform = platformForRecord(record2, opts.home, opts.reporter);
  const { driver } = platform;
  const left = record2.runtime === "docker" ? await removeCloneContainers(record2, opts.home) : await stopServer2(record2, platform, opts.reporter);
  await pausePoint("teardown:server-stopped");
  if (record2.attachment) await driver.unmount(record2.attachment);
  await pausePoint("teardown:unmounted");
  await driver.destroy(record2.childFile);
  await import_promises63.default.rm(record2.dir, { recursive: true, force: true });
  if (left) throw left;
  await registry2.remove(record2.id);
  opts.reporter.info(`Removed clone ${record2.id}${record2.name ? ` (${record2.name})` : ""}`);
  const repository = opts.repository ?? await openRepository(record2.repository).catch(() => void 0);
  await repository?.audit.append({
    action,
    outcome: "success",
    image: `${record2.image.name}:${record2.image.version}`,
    digest: record2.image.manifestDigest,
    clone: record2.id
  }).catch((e) => opts.reporter.warn(`could not record the teardown in the audit log: ${e.message}`));
}
var import_promises63, import_node_path71;
var init_teardown = __esm({
  "packages/core/src/clones/teardown.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises63 = __toESM(require("node:fs/promises"), 1);
    import_node_path71 = __toESM(require("node:path"), 1);
    init_platform();
    init_errors();
    init_repository();
    init_exec();
    init_time();
    init_registry2();
    init_record();
    init_process_identity();
    init_pause_point();
  }
});

// packages/core/src/runtime/index.ts
async function runtimeFor(kind, docker = {}) {
  if (kind === "host") return new HostRuntime();
  const { DockerRuntime: DockerRuntime2 } = await loadDockerRuntime();
  return new DockerRuntime2(docker);
}
async function isServerRunning(r) {
  if (r.runtime === "host") return r.serverPid !== void 0 && isAlive(r.serverPid);
  if (!r.containerId) return false;
  return (await runtimeFor("docker")).isRunning({ containerId: r.containerId });
}
var loadDockerRuntime;
var init_runtime2 = __esm({
  "packages/core/src/runtime/index.ts"() {
    "use strict";
    init_import_meta_url();
    init_host();
    init_exec();
    init_exec();
    init_host();
    loadDockerRuntime = () => Promise.resolve().then(() => (init_docker(), docker_exports));
  }
});

// packages/core/src/clones/named-clone.ts
async function decideNamedClone(existing, image, opts) {
  assertInScope(existing, opts.scope);
  const what = `clone ${existing.id} (${existing.name})`;
  const held = `${existing.image.name}:${existing.image.version}`;
  if (opts.reset)
    return {
      kind: "replace",
      previous: existing,
      reason: `reset requested: the data of ${what} is discarded and it is made again from ${image.name}:${image.version}`
    };
  const platform = platformForRecord(existing, opts.home);
  const running = existing.state === "ready" && (!platform.entry.serverPerClone || await isServerRunning(existing).catch(() => false));
  if (!running) {
    const why = existing.state === "ready" ? "its server is not running" : `it is still '${existing.state}' (an earlier run stopped half-way)`;
    return { kind: "replace", previous: existing, reason: `${what} cannot be reused: ${why}; making it again from ${image.name}:${image.version}` };
  }
  try {
    await platform.engine.verifyIdentity(credentialsOf(existing), existing.id, existing.image.manifestDigest);
  } catch (e) {
    return { kind: "replace", previous: existing, reason: `${what} does not answer as itself (${e.message}); making it again` };
  }
  if (existing.image.manifestDigest === image.manifestDigest) return { kind: "reuse", record: existing };
  const mode = opts.onImageChange ?? "keep";
  if (mode === "keep") return { kind: "reuse", record: existing, newerImage: image };
  if (mode === "recreate") {
    return {
      kind: "replace",
      previous: existing,
      reason: `on-image-change recreate: ${what} held ${held}; its data and every change made since ${existing.createdAt} are discarded for ${image.name}:${image.version}`
    };
  }
  throw new CloneError(
    `${what} holds ${held}, but ${askedFor(opts.ref, image)}, and on-image-change is 'fail'. Keep the clone and its data (on-image-change: keep), take the new version (on-image-change: recreate, or reset), or tear it down first.`
  );
}
function assertInScope(existing, scope) {
  if (!scope || Object.keys(scope).length === 0 || matchesLabels(existing, scope)) return;
  const wanted = Object.entries(scope).map(([k, v]) => `${k}=${v}`).join(", ");
  throw new CloneError(
    `a clone named '${existing.name}' already exists on this runner, but it was not made with ${wanted}: it is neither reused nor replaced. Choose another name.`
  );
}
function inheritedTtl(previous) {
  if (previous.ttlSeconds !== void 0) return previous.ttlSeconds;
  if (!previous.expiresAt) return void 0;
  const seconds = Math.round((Date.parse(previous.expiresAt) - Date.parse(previous.createdAt)) / 1e3);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : void 0;
}
function askedFor(ref, image) {
  return ref.includes("@") ? `${image.name}:${image.version} was asked for` : `${ref} is now ${image.name}:${image.version}`;
}
var init_named_clone = __esm({
  "packages/core/src/clones/named-clone.ts"() {
    "use strict";
    init_import_meta_url();
    init_platform();
    init_errors();
    init_runtime2();
    init_registry2();
    init_record();
  }
});

// packages/core/src/clones/checked-images.ts
function stampFile(home, manifestDigest2) {
  const m = /^sha256:([0-9a-f]{64})$/.exec(manifestDigest2);
  if (!m) throw new CloneError(`'${manifestDigest2}' is not a sha256 manifest digest; refusing to clone it.`);
  return import_node_path72.default.join(stampDir(home), m[1]);
}
async function checkImageOnce(home, engine, server, image) {
  if (!engine.imageFindings) return;
  const stamp = stampFile(home, image.manifestDigest);
  if (await (0, import_promises64.access)(stamp).then(
    () => true,
    () => false
  ))
    return;
  const findings = await engine.imageFindings(server);
  if (findings.length > 0) {
    throw new CloneError(
      `${image.name}:${image.version} carries what dbclone build takes out of every image, so it was built by an older dbclone or made or altered outside dbclone build: ${findings.join("; ")}. Refusing to clone it; rebuild it with this version of dbclone build.`
    );
  }
  await makeDir(stampDir(home), PRIVATE_DIR);
  await (await (0, import_promises64.open)(stamp, "w", 384)).close();
}
var import_promises64, import_node_path72, stampDir;
var init_checked_images = __esm({
  "packages/core/src/clones/checked-images.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises64 = require("node:fs/promises");
    import_node_path72 = __toESM(require("node:path"), 1);
    init_errors();
    init_paths();
    stampDir = (home) => import_node_path72.default.join(home, "state", "checked-images");
  }
});

// packages/core/src/clones/child-disk.ts
async function createChildDisk(driver, repository, image, topBlob, childFile) {
  if (!image.manifest.parent) return driver.createChild(topBlob, childFile, image.manifest.disk.digest);
  if (!clonesLayers(driver)) {
    throw new NotSupportedError(
      `${image.name}:${image.version} is a layered version, which the ${driver.name} disk driver cannot clone; publish it flattened (dbclone promote --flatten).`
    );
  }
  const layers = await pullLayers(repository, image);
  return driver.createLayeredChild(
    layers.map((l) => ({ file: l.file, digest: l.digest })),
    childFile
  );
}
var init_child_disk = __esm({
  "packages/core/src/clones/child-disk.ts"() {
    "use strict";
    init_import_meta_url();
    init_disk();
    init_errors();
    init_layers2();
  }
});

// packages/core/src/clones/ttl.ts
function capTtl(requested, maxTtlSeconds) {
  const cap = maxTtlSeconds !== void 0 && maxTtlSeconds > 0 ? maxTtlSeconds : void 0;
  if (requested === void 0) return cap;
  if (!(requested > 0)) throw new UsageError(`ttl must be greater than zero seconds, got ${requested}`);
  return cap === void 0 ? requested : Math.min(requested, cap);
}
function expiryFrom(ttlSeconds, from = /* @__PURE__ */ new Date()) {
  return ttlSeconds === void 0 ? void 0 : new Date(from.getTime() + ttlSeconds * 1e3).toISOString();
}
function isExpired(record2, now = /* @__PURE__ */ new Date()) {
  if (!record2.expiresAt) return false;
  const t = Date.parse(record2.expiresAt);
  return Number.isFinite(t) && t <= now.getTime();
}
var init_ttl = __esm({
  "packages/core/src/clones/ttl.ts"() {
    "use strict";
    init_import_meta_url();
    init_errors();
    init_duration();
  }
});

// packages/core/src/clones/session.ts
async function runSession(input) {
  const { opts, image } = input;
  const { driver } = input.platform;
  const steps = input.steps ?? new StepTimer();
  const runtime = await loadRuntime(opts);
  const blob = await steps.step("pull", () => pullBase(opts, image, driver));
  const registry2 = new CloneRegistry(opts.home);
  const cleanup = new CleanupStack(opts.reporter);
  const record0 = await steps.step("reserve", () => reserve(input, registry2, cleanup));
  const state = { input, registry: registry2, cleanup, runtime, blob, record: record0 };
  const { record: record2 } = state;
  const reserveSynced = settledLater(deferReserveSync(input) ? registry2.sync() : void 0);
  input.platform.engine.prepareLogin?.({ password: record2.password });
  let audited;
  try {
    const child = await steps.step("child", () => makeChild(state));
    await steps.step("mount", () => mount(state, child));
    const server = await steps.step("start", () => start(state));
    await steps.step("image check", () => checkImageOnce(opts.home, input.platform.engine, server, image));
    await reserveSynced;
    audited = settledLater(audit(state).then(() => pausePoint("clone:audited")));
    const credentials = await steps.step("login", () => login(state, server));
    await steps.step("audit", () => audited);
    const clone2 = await steps.step("ready", () => ready(state));
    const readySeconds = secondsSince(input.started);
    cleanup.dismiss();
    await pausePoint("clone:ready");
    const childDiskBytes = opts.measureChildDisk === false ? void 0 : await steps.step("own bytes", () => ownBytesOf(driver, child.file));
    opts.reporter.debug(`clone steps: ${steps.summary()}`);
    const where = server.containerId ? ` (container ${server.containerId.slice(0, 12)})` : "";
    opts.reporter.debug(`Clone ${record2.id} of ${image.name}:${image.version} ready in ${readySeconds.toFixed(3)} s on ${record2.host}:${record2.port}${where}`);
    return { created: true, clone: clone2, credentials, image, readySeconds, childDiskBytes, replaced: input.replaced };
  } catch (caught) {
    await Promise.allSettled([reserveSynced, audited]);
    const e = await diskFullError(caught, [record2.mountPath, record2.dir], `cloning ${image.name}:${image.version}`) ?? caught;
    await cleanup.unwind();
    await opts.repository.audit.append({
      action: "clone",
      outcome: "failure",
      image: `${image.name}:${image.version}`,
      digest: image.manifestDigest,
      clone: record2.id,
      detail: e.message.slice(0, 500)
    }).catch(() => void 0);
    if (e instanceof DbcloneError) throw e;
    throw new CloneError(`cloning ${image.name}:${image.version} failed: ${e.message}`, { cause: e });
  }
}
function assertRuntimeServes(platform, runtime) {
  if ((runtime ?? "host") === "docker" && !platform.entry.serverPerClone) {
    throw new UsageError(`${platform.kind} clones are attached to the runner's own server: --runtime docker is not available for them.`);
  }
}
async function loadRuntime(opts) {
  if ((opts.runtime ?? "host") !== "docker") return void 0;
  const runtime = await runtimeFor("docker", { ...opts.docker, hostAddress: opts.host ?? "127.0.0.1" });
  await runtime.checkAvailable();
  return runtime;
}
async function pullBase(opts, image, driver) {
  const pulling = progressOnDemand(opts.reporter, `Pulling and verifying ${image.name}:${image.version}`, image.manifest.disk.sizeBytes, { unit: "bytes" });
  const blob = await opts.repository.pull(image, { onProgress: pulling.onProgress });
  pulling.finish();
  await driver.rememberVerified?.(blob, image.manifest.disk.digest);
  return blob;
}
function settledLater(p) {
  p?.catch(() => void 0);
  return p;
}
async function reserve(input, registry2, cleanup) {
  const { opts, image, previous } = input;
  const config2 = await readRepositoryConfig(opts.repository);
  const ttlSeconds = capTtl(opts.ttlSeconds ?? (previous ? inheritedTtl(previous) : void 0), config2.maxTtlSeconds);
  const password = previous?.password ?? import_node_crypto16.default.randomBytes(24).toString("base64url");
  opts.reporter.secret(password);
  const { engine } = input.platform;
  const shared = engine.cloneEndpoint ? (id) => engine.cloneEndpoint(id) : void 0;
  const reserved = await registry2.reserve(
    (id) => ({
      name: opts.name,
      image: { name: image.name, version: image.version, manifestDigest: image.manifestDigest, diskDigest: image.manifest.disk.digest },
      engine: image.manifest.engine.kind,
      host: shared?.(id).host ?? opts.host ?? "127.0.0.1",
      disk: input.platform.disk,
      runtime: opts.runtime ?? "host",
      password,
      databases: image.manifest.databases.map((d) => d.name),
      labels: { ...previous?.labels, ...opts.labels },
      repository: opts.repository.location,
      expiresAt: ttlSeconds ? new Date(Date.now() + ttlSeconds * 1e3).toISOString() : void 0,
      ttlSeconds,
      user: previous?.user ?? shared?.(id).user
    }),
    { preferredPort: previous?.port, durable: !deferReserveSync(input) }
  );
  const record2 = shared ? await registry2.patch(reserved.id, { port: shared(reserved.id).port }) : reserved;
  cleanup.push("forget the clone record", () => registry2.remove(record2.id));
  cleanup.push("remove the clone directory", () => import_promises65.default.rm(record2.dir, { recursive: true, force: true }));
  await pausePoint("clone:reserved");
  return record2;
}
async function makeChild(s) {
  const { driver } = s.input.platform;
  await makeDir(s.record.dir, TRAVERSABLE_DIR);
  const child = await createChildDisk(driver, s.input.opts.repository, s.input.image, s.blob, s.record.childFile);
  s.cleanup.push("delete the child disk", () => driver.destroy(child.file));
  await pausePoint("clone:child-created");
  return child;
}
async function mount(s, child) {
  const { driver } = s.input.platform;
  const attachment = await driver.mount(child, s.record.mountPath);
  s.cleanup.push("unmount the child disk", () => driver.unmount(attachment));
  s.record = await s.registry.patch(s.record.id, { attachment }, liveOnly(s));
  await pausePoint("clone:mounted");
}
async function start(s) {
  const { opts, image } = s.input;
  const engine = s.input.platform.engine;
  const { record: record2, runtime } = s;
  const server = await engine.start(
    record2.mountPath,
    {
      port: record2.port,
      host: record2.host,
      runDir: import_node_path73.default.join(record2.dir, "run"),
      durability: opts.durability ?? "ephemeral",
      cloneId: record2.id,
      imageDigest: image.manifestDigest,
      readyDatabase: record2.databases[0],
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      runtime,
      runtimeLabels: runtime ? await containerLabels(record2.id, opts.home) : void 0,
      // A bridged container listens on its own network; the published port decides who reaches it.
      listenAll: runtime !== void 0 && (opts.docker?.network ?? "bridge") === "bridge"
    },
    opts.reporter
  );
  if (runtime) {
    s.cleanup.push("remove the clone's container", () => runtime.stop({ containerId: server.containerId }, { fast: true }));
    s.record = await s.registry.patch(record2.id, { containerId: server.containerId }, liveOnly(s));
  } else {
    s.cleanup.push("stop the clone's server", () => engine.stop(server, { fast: true }));
    s.record = await s.registry.patch(
      record2.id,
      {
        ...server.pid ? { serverPid: server.pid } : {},
        ...server.databases ? { databases: server.databases } : {}
      },
      liveOnly(s)
    );
  }
  await pausePoint("clone:server-started");
  return server;
}
async function login(s, server) {
  const { engine } = s.input.platform;
  const { record: record2 } = s;
  const identity = { cloneId: record2.id, imageDigest: s.input.image.manifestDigest };
  const wanted = { user: record2.user, password: record2.password };
  const redact2 = (c) => s.input.opts.reporter.secret(c.connectionString);
  if (engine.createVerifiedLogin) {
    redact2(engine.credentials({ ...wanted, host: server.host, port: server.port, databases: record2.databases }, s.input.opts.database));
    const created2 = await engine.createVerifiedLogin(server, record2.databases, wanted, identity);
    if (engine.dropLogin) s.cleanup.push("drop the clone's login", () => engine.dropLogin(server, created2.user));
    const credentials2 = engine.credentials(created2, s.input.opts.database);
    redact2(credentials2);
    return credentials2;
  }
  const created = await engine.createLogin(server, record2.databases, wanted);
  if (engine.dropLogin) s.cleanup.push("drop the clone's login", () => engine.dropLogin(server, created.user));
  const credentials = engine.credentials(created, s.input.opts.database);
  redact2(credentials);
  await engine.verifyIdentity(credentials, identity.cloneId, identity.imageDigest);
  return credentials;
}
async function audit(s) {
  const { opts, image } = s.input;
  await opts.repository.audit.append({
    action: "clone",
    outcome: "success",
    image: `${image.name}:${image.version}`,
    digest: image.manifestDigest,
    clone: s.record.id,
    detail: opts.name ? `name=${opts.name}` : void 0
  });
}
function ready(s) {
  return s.registry.patch(s.record.id, { state: "ready", owner: void 0 }, liveOnly(s));
}
async function containerLabels(cloneId, home) {
  const { cloneLabels: cloneLabels2 } = await Promise.resolve().then(() => (init_docker(), docker_exports));
  return cloneLabels2(cloneId, import_node_path73.default.resolve(home));
}
async function ownBytesOf(driver, childFile) {
  if (driver.ownBytes) return driver.ownBytes(childFile);
  const st = await import_promises65.default.stat(childFile).catch(() => void 0);
  return st ? st.blocks * 512 : 0;
}
var import_node_crypto16, import_promises65, import_node_path73, DEFAULT_TIMEOUT_MS, liveOnly, deferReserveSync;
var init_session = __esm({
  "packages/core/src/clones/session.ts"() {
    "use strict";
    init_import_meta_url();
    import_node_crypto16 = __toESM(require("node:crypto"), 1);
    import_promises65 = __toESM(require("node:fs/promises"), 1);
    import_node_path73 = __toESM(require("node:path"), 1);
    init_errors();
    init_reporter();
    init_repository();
    init_runtime2();
    init_cleanup();
    init_disk_full();
    init_paths();
    init_pause_point();
    init_time();
    init_step_timer();
    init_checked_images();
    init_child_disk();
    init_named_clone();
    init_registry2();
    init_ttl();
    DEFAULT_TIMEOUT_MS = 12e4;
    liveOnly = (s) => ({ durable: !s.input.platform.entry.serverPerClone });
    deferReserveSync = (input) => input.platform.entry.serverPerClone;
  }
});

// packages/core/src/clones/lifecycle.ts
async function createClone(opts) {
  const started = performance.now();
  const { repository, reporter } = opts;
  const registry2 = new CloneRegistry(opts.home);
  const steps = new StepTimer(0);
  steps.mark("open");
  const image = await steps.step("resolve", () => repository.resolve(parseImageRef(opts.ref)));
  const platform = platformForImage(image.manifest.engine.kind, opts.home, { disk: opts.disk, reporter });
  assertRuntimeServes(platform, opts.runtime);
  assertDatabaseChoice(
    opts.database,
    image.manifest.databases.map((d) => d.name),
    `${image.name}:${image.version}`
  );
  let previous;
  let replaced;
  const existing = opts.name ? await steps.step("find name", () => registry2.findByName(opts.name)) : void 0;
  if (existing) {
    const decision = await decideNamedClone(existing, image, opts);
    if (decision.kind === "reuse") return reuseResult(decision.record, image, decision.newerImage, opts, started);
    previous = decision.previous;
    replaced = { id: previous.id, reason: decision.reason };
    reporter.warn(`Replacing the clone named ${opts.name}: ${decision.reason}.`);
    await removeClone(previous, { home: opts.home, reporter, repository });
  }
  return runSession({ opts, image, platform, previous, replaced, started, steps });
}
async function reuseResult(record2, image, newer, opts, started) {
  const where = record2.labels.runner ? ` on runner ${record2.labels.runner}` : "";
  if (newer) {
    opts.reporter.warn(
      `Kept clone ${record2.id} (${record2.name})${where} with its data: it holds ${record2.image.name}:${record2.image.version}, and ${askedFor(opts.ref, newer)}. To take the new version (losing the clone's data), use on-image-change: recreate or reset.`
    );
  } else opts.reporter.info(`Reusing clone ${record2.id} (${record2.name})${where} of ${record2.image.name}:${record2.image.version}`);
  return {
    created: false,
    clone: record2,
    credentials: credentialsOf(record2, opts.database),
    image,
    readySeconds: secondsSince(started),
    childDiskBytes: opts.measureChildDisk === false ? void 0 : await ownBytesOf(platformForRecord(record2, opts.home).driver, record2.childFile),
    newerImage: newer ? { name: newer.name, version: newer.version, manifestDigest: newer.manifestDigest } : void 0
  };
}
var init_lifecycle = __esm({
  "packages/core/src/clones/lifecycle.ts"() {
    "use strict";
    init_import_meta_url();
    init_platform();
    init_image();
    init_time();
    init_step_timer();
    init_registry2();
    init_teardown();
    init_record();
    init_named_clone();
    init_session();
  }
});

// packages/core/src/util/build-record.ts
async function readBuildRecord(workDir) {
  try {
    const parsed = JSON.parse(await (0, import_promises66.readFile)(import_node_path74.default.join(workDir, BUILD_RECORD), "utf8"));
    if (!parsed.owner || typeof parsed.owner.pid !== "number" || !Array.isArray(parsed.mounts)) return void 0;
    return parsed;
  } catch {
    return void 0;
  }
}
var import_promises66, import_node_path74, BUILD_DIR_PATTERN, BUILD_RECORD;
var init_build_record = __esm({
  "packages/core/src/util/build-record.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises66 = require("node:fs/promises");
    import_node_path74 = __toESM(require("node:path"), 1);
    init_durable_write();
    init_process_identity();
    BUILD_DIR_PATTERN = /^(build|variants|promote)-[0-9a-f]{10}$/;
    BUILD_RECORD = "build.json";
  }
});

// packages/core/src/clones/build-sweep.ts
async function sweepDeadBuilds(home, reporter) {
  const workRoot = import_node_path75.default.join(home, "work");
  const released = [];
  for (const entry of await (0, import_promises67.readdir)(workRoot, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory() || !BUILD_DIR_PATTERN.test(entry.name)) continue;
    const dir = import_node_path75.default.join(workRoot, entry.name);
    const record2 = await readBuildRecord(dir);
    if (record2 ? ownerAlive(record2.owner) : await isRecent(dir)) continue;
    reporter.info(`gc: sweeping build work dir ${dir} (${record2 ? `its process ${record2.owner.pid} is gone` : "no build record"})`);
    released.push(...await sweepBuildDir(home, dir));
  }
  return released;
}
async function sweepBuildDir(home, dir) {
  const released = [];
  for (const server of await postgresUnder(dir)) {
    await stopPostgres(server.pid, { fast: true });
    released.push(`server ${server.pid}`);
    if (server.socketDir) {
      await (0, import_promises67.rm)(server.socketDir, { recursive: true, force: true });
      released.push(`directory ${server.socketDir}`);
    }
  }
  for (const driver of hostBuildDrivers(home)) {
    const resources = (await driver.list(dir)).sort(unmaskedFirst(dir));
    for (const resource of resources) {
      await driver.release(resource);
      released.push(`${resource.kind} ${resource.id}`);
    }
  }
  await (0, import_promises67.rm)(dir, { recursive: true, force: true });
  released.push(`directory ${dir}`);
  return released;
}
function unmaskedFirst(dir) {
  const staging = import_node_path75.default.join(dir, "staging");
  const rank = (r) => r.id.startsWith(staging) || (r.detail ?? "").includes(staging) ? 0 : 1;
  const kinds = ["mount", "loop", "daemon", "fuse-export", "file"];
  return (a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind) || rank(a) - rank(b);
}
async function postgresUnder(dir) {
  const found = [];
  for (const entry of await (0, import_promises67.readdir)("/proc").catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    let argv;
    try {
      argv = (await (0, import_promises67.readFile)(`/proc/${entry}/cmdline`, "utf8")).split("\0");
    } catch {
      continue;
    }
    if (!/(^|\/)postgres$/.test(argv[0] ?? "")) continue;
    const d = argv.indexOf("-D");
    const dataDir = d >= 0 ? argv[d + 1] : void 0;
    if (!dataDir || !isInside2(dataDir, dir)) continue;
    const socketSetting = argv.find((a) => a.startsWith("unix_socket_directories="));
    const socketDir = socketSetting?.slice("unix_socket_directories=".length);
    const ours = socketDir && import_node_path75.default.dirname(socketDir) === import_node_os11.default.tmpdir() && import_node_path75.default.basename(socketDir).startsWith("dbclone-pg-");
    found.push({ pid: Number(entry), socketDir: ours ? socketDir : void 0 });
  }
  return found;
}
function isInside2(p, dir) {
  const rel = import_node_path75.default.relative(dir, import_node_path75.default.resolve(p));
  return rel !== "" && !rel.startsWith("..") && !import_node_path75.default.isAbsolute(rel);
}
async function isRecent(dir) {
  const st = await (0, import_promises67.stat)(dir).catch(() => void 0);
  return !!st && Date.now() - st.mtimeMs < UNRECORDED_GRACE_MS;
}
var import_promises67, import_node_os11, import_node_path75, UNRECORDED_GRACE_MS;
var init_build_sweep = __esm({
  "packages/core/src/clones/build-sweep.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises67 = require("node:fs/promises");
    import_node_os11 = __toESM(require("node:os"), 1);
    import_node_path75 = __toESM(require("node:path"), 1);
    init_build_record();
    init_platform();
    init_launch();
    init_process_identity();
    UNRECORDED_GRACE_MS = 6e4;
  }
});

// packages/core/src/clones/gc.ts
async function collectGarbage(opts) {
  const registry2 = new CloneRegistry(opts.home);
  return registry2.withLock(() => collectLocked(registry2, opts));
}
async function collectLocked(registry2, opts) {
  const now = opts.now ?? /* @__PURE__ */ new Date();
  const result = { expired: [], orphans: [], released: [] };
  for (const record2 of await registry2.list()) {
    let reason;
    try {
      reason = await whyCollect(record2, now);
    } catch (e) {
      opts.reporter.warn(`gc: skipping clone ${record2.id}: ${e.message}`);
      continue;
    }
    if (!reason) continue;
    opts.reporter.info(`gc: removing clone ${record2.id} (${reason})`);
    await removeClone(record2, opts, "gc");
    (reason === "expired" ? result.expired : result.orphans).push(record2.id);
  }
  const records = await registry2.list();
  for (const id of await removeOrphanContainers2(opts.home, new Set(records.map((r) => r.id)), opts.reporter)) {
    result.released.push(`container ${id}`);
  }
  const clonesDir = import_node_path76.default.join(opts.home, "clones");
  const known = new Set(records.map((r) => r.dir));
  for (const driver of allCloneDiskDrivers(opts.home, opts.reporter)) {
    for (const resource of await driver.list(clonesDir)) {
      if (!resource.ownerDir || known.has(resource.ownerDir) || !isCloneDir(clonesDir, resource.ownerDir)) continue;
      await driver.release(resource);
      result.released.push(`${resource.kind} ${resource.id}`);
    }
    result.released.push(...await driver.sweep?.() ?? []);
  }
  for (const entry of await import_promises68.default.readdir(clonesDir, { withFileTypes: true }).catch(() => [])) {
    const dir = import_node_path76.default.join(clonesDir, entry.name);
    if (!entry.isDirectory() || known.has(dir) || !CLONE_ID_PATTERN.test(entry.name)) continue;
    await import_promises68.default.rm(dir, { recursive: true, force: true });
    result.released.push(`directory ${dir}`);
  }
  result.released.push(...await sweepDeadBuilds(opts.home, opts.reporter));
  let cacheTemps = 0;
  for (const cacheDir of /* @__PURE__ */ new Set([import_node_path76.default.join(opts.home, "cache"), defaultCacheDir()])) {
    cacheTemps += await removeStaleTemps(import_node_path76.default.join(cacheDir, "blobs", "sha256"), 60 * 6e4);
    cacheTemps += await removeDeadPartials(import_node_path76.default.join(cacheDir, "partial"));
  }
  if (cacheTemps > 0) result.released.push(`${cacheTemps} partial cache blob(s)`);
  return result;
}
function isCloneDir(clonesDir, dir) {
  return import_node_path76.default.dirname(dir) === clonesDir && CLONE_ID_PATTERN.test(import_node_path76.default.basename(dir));
}
async function whyCollect(record2, now) {
  if (isExpired(record2, now)) return "expired";
  if (record2.state === "creating" || record2.state === "stopping") {
    const what = record2.state === "creating" ? "creation" : "teardown";
    if (record2.owner) return ownerAlive(record2.owner) ? void 0 : `${what} never finished: its process ${record2.owner.pid} is gone`;
    return now.getTime() - Date.parse(record2.createdAt) > STALE_CREATING_MS ? `${what} never finished` : void 0;
  }
  if (!platformEntry(record2.engine).serverPerClone) return void 0;
  if (!await isServerRunning(record2)) return record2.runtime === "docker" ? "its container is gone or stopped" : "its server is gone";
  return void 0;
}
async function removeOrphanContainers2(home, liveIds, reporter) {
  const docker = await Promise.resolve().then(() => (init_docker(), docker_exports));
  if (!docker.dockerConfigured()) return [];
  const client = docker.dockerClient();
  try {
    await docker.assertDockerReachable(client, 2e3);
  } catch (e) {
    reporter.debug(`gc: no Docker engine to look for containers in: ${e.message}`);
    return [];
  }
  const removed = await docker.removeOrphanContainers(client, import_node_path76.default.resolve(home), liveIds);
  for (const c of removed) reporter.info(`gc: removed container ${c.name || c.id.slice(0, 12)} of clone ${c.cloneId}, which has no record`);
  return removed.map((c) => c.name || c.id.slice(0, 12));
}
var import_promises68, import_node_path76, STALE_CREATING_MS;
var init_gc2 = __esm({
  "packages/core/src/clones/gc.ts"() {
    "use strict";
    init_import_meta_url();
    import_promises68 = __toESM(require("node:fs/promises"), 1);
    import_node_path76 = __toESM(require("node:path"), 1);
    init_platform();
    init_runtime2();
    init_build_sweep();
    init_clone_id();
    init_registry2();
    init_process_identity();
    init_durable_files();
    init_cache_dir();
    init_partial_files();
    init_teardown();
    init_ttl();
    STALE_CREATING_MS = 10 * 6e4;
  }
});

// packages/core/src/clones/index.ts
var clones_exports = {};
__export(clones_exports, {
  CLONE_ID_PATTERN: () => CLONE_ID_PATTERN,
  CloneRegistry: () => CloneRegistry,
  DEFAULT_PORT_RANGE: () => DEFAULT_PORT_RANGE,
  DEFAULT_TTL: () => DEFAULT_TTL,
  ON_IMAGE_CHANGE: () => ON_IMAGE_CHANGE,
  allocatePort: () => allocatePort,
  capTtl: () => capTtl,
  childFileOf: () => childFileOf,
  cloneIdForIdentifier: () => cloneIdForIdentifier,
  clonePaths: () => clonePaths,
  collectGarbage: () => collectGarbage,
  connectionStringOf: () => connectionStringOf,
  createClone: () => createClone,
  credentialsOf: () => credentialsOf,
  diskDigestsInUse: () => diskDigestsInUse,
  expiryFrom: () => expiryFrom,
  formatDuration: () => formatDuration,
  isExpired: () => isExpired,
  isPortFree: () => isPortFree,
  matchesLabels: () => matchesLabels,
  newCloneId: () => newCloneId,
  parseDuration: () => parseDuration,
  parseTtl: () => parseTtl,
  pickFreePort: () => pickFreePort,
  serverOf: () => serverOf,
  teardownClones: () => teardownClones
});
var init_clones = __esm({
  "packages/core/src/clones/index.ts"() {
    "use strict";
    init_import_meta_url();
    init_types();
    init_lifecycle_types();
    init_lifecycle();
    init_teardown();
    init_gc2();
    init_record();
    init_registry2();
    init_clone_paths();
    init_ports();
    init_ttl();
    init_clone_id();
  }
});

// lazy-vendor:cli-progress
var require_cli_progress = __commonJS({
  "lazy-vendor:cli-progress"(exports2, module2) {
    init_import_meta_url();
    var real;
    var load = () => real ??= require("./vendor/cli-progress.cjs");
    module2.exports = {};
    Object.defineProperty(module2.exports, "Bar", { enumerable: true, configurable: true, get: () => load()["Bar"] });
    Object.defineProperty(module2.exports, "Format", { enumerable: true, configurable: true, get: () => load()["Format"] });
    Object.defineProperty(module2.exports, "MultiBar", { enumerable: true, configurable: true, get: () => load()["MultiBar"] });
    Object.defineProperty(module2.exports, "Presets", { enumerable: true, configurable: true, get: () => load()["Presets"] });
    Object.defineProperty(module2.exports, "SingleBar", { enumerable: true, configurable: true, get: () => load()["SingleBar"] });
  }
});

// node_modules/commander/lib/error.js
var require_error = __commonJS({
  "node_modules/commander/lib/error.js"(exports2) {
    init_import_meta_url();
    var CommanderError2 = class extends Error {
      /**
       * Constructs the CommanderError class
       * @param {number} exitCode suggested exit code which could be used with process.exit
       * @param {string} code an id string representing the error
       * @param {string} message human-readable description of the error
       */
      constructor(exitCode, code, message) {
        super(message);
        Error.captureStackTrace(this, this.constructor);
        this.name = this.constructor.name;
        this.code = code;
        this.exitCode = exitCode;
        this.nestedError = void 0;
      }
    };
    var InvalidArgumentError2 = class extends CommanderError2 {
      /**
       * Constructs the InvalidArgumentError class
       * @param {string} [message] explanation of why argument is invalid
       */
      constructor(message) {
        super(1, "commander.invalidArgument", message);
        Error.captureStackTrace(this, this.constructor);
        this.name = this.constructor.name;
      }
    };
    exports2.CommanderError = CommanderError2;
    exports2.InvalidArgumentError = InvalidArgumentError2;
  }
});

// node_modules/commander/lib/argument.js
var require_argument = __commonJS({
  "node_modules/commander/lib/argument.js"(exports2) {
    init_import_meta_url();
    var { InvalidArgumentError: InvalidArgumentError2 } = require_error();
    var Argument2 = class {
      /**
       * Initialize a new command argument with the given name and description.
       * The default is that the argument is required, and you can explicitly
       * indicate this with <> around the name. Put [] around the name for an optional argument.
       *
       * @param {string} name
       * @param {string} [description]
       */
      constructor(name, description) {
        this.description = description || "";
        this.variadic = false;
        this.parseArg = void 0;
        this.defaultValue = void 0;
        this.defaultValueDescription = void 0;
        this.argChoices = void 0;
        switch (name[0]) {
          case "<":
            this.required = true;
            this._name = name.slice(1, -1);
            break;
          case "[":
            this.required = false;
            this._name = name.slice(1, -1);
            break;
          default:
            this.required = true;
            this._name = name;
            break;
        }
        if (this._name.endsWith("...")) {
          this.variadic = true;
          this._name = this._name.slice(0, -3);
        }
      }
      /**
       * Return argument name.
       *
       * @return {string}
       */
      name() {
        return this._name;
      }
      /**
       * @package
       */
      _collectValue(value, previous) {
        if (previous === this.defaultValue || !Array.isArray(previous)) {
          return [value];
        }
        previous.push(value);
        return previous;
      }
      /**
       * Set the default value, and optionally supply the description to be displayed in the help.
       *
       * @param {*} value
       * @param {string} [description]
       * @return {Argument}
       */
      default(value, description) {
        this.defaultValue = value;
        this.defaultValueDescription = description;
        return this;
      }
      /**
       * Set the custom handler for processing CLI command arguments into argument values.
       *
       * @param {Function} [fn]
       * @return {Argument}
       */
      argParser(fn) {
        this.parseArg = fn;
        return this;
      }
      /**
       * Only allow argument value to be one of choices.
       *
       * @param {string[]} values
       * @return {Argument}
       */
      choices(values) {
        this.argChoices = values.slice();
        this.parseArg = (arg, previous) => {
          if (!this.argChoices.includes(arg)) {
            throw new InvalidArgumentError2(
              `Allowed choices are ${this.argChoices.join(", ")}.`
            );
          }
          if (this.variadic) {
            return this._collectValue(arg, previous);
          }
          return arg;
        };
        return this;
      }
      /**
       * Make argument required.
       *
       * @returns {Argument}
       */
      argRequired() {
        this.required = true;
        return this;
      }
      /**
       * Make argument optional.
       *
       * @returns {Argument}
       */
      argOptional() {
        this.required = false;
        return this;
      }
    };
    function humanReadableArgName(arg) {
      const nameOutput = arg.name() + (arg.variadic === true ? "..." : "");
      return arg.required ? "<" + nameOutput + ">" : "[" + nameOutput + "]";
    }
    exports2.Argument = Argument2;
    exports2.humanReadableArgName = humanReadableArgName;
  }
});

// node_modules/commander/lib/help.js
var require_help = __commonJS({
  "node_modules/commander/lib/help.js"(exports2) {
    init_import_meta_url();
    var { humanReadableArgName } = require_argument();
    var Help2 = class {
      constructor() {
        this.helpWidth = void 0;
        this.minWidthToWrap = 40;
        this.sortSubcommands = false;
        this.sortOptions = false;
        this.showGlobalOptions = false;
      }
      /**
       * prepareContext is called by Commander after applying overrides from `Command.configureHelp()`
       * and just before calling `formatHelp()`.
       *
       * Commander just uses the helpWidth and the rest is provided for optional use by more complex subclasses.
       *
       * @param {{ error?: boolean, helpWidth?: number, outputHasColors?: boolean }} contextOptions
       */
      prepareContext(contextOptions) {
        this.helpWidth = this.helpWidth ?? contextOptions.helpWidth ?? 80;
      }
      /**
       * Get an array of the visible subcommands. Includes a placeholder for the implicit help command, if there is one.
       *
       * @param {Command} cmd
       * @returns {Command[]}
       */
      visibleCommands(cmd) {
        const visibleCommands = cmd.commands.filter((cmd2) => !cmd2._hidden);
        const helpCommand = cmd._getHelpCommand();
        if (helpCommand && !helpCommand._hidden) {
          visibleCommands.push(helpCommand);
        }
        if (this.sortSubcommands) {
          visibleCommands.sort((a, b) => {
            return a.name().localeCompare(b.name());
          });
        }
        return visibleCommands;
      }
      /**
       * Compare options for sort.
       *
       * @param {Option} a
       * @param {Option} b
       * @returns {number}
       */
      compareOptions(a, b) {
        const getSortKey = (option) => {
          return option.short ? option.short.replace(/^-/, "") : option.long.replace(/^--/, "");
        };
        return getSortKey(a).localeCompare(getSortKey(b));
      }
      /**
       * Get an array of the visible options. Includes a placeholder for the implicit help option, if there is one.
       *
       * @param {Command} cmd
       * @returns {Option[]}
       */
      visibleOptions(cmd) {
        const visibleOptions = cmd.options.filter((option) => !option.hidden);
        const helpOption = cmd._getHelpOption();
        if (helpOption && !helpOption.hidden) {
          const removeShort = helpOption.short && cmd._findOption(helpOption.short);
          const removeLong = helpOption.long && cmd._findOption(helpOption.long);
          if (!removeShort && !removeLong) {
            visibleOptions.push(helpOption);
          } else if (helpOption.long && !removeLong) {
            visibleOptions.push(
              cmd.createOption(helpOption.long, helpOption.description)
            );
          } else if (helpOption.short && !removeShort) {
            visibleOptions.push(
              cmd.createOption(helpOption.short, helpOption.description)
            );
          }
        }
        if (this.sortOptions) {
          visibleOptions.sort(this.compareOptions);
        }
        return visibleOptions;
      }
      /**
       * Get an array of the visible global options. (Not including help.)
       *
       * @param {Command} cmd
       * @returns {Option[]}
       */
      visibleGlobalOptions(cmd) {
        if (!this.showGlobalOptions) return [];
        const globalOptions = [];
        for (let ancestorCmd = cmd.parent; ancestorCmd; ancestorCmd = ancestorCmd.parent) {
          const visibleOptions = ancestorCmd.options.filter(
            (option) => !option.hidden
          );
          globalOptions.push(...visibleOptions);
        }
        if (this.sortOptions) {
          globalOptions.sort(this.compareOptions);
        }
        return globalOptions;
      }
      /**
       * Get an array of the arguments if any have a description.
       *
       * @param {Command} cmd
       * @returns {Argument[]}
       */
      visibleArguments(cmd) {
        if (cmd._argsDescription) {
          cmd.registeredArguments.forEach((argument) => {
            argument.description = argument.description || cmd._argsDescription[argument.name()] || "";
          });
        }
        if (cmd.registeredArguments.find((argument) => argument.description)) {
          return cmd.registeredArguments;
        }
        return [];
      }
      /**
       * Get the command term to show in the list of subcommands.
       *
       * @param {Command} cmd
       * @returns {string}
       */
      subcommandTerm(cmd) {
        const args = cmd.registeredArguments.map((arg) => humanReadableArgName(arg)).join(" ");
        return cmd._name + (cmd._aliases[0] ? "|" + cmd._aliases[0] : "") + (cmd.options.length ? " [options]" : "") + // simplistic check for non-help option
        (args ? " " + args : "");
      }
      /**
       * Get the option term to show in the list of options.
       *
       * @param {Option} option
       * @returns {string}
       */
      optionTerm(option) {
        return option.flags;
      }
      /**
       * Get the argument term to show in the list of arguments.
       *
       * @param {Argument} argument
       * @returns {string}
       */
      argumentTerm(argument) {
        return argument.name();
      }
      /**
       * Get the longest command term length.
       *
       * @param {Command} cmd
       * @param {Help} helper
       * @returns {number}
       */
      longestSubcommandTermLength(cmd, helper) {
        return helper.visibleCommands(cmd).reduce((max, command) => {
          return Math.max(
            max,
            this.displayWidth(
              helper.styleSubcommandTerm(helper.subcommandTerm(command))
            )
          );
        }, 0);
      }
      /**
       * Get the longest option term length.
       *
       * @param {Command} cmd
       * @param {Help} helper
       * @returns {number}
       */
      longestOptionTermLength(cmd, helper) {
        return helper.visibleOptions(cmd).reduce((max, option) => {
          return Math.max(
            max,
            this.displayWidth(helper.styleOptionTerm(helper.optionTerm(option)))
          );
        }, 0);
      }
      /**
       * Get the longest global option term length.
       *
       * @param {Command} cmd
       * @param {Help} helper
       * @returns {number}
       */
      longestGlobalOptionTermLength(cmd, helper) {
        return helper.visibleGlobalOptions(cmd).reduce((max, option) => {
          return Math.max(
            max,
            this.displayWidth(helper.styleOptionTerm(helper.optionTerm(option)))
          );
        }, 0);
      }
      /**
       * Get the longest argument term length.
       *
       * @param {Command} cmd
       * @param {Help} helper
       * @returns {number}
       */
      longestArgumentTermLength(cmd, helper) {
        return helper.visibleArguments(cmd).reduce((max, argument) => {
          return Math.max(
            max,
            this.displayWidth(
              helper.styleArgumentTerm(helper.argumentTerm(argument))
            )
          );
        }, 0);
      }
      /**
       * Get the command usage to be displayed at the top of the built-in help.
       *
       * @param {Command} cmd
       * @returns {string}
       */
      commandUsage(cmd) {
        let cmdName = cmd._name;
        if (cmd._aliases[0]) {
          cmdName = cmdName + "|" + cmd._aliases[0];
        }
        let ancestorCmdNames = "";
        for (let ancestorCmd = cmd.parent; ancestorCmd; ancestorCmd = ancestorCmd.parent) {
          ancestorCmdNames = ancestorCmd.name() + " " + ancestorCmdNames;
        }
        return ancestorCmdNames + cmdName + " " + cmd.usage();
      }
      /**
       * Get the description for the command.
       *
       * @param {Command} cmd
       * @returns {string}
       */
      commandDescription(cmd) {
        return cmd.description();
      }
      /**
       * Get the subcommand summary to show in the list of subcommands.
       * (Fallback to description for backwards compatibility.)
       *
       * @param {Command} cmd
       * @returns {string}
       */
      subcommandDescription(cmd) {
        return cmd.summary() || cmd.description();
      }
      /**
       * Get the option description to show in the list of options.
       *
       * @param {Option} option
       * @return {string}
       */
      optionDescription(option) {
        const extraInfo = [];
        if (option.argChoices) {
          extraInfo.push(
            // use stringify to match the display of the default value
            `choices: ${option.argChoices.map((choice) => JSON.stringify(choice)).join(", ")}`
          );
        }
        if (option.defaultValue !== void 0) {
          const showDefault = option.required || option.optional || option.isBoolean() && typeof option.defaultValue === "boolean";
          if (showDefault) {
            extraInfo.push(
              `default: ${option.defaultValueDescription || JSON.stringify(option.defaultValue)}`
            );
          }
        }
        if (option.presetArg !== void 0 && option.optional) {
          extraInfo.push(`preset: ${JSON.stringify(option.presetArg)}`);
        }
        if (option.envVar !== void 0) {
          extraInfo.push(`env: ${option.envVar}`);
        }
        if (extraInfo.length > 0) {
          const extraDescription = `(${extraInfo.join(", ")})`;
          if (option.description) {
            return `${option.description} ${extraDescription}`;
          }
          return extraDescription;
        }
        return option.description;
      }
      /**
       * Get the argument description to show in the list of arguments.
       *
       * @param {Argument} argument
       * @return {string}
       */
      argumentDescription(argument) {
        const extraInfo = [];
        if (argument.argChoices) {
          extraInfo.push(
            // use stringify to match the display of the default value
            `choices: ${argument.argChoices.map((choice) => JSON.stringify(choice)).join(", ")}`
          );
        }
        if (argument.defaultValue !== void 0) {
          extraInfo.push(
            `default: ${argument.defaultValueDescription || JSON.stringify(argument.defaultValue)}`
          );
        }
        if (extraInfo.length > 0) {
          const extraDescription = `(${extraInfo.join(", ")})`;
          if (argument.description) {
            return `${argument.description} ${extraDescription}`;
          }
          return extraDescription;
        }
        return argument.description;
      }
      /**
       * Format a list of items, given a heading and an array of formatted items.
       *
       * @param {string} heading
       * @param {string[]} items
       * @param {Help} helper
       * @returns string[]
       */
      formatItemList(heading, items, helper) {
        if (items.length === 0) return [];
        return [helper.styleTitle(heading), ...items, ""];
      }
      /**
       * Group items by their help group heading.
       *
       * @param {Command[] | Option[]} unsortedItems
       * @param {Command[] | Option[]} visibleItems
       * @param {Function} getGroup
       * @returns {Map<string, Command[] | Option[]>}
       */
      groupItems(unsortedItems, visibleItems, getGroup) {
        const result = /* @__PURE__ */ new Map();
        unsortedItems.forEach((item) => {
          const group = getGroup(item);
          if (!result.has(group)) result.set(group, []);
        });
        visibleItems.forEach((item) => {
          const group = getGroup(item);
          if (!result.has(group)) {
            result.set(group, []);
          }
          result.get(group).push(item);
        });
        return result;
      }
      /**
       * Generate the built-in help text.
       *
       * @param {Command} cmd
       * @param {Help} helper
       * @returns {string}
       */
      formatHelp(cmd, helper) {
        const termWidth = helper.padWidth(cmd, helper);
        const helpWidth = helper.helpWidth ?? 80;
        function callFormatItem(term, description) {
          return helper.formatItem(term, termWidth, description, helper);
        }
        let output = [
          `${helper.styleTitle("Usage:")} ${helper.styleUsage(helper.commandUsage(cmd))}`,
          ""
        ];
        const commandDescription = helper.commandDescription(cmd);
        if (commandDescription.length > 0) {
          output = output.concat([
            helper.boxWrap(
              helper.styleCommandDescription(commandDescription),
              helpWidth
            ),
            ""
          ]);
        }
        const argumentList = helper.visibleArguments(cmd).map((argument) => {
          return callFormatItem(
            helper.styleArgumentTerm(helper.argumentTerm(argument)),
            helper.styleArgumentDescription(helper.argumentDescription(argument))
          );
        });
        output = output.concat(
          this.formatItemList("Arguments:", argumentList, helper)
        );
        const optionGroups = this.groupItems(
          cmd.options,
          helper.visibleOptions(cmd),
          (option) => option.helpGroupHeading ?? "Options:"
        );
        optionGroups.forEach((options, group) => {
          const optionList = options.map((option) => {
            return callFormatItem(
              helper.styleOptionTerm(helper.optionTerm(option)),
              helper.styleOptionDescription(helper.optionDescription(option))
            );
          });
          output = output.concat(this.formatItemList(group, optionList, helper));
        });
        if (helper.showGlobalOptions) {
          const globalOptionList = helper.visibleGlobalOptions(cmd).map((option) => {
            return callFormatItem(
              helper.styleOptionTerm(helper.optionTerm(option)),
              helper.styleOptionDescription(helper.optionDescription(option))
            );
          });
          output = output.concat(
            this.formatItemList("Global Options:", globalOptionList, helper)
          );
        }
        const commandGroups = this.groupItems(
          cmd.commands,
          helper.visibleCommands(cmd),
          (sub) => sub.helpGroup() || "Commands:"
        );
        commandGroups.forEach((commands, group) => {
          const commandList = commands.map((sub) => {
            return callFormatItem(
              helper.styleSubcommandTerm(helper.subcommandTerm(sub)),
              helper.styleSubcommandDescription(helper.subcommandDescription(sub))
            );
          });
          output = output.concat(this.formatItemList(group, commandList, helper));
        });
        return output.join("\n");
      }
      /**
       * Return display width of string, ignoring ANSI escape sequences. Used in padding and wrapping calculations.
       *
       * @param {string} str
       * @returns {number}
       */
      displayWidth(str) {
        return stripColor(str).length;
      }
      /**
       * Style the title for displaying in the help. Called with 'Usage:', 'Options:', etc.
       *
       * @param {string} str
       * @returns {string}
       */
      styleTitle(str) {
        return str;
      }
      styleUsage(str) {
        return str.split(" ").map((word) => {
          if (word === "[options]") return this.styleOptionText(word);
          if (word === "[command]") return this.styleSubcommandText(word);
          if (word[0] === "[" || word[0] === "<")
            return this.styleArgumentText(word);
          return this.styleCommandText(word);
        }).join(" ");
      }
      styleCommandDescription(str) {
        return this.styleDescriptionText(str);
      }
      styleOptionDescription(str) {
        return this.styleDescriptionText(str);
      }
      styleSubcommandDescription(str) {
        return this.styleDescriptionText(str);
      }
      styleArgumentDescription(str) {
        return this.styleDescriptionText(str);
      }
      styleDescriptionText(str) {
        return str;
      }
      styleOptionTerm(str) {
        return this.styleOptionText(str);
      }
      styleSubcommandTerm(str) {
        return str.split(" ").map((word) => {
          if (word === "[options]") return this.styleOptionText(word);
          if (word[0] === "[" || word[0] === "<")
            return this.styleArgumentText(word);
          return this.styleSubcommandText(word);
        }).join(" ");
      }
      styleArgumentTerm(str) {
        return this.styleArgumentText(str);
      }
      styleOptionText(str) {
        return str;
      }
      styleArgumentText(str) {
        return str;
      }
      styleSubcommandText(str) {
        return str;
      }
      styleCommandText(str) {
        return str;
      }
      /**
       * Calculate the pad width from the maximum term length.
       *
       * @param {Command} cmd
       * @param {Help} helper
       * @returns {number}
       */
      padWidth(cmd, helper) {
        return Math.max(
          helper.longestOptionTermLength(cmd, helper),
          helper.longestGlobalOptionTermLength(cmd, helper),
          helper.longestSubcommandTermLength(cmd, helper),
          helper.longestArgumentTermLength(cmd, helper)
        );
      }
      /**
       * Detect manually wrapped and indented strings by checking for line break followed by whitespace.
       *
       * @param {string} str
       * @returns {boolean}
       */
      preformatted(str) {
        return /\n[^\S\r\n]/.test(str);
      }
      /**
       * Format the "item", which consists of a term and description. Pad the term and wrap the description, indenting the following lines.
       *
       * So "TTT", 5, "DDD DDDD DD DDD" might be formatted for this.helpWidth=17 like so:
       *   TTT  DDD DDDD
       *        DD DDD
       *
       * @param {string} term
       * @param {number} termWidth
       * @param {string} description
       * @param {Help} helper
       * @returns {string}
       */
      formatItem(term, termWidth, description, helper) {
        const itemIndent = 2;
        const itemIndentStr = " ".repeat(itemIndent);
        if (!description) return itemIndentStr + term;
        const paddedTerm = term.padEnd(
          termWidth + term.length - helper.displayWidth(term)
        );
        const spacerWidth = 2;
        const helpWidth = this.helpWidth ?? 80;
        const remainingWidth = helpWidth - termWidth - spacerWidth - itemIndent;
        let formattedDescription;
        if (remainingWidth < this.minWidthToWrap || helper.preformatted(description)) {
          formattedDescription = description;
        } else {
          const wrappedDescription = helper.boxWrap(description, remainingWidth);
          formattedDescription = wrappedDescription.replace(
            /\n/g,
            "\n" + " ".repeat(termWidth + spacerWidth)
          );
        }
        return itemIndentStr + paddedTerm + " ".repeat(spacerWidth) + formattedDescription.replace(/\n/g, `
${itemIndentStr}`);
      }
      /**
       * Wrap a string at whitespace, preserving existing line breaks.
       * Wrapping is skipped if the width is less than `minWidthToWrap`.
       *
       * @param {string} str
       * @param {number} width
       * @returns {string}
       */
      boxWrap(str, width) {
        if (width < this.minWidthToWrap) return str;
        const rawLines = str.split(/\r\n|\n/);
        const chunkPattern = /[\s]*[^\s]+/g;
        const wrappedLines = [];
        rawLines.forEach((line) => {
          const chunks = line.match(chunkPattern);
          if (chunks === null) {
            wrappedLines.push("");
            return;
          }
          let sumChunks = [chunks.shift()];
          let sumWidth = this.displayWidth(sumChunks[0]);
          chunks.forEach((chunk) => {
            const visibleWidth = this.displayWidth(chunk);
            if (sumWidth + visibleWidth <= width) {
              sumChunks.push(chunk);
              sumWidth += visibleWidth;
              return;
            }
            wrappedLines.push(sumChunks.join(""));
            const nextChunk = chunk.trimStart();
            sumChunks = [nextChunk];
            sumWidth = this.displayWidth(nextChunk);
          });
          wrappedLines.push(sumChunks.join(""));
        });
        return wrappedLines.join("\n");
      }
    };
    function stripColor(str) {
      const sgrPattern = /\x1b\[\d*(;\d*)*m/g;
      return str.replace(sgrPattern, "");
    }
    exports2.Help = Help2;
    exports2.stripColor = stripColor;
  }
});

// node_modules/commander/lib/option.js
var require_option = __commonJS({
  "node_modules/commander/lib/option.js"(exports2) {
    init_import_meta_url();
    var { InvalidArgumentError: InvalidArgumentError2 } = require_error();
    var Option2 = class {
      /**
       * Initialize a new `Option` with the given `flags` and `description`.
       *
       * @param {string} flags
       * @param {string} [description]
       */
      constructor(flags, description) {
        this.flags = flags;
        this.description = description || "";
        this.required = flags.includes("<");
        this.optional = flags.includes("[");
        this.variadic = /\w\.\.\.[>\]]$/.test(flags);
        this.mandatory = false;
        const optionFlags = splitOptionFlags(flags);
        this.short = optionFlags.shortFlag;
        this.long = optionFlags.longFlag;
        this.negate = false;
        if (this.long) {
          this.negate = this.long.startsWith("--no-");
        }
        this.defaultValue = void 0;
        this.defaultValueDescription = void 0;
        this.presetArg = void 0;
        this.envVar = void 0;
        this.parseArg = void 0;
        this.hidden = false;
        this.argChoices = void 0;
        this.conflictsWith = [];
        this.implied = void 0;
        this.helpGroupHeading = void 0;
      }
      /**
       * Set the default value, and optionally supply the description to be displayed in the help.
       *
       * @param {*} value
       * @param {string} [description]
       * @return {Option}
       */
      default(value, description) {
        this.defaultValue = value;
        this.defaultValueDescription = description;
        return this;
      }
      /**
       * Preset to use when option used without option-argument, especially optional but also boolean and negated.
       * The custom processing (parseArg) is called.
       *
       * @example
       * new Option('--color').default('GREYSCALE').preset('RGB');
       * new Option('--donate [amount]').preset('20').argParser(parseFloat);
       *
       * @param {*} arg
       * @return {Option}
       */
      preset(arg) {
        this.presetArg = arg;
        return this;
      }
      /**
       * Add option name(s) that conflict with this option.
       * An error will be displayed if conflicting options are found during parsing.
       *
       * @example
       * new Option('--rgb').conflicts('cmyk');
       * new Option('--js').conflicts(['ts', 'jsx']);
       *
       * @param {(string | string[])} names
       * @return {Option}
       */
      conflicts(names) {
        this.conflictsWith = this.conflictsWith.concat(names);
        return this;
      }
      /**
       * Specify implied option values for when this option is set and the implied options are not.
       *
       * The custom processing (parseArg) is not called on the implied values.
       *
       * @example
       * program
       *   .addOption(new Option('--log', 'write logging information to file'))
       *   .addOption(new Option('--trace', 'log extra details').implies({ log: 'trace.txt' }));
       *
       * @param {object} impliedOptionValues
       * @return {Option}
       */
      implies(impliedOptionValues) {
        let newImplied = impliedOptionValues;
        if (typeof impliedOptionValues === "string") {
          newImplied = { [impliedOptionValues]: true };
        }
        this.implied = Object.assign(this.implied || {}, newImplied);
        return this;
      }
      /**
       * Set environment variable to check for option value.
       *
       * An environment variable is only used if when processed the current option value is
       * undefined, or the source of the current value is 'default' or 'config' or 'env'.
       *
       * @param {string} name
       * @return {Option}
       */
      env(name) {
        this.envVar = name;
        return this;
      }
      /**
       * Set the custom handler for processing CLI option arguments into option values.
       *
       * @param {Function} [fn]
       * @return {Option}
       */
      argParser(fn) {
        this.parseArg = fn;
        return this;
      }
      /**
       * Whether the option is mandatory and must have a value after parsing.
       *
       * @param {boolean} [mandatory=true]
       * @return {Option}
       */
      makeOptionMandatory(mandatory = true) {
        this.mandatory = !!mandatory;
        return this;
      }
      /**
       * Hide option in help.
       *
       * @param {boolean} [hide=true]
       * @return {Option}
       */
      hideHelp(hide2 = true) {
        this.hidden = !!hide2;
        return this;
      }
      /**
       * @package
       */
      _collectValue(value, previous) {
        if (previous === this.defaultValue || !Array.isArray(previous)) {
          return [value];
        }
        previous.push(value);
        return previous;
      }
      /**
       * Only allow option value to be one of choices.
       *
       * @param {string[]} values
       * @return {Option}
       */
      choices(values) {
        this.argChoices = values.slice();
        this.parseArg = (arg, previous) => {
          if (!this.argChoices.includes(arg)) {
            throw new InvalidArgumentError2(
              `Allowed choices are ${this.argChoices.join(", ")}.`
            );
          }
          if (this.variadic) {
            return this._collectValue(arg, previous);
          }
          return arg;
        };
        return this;
      }
      /**
       * Return option name.
       *
       * @return {string}
       */
      name() {
        if (this.long) {
          return this.long.replace(/^--/, "");
        }
        return this.short.replace(/^-/, "");
      }
      /**
       * Return option name, in a camelcase format that can be used
       * as an object attribute key.
       *
       * @return {string}
       */
      attributeName() {
        if (this.negate) {
          return camelcase(this.name().replace(/^no-/, ""));
        }
        return camelcase(this.name());
      }
      /**
       * Set the help group heading.
       *
       * @param {string} heading
       * @return {Option}
       */
      helpGroup(heading) {
        this.helpGroupHeading = heading;
        return this;
      }
      /**
       * Check if `arg` matches the short or long flag.
       *
       * @param {string} arg
       * @return {boolean}
       * @package
       */
      is(arg) {
        return this.short === arg || this.long === arg;
      }
      /**
       * Return whether a boolean option.
       *
       * Options are one of boolean, negated, required argument, or optional argument.
       *
       * @return {boolean}
       * @package
       */
      isBoolean() {
        return !this.required && !this.optional && !this.negate;
      }
    };
    var DualOptions = class {
      /**
       * @param {Option[]} options
       */
      constructor(options) {
        this.positiveOptions = /* @__PURE__ */ new Map();
        this.negativeOptions = /* @__PURE__ */ new Map();
        this.dualOptions = /* @__PURE__ */ new Set();
        options.forEach((option) => {
          if (option.negate) {
            this.negativeOptions.set(option.attributeName(), option);
          } else {
            this.positiveOptions.set(option.attributeName(), option);
          }
        });
        this.negativeOptions.forEach((value, key) => {
          if (this.positiveOptions.has(key)) {
            this.dualOptions.add(key);
          }
        });
      }
      /**
       * Did the value come from the option, and not from possible matching dual option?
       *
       * @param {*} value
       * @param {Option} option
       * @returns {boolean}
       */
      valueFromOption(value, option) {
        const optionKey = option.attributeName();
        if (!this.dualOptions.has(optionKey)) return true;
        const preset = this.negativeOptions.get(optionKey).presetArg;
        const negativeValue = preset !== void 0 ? preset : false;
        return option.negate === (negativeValue === value);
      }
    };
    function camelcase(str) {
      return str.split("-").reduce((str2, word) => {
        return str2 + word[0].toUpperCase() + word.slice(1);
      });
    }
    function splitOptionFlags(flags) {
      let shortFlag;
      let longFlag;
      const shortFlagExp = /^-[^-]$/;
      const longFlagExp = /^--[^-]/;
      const flagParts = flags.split(/[ |,]+/).concat("guard");
      if (shortFlagExp.test(flagParts[0])) shortFlag = flagParts.shift();
      if (longFlagExp.test(flagParts[0])) longFlag = flagParts.shift();
      if (!shortFlag && shortFlagExp.test(flagParts[0]))
        shortFlag = flagParts.shift();
      if (!shortFlag && longFlagExp.test(flagParts[0])) {
        shortFlag = longFlag;
        longFlag = flagParts.shift();
      }
      if (flagParts[0].startsWith("-")) {
        const unsupportedFlag = flagParts[0];
        const baseError = `option creation failed due to '${unsupportedFlag}' in option flags '${flags}'`;
        if (/^-[^-][^-]/.test(unsupportedFlag))
          throw new Error(
            `${baseError}
- a short flag is a single dash and a single character
  - either use a single dash and a single character (for a short flag)
  - or use a double dash for a long option (and can have two, like '--ws, --workspace')`
          );
        if (shortFlagExp.test(unsupportedFlag))
          throw new Error(`${baseError}
- too many short flags`);
        if (longFlagExp.test(unsupportedFlag))
          throw new Error(`${baseError}
- too many long flags`);
        throw new Error(`${baseError}
- unrecognised flag format`);
      }
      if (shortFlag === void 0 && longFlag === void 0)
        throw new Error(
          `option creation failed due to no flags found in '${flags}'.`
        );
      return { shortFlag, longFlag };
    }
    exports2.Option = Option2;
    exports2.DualOptions = DualOptions;
  }
});

// node_modules/commander/lib/suggestSimilar.js
var require_suggestSimilar = __commonJS({
  "node_modules/commander/lib/suggestSimilar.js"(exports2) {
    init_import_meta_url();
    var maxDistance = 3;
    function editDistance(a, b) {
      if (Math.abs(a.length - b.length) > maxDistance)
        return Math.max(a.length, b.length);
      const d = [];
      for (let i = 0; i <= a.length; i++) {
        d[i] = [i];
      }
      for (let j = 0; j <= b.length; j++) {
        d[0][j] = j;
      }
      for (let j = 1; j <= b.length; j++) {
        for (let i = 1; i <= a.length; i++) {
          let cost = 1;
          if (a[i - 1] === b[j - 1]) {
            cost = 0;
          } else {
            cost = 1;
          }
          d[i][j] = Math.min(
            d[i - 1][j] + 1,
            // deletion
            d[i][j - 1] + 1,
            // insertion
            d[i - 1][j - 1] + cost
            // substitution
          );
          if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
            d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
          }
        }
      }
      return d[a.length][b.length];
    }
    function suggestSimilar(word, candidates) {
      if (!candidates || candidates.length === 0) return "";
      candidates = Array.from(new Set(candidates));
      const searchingOptions = word.startsWith("--");
      if (searchingOptions) {
        word = word.slice(2);
        candidates = candidates.map((candidate) => candidate.slice(2));
      }
      let similar = [];
      let bestDistance = maxDistance;
      const minSimilarity = 0.4;
      candidates.forEach((candidate) => {
        if (candidate.length <= 1) return;
        const distance = editDistance(word, candidate);
        const length = Math.max(word.length, candidate.length);
        const similarity = (length - distance) / length;
        if (similarity > minSimilarity) {
          if (distance < bestDistance) {
            bestDistance = distance;
            similar = [candidate];
          } else if (distance === bestDistance) {
            similar.push(candidate);
          }
        }
      });
      similar.sort((a, b) => a.localeCompare(b));
      if (searchingOptions) {
        similar = similar.map((candidate) => `--${candidate}`);
      }
      if (similar.length > 1) {
        return `
(Did you mean one of ${similar.join(", ")}?)`;
      }
      if (similar.length === 1) {
        return `
(Did you mean ${similar[0]}?)`;
      }
      return "";
    }
    exports2.suggestSimilar = suggestSimilar;
  }
});

// node_modules/commander/lib/command.js
var require_command = __commonJS({
  "node_modules/commander/lib/command.js"(exports2) {
    init_import_meta_url();
    var EventEmitter = require("node:events").EventEmitter;
    var childProcess = require("node:child_process");
    var path78 = require("node:path");
    var fs6 = require("node:fs");
    var process2 = require("node:process");
    var { Argument: Argument2, humanReadableArgName } = require_argument();
    var { CommanderError: CommanderError2 } = require_error();
    var { Help: Help2, stripColor } = require_help();
    var { Option: Option2, DualOptions } = require_option();
    var { suggestSimilar } = require_suggestSimilar();
    var Command2 = class _Command extends EventEmitter {
      /**
       * Initialize a new `Command`.
       *
       * @param {string} [name]
       */
      constructor(name) {
        super();
        this.commands = [];
        this.options = [];
        this.parent = null;
        this._allowUnknownOption = false;
        this._allowExcessArguments = false;
        this.registeredArguments = [];
        this._args = this.registeredArguments;
        this.args = [];
        this.rawArgs = [];
        this.processedArgs = [];
        this._scriptPath = null;
        this._name = name || "";
        this._optionValues = {};
        this._optionValueSources = {};
        this._storeOptionsAsProperties = false;
        this._actionHandler = null;
        this._executableHandler = false;
        this._executableFile = null;
        this._executableDir = null;
        this._defaultCommandName = null;
        this._exitCallback = null;
        this._aliases = [];
        this._combineFlagAndOptionalValue = true;
        this._description = "";
        this._summary = "";
        this._argsDescription = void 0;
        this._enablePositionalOptions = false;
        this._passThroughOptions = false;
        this._lifeCycleHooks = {};
        this._showHelpAfterError = false;
        this._showSuggestionAfterError = true;
        this._savedState = null;
        this._outputConfiguration = {
          writeOut: (str) => process2.stdout.write(str),
          writeErr: (str) => process2.stderr.write(str),
          outputError: (str, write) => write(str),
          getOutHelpWidth: () => process2.stdout.isTTY ? process2.stdout.columns : void 0,
          getErrHelpWidth: () => process2.stderr.isTTY ? process2.stderr.columns : void 0,
          getOutHasColors: () => useColor() ?? (process2.stdout.isTTY && process2.stdout.hasColors?.()),
          getErrHasColors: () => useColor() ?? (process2.stderr.isTTY && process2.stderr.hasColors?.()),
          stripColor: (str) => stripColor(str)
        };
        this._hidden = false;
        this._helpOption = void 0;
        this._addImplicitHelpCommand = void 0;
        this._helpCommand = void 0;
        this._helpConfiguration = {};
        this._helpGroupHeading = void 0;
        this._defaultCommandGroup = void 0;
        this._defaultOptionGroup = void 0;
      }
      /**
       * Copy settings that are useful to have in common across root command and subcommands.
       *
       * (Used internally when adding a command using `.command()` so subcommands inherit parent settings.)
       *
       * @param {Command} sourceCommand
       * @return {Command} `this` command for chaining
       */
      copyInheritedSettings(sourceCommand) {
        this._outputConfiguration = sourceCommand._outputConfiguration;
        this._helpOption = sourceCommand._helpOption;
        this._helpCommand = sourceCommand._helpCommand;
        this._helpConfiguration = sourceCommand._helpConfiguration;
        this._exitCallback = sourceCommand._exitCallback;
        this._storeOptionsAsProperties = sourceCommand._storeOptionsAsProperties;
        this._combineFlagAndOptionalValue = sourceCommand._combineFlagAndOptionalValue;
        this._allowExcessArguments = sourceCommand._allowExcessArguments;
        this._enablePositionalOptions = sourceCommand._enablePositionalOptions;
        this._showHelpAfterError = sourceCommand._showHelpAfterError;
        this._showSuggestionAfterError = sourceCommand._showSuggestionAfterError;
        return this;
      }
      /**
       * @returns {Command[]}
       * @private
       */
      _getCommandAndAncestors() {
        const result = [];
        for (let command = this; command; command = command.parent) {
          result.push(command);
        }
        return result;
      }
      /**
       * Define a command.
       *
       * There are two styles of command: pay attention to where to put the description.
       *
       * @example
       * // Command implemented using action handler (description is supplied separately to `.command`)
       * program
       *   .command('clone <source> [destination]')
       *   .description('clone a repository into a newly created directory')
       *   .action((source, destination) => {
       *     console.log('clone command called');
       *   });
       *
       * // Command implemented using separate executable file (description is second parameter to `.command`)
       * program
       *   .command('start <service>', 'start named service')
       *   .command('stop [service]', 'stop named service, or all if no name supplied');
       *
       * @param {string} nameAndArgs - command name and arguments, args are `<required>` or `[optional]` and last may also be `variadic...`
       * @param {(object | string)} [actionOptsOrExecDesc] - configuration options (for action), or description (for executable)
       * @param {object} [execOpts] - configuration options (for executable)
       * @return {Command} returns new command for action handler, or `this` for executable command
       */
      command(nameAndArgs, actionOptsOrExecDesc, execOpts) {
        let desc = actionOptsOrExecDesc;
        let opts = execOpts;
        if (typeof desc === "object" && desc !== null) {
          opts = desc;
          desc = null;
        }
        opts = opts || {};
        const [, name, args] = nameAndArgs.match(/([^ ]+) *(.*)/);
        const cmd = this.createCommand(name);
        if (desc) {
          cmd.description(desc);
          cmd._executableHandler = true;
        }
        if (opts.isDefault) this._defaultCommandName = cmd._name;
        cmd._hidden = !!(opts.noHelp || opts.hidden);
        cmd._executableFile = opts.executableFile || null;
        if (args) cmd.arguments(args);
        this._registerCommand(cmd);
        cmd.parent = this;
        cmd.copyInheritedSettings(this);
        if (desc) return this;
        return cmd;
      }
      /**
       * Factory routine to create a new unattached command.
       *
       * See .command() for creating an attached subcommand, which uses this routine to
       * create the command. You can override createCommand to customise subcommands.
       *
       * @param {string} [name]
       * @return {Command} new command
       */
      createCommand(name) {
        return new _Command(name);
      }
      /**
       * You can customise the help with a subclass of Help by overriding createHelp,
       * or by overriding Help properties using configureHelp().
       *
       * @return {Help}
       */
      createHelp() {
        return Object.assign(new Help2(), this.configureHelp());
      }
      /**
       * You can customise the help by overriding Help properties using configureHelp(),
       * or with a subclass of Help by overriding createHelp().
       *
       * @param {object} [configuration] - configuration options
       * @return {(Command | object)} `this` command for chaining, or stored configuration
       */
      configureHelp(configuration) {
        if (configuration === void 0) return this._helpConfiguration;
        this._helpConfiguration = configuration;
        return this;
      }
      /**
       * The default output goes to stdout and stderr. You can customise this for special
       * applications. You can also customise the display of errors by overriding outputError.
       *
       * The configuration properties are all functions:
       *
       *     // change how output being written, defaults to stdout and stderr
       *     writeOut(str)
       *     writeErr(str)
       *     // change how output being written for errors, defaults to writeErr
       *     outputError(str, write) // used for displaying errors and not used for displaying help
       *     // specify width for wrapping help
       *     getOutHelpWidth()
       *     getErrHelpWidth()
       *     // color support, currently only used with Help
       *     getOutHasColors()
       *     getErrHasColors()
       *     stripColor() // used to remove ANSI escape codes if output does not have colors
       *
       * @param {object} [configuration] - configuration options
       * @return {(Command | object)} `this` command for chaining, or stored configuration
       */
      configureOutput(configuration) {
        if (configuration === void 0) return this._outputConfiguration;
        this._outputConfiguration = {
          ...this._outputConfiguration,
          ...configuration
        };
        return this;
      }
      /**
       * Display the help or a custom message after an error occurs.
       *
       * @param {(boolean|string)} [displayHelp]
       * @return {Command} `this` command for chaining
       */
      showHelpAfterError(displayHelp = true) {
        if (typeof displayHelp !== "string") displayHelp = !!displayHelp;
        this._showHelpAfterError = displayHelp;
        return this;
      }
      /**
       * Display suggestion of similar commands for unknown commands, or options for unknown options.
       *
       * @param {boolean} [displaySuggestion]
       * @return {Command} `this` command for chaining
       */
      showSuggestionAfterError(displaySuggestion = true) {
        this._showSuggestionAfterError = !!displaySuggestion;
        return this;
      }
      /**
       * Add a prepared subcommand.
       *
       * See .command() for creating an attached subcommand which inherits settings from its parent.
       *
       * @param {Command} cmd - new subcommand
       * @param {object} [opts] - configuration options
       * @return {Command} `this` command for chaining
       */
      addCommand(cmd, opts) {
        if (!cmd._name) {
          throw new Error(`Command passed to .addCommand() must have a name
- specify the name in Command constructor or using .name()`);
        }
        opts = opts || {};
        if (opts.isDefault) this._defaultCommandName = cmd._name;
        if (opts.noHelp || opts.hidden) cmd._hidden = true;
        this._registerCommand(cmd);
        cmd.parent = this;
        cmd._checkForBrokenPassThrough();
        return this;
      }
      /**
       * Factory routine to create a new unattached argument.
       *
       * See .argument() for creating an attached argument, which uses this routine to
       * create the argument. You can override createArgument to return a custom argument.
       *
       * @param {string} name
       * @param {string} [description]
       * @return {Argument} new argument
       */
      createArgument(name, description) {
        return new Argument2(name, description);
      }
      /**
       * Define argument syntax for command.
       *
       * The default is that the argument is required, and you can explicitly
       * indicate this with <> around the name. Put [] around the name for an optional argument.
       *
       * @example
       * program.argument('<input-file>');
       * program.argument('[output-file]');
       *
       * @param {string} name
       * @param {string} [description]
       * @param {(Function|*)} [parseArg] - custom argument processing function or default value
       * @param {*} [defaultValue]
       * @return {Command} `this` command for chaining
       */
      argument(name, description, parseArg, defaultValue) {
        const argument = this.createArgument(name, description);
        if (typeof parseArg === "function") {
          argument.default(defaultValue).argParser(parseArg);
        } else {
          argument.default(parseArg);
        }
        this.addArgument(argument);
        return this;
      }
      /**
       * Define argument syntax for command, adding multiple at once (without descriptions).
       *
       * See also .argument().
       *
       * @example
       * program.arguments('<cmd> [env]');
       *
       * @param {string} names
       * @return {Command} `this` command for chaining
       */
      arguments(names) {
        names.trim().split(/ +/).forEach((detail) => {
          this.argument(detail);
        });
        return this;
      }
      /**
       * Define argument syntax for command, adding a prepared argument.
       *
       * @param {Argument} argument
       * @return {Command} `this` command for chaining
       */
      addArgument(argument) {
        const previousArgument = this.registeredArguments.slice(-1)[0];
        if (previousArgument?.variadic) {
          throw new Error(
            `only the last argument can be variadic '${previousArgument.name()}'`
          );
        }
        if (argument.required && argument.defaultValue !== void 0 && argument.parseArg === void 0) {
          throw new Error(
            `a default value for a required argument is never used: '${argument.name()}'`
          );
        }
        this.registeredArguments.push(argument);
        return this;
      }
      /**
       * Customise or override default help command. By default a help command is automatically added if your command has subcommands.
       *
       * @example
       *    program.helpCommand('help [cmd]');
       *    program.helpCommand('help [cmd]', 'show help');
       *    program.helpCommand(false); // suppress default help command
       *    program.helpCommand(true); // add help command even if no subcommands
       *
       * @param {string|boolean} enableOrNameAndArgs - enable with custom name and/or arguments, or boolean to override whether added
       * @param {string} [description] - custom description
       * @return {Command} `this` command for chaining
       */
      helpCommand(enableOrNameAndArgs, description) {
        if (typeof enableOrNameAndArgs === "boolean") {
          this._addImplicitHelpCommand = enableOrNameAndArgs;
          if (enableOrNameAndArgs && this._defaultCommandGroup) {
            this._initCommandGroup(this._getHelpCommand());
          }
          return this;
        }
        const nameAndArgs = enableOrNameAndArgs ?? "help [command]";
        const [, helpName, helpArgs] = nameAndArgs.match(/([^ ]+) *(.*)/);
        const helpDescription = description ?? "display help for command";
        const helpCommand = this.createCommand(helpName);
        helpCommand.helpOption(false);
        if (helpArgs) helpCommand.arguments(helpArgs);
        if (helpDescription) helpCommand.description(helpDescription);
        this._addImplicitHelpCommand = true;
        this._helpCommand = helpCommand;
        if (enableOrNameAndArgs || description) this._initCommandGroup(helpCommand);
        return this;
      }
      /**
       * Add prepared custom help command.
       *
       * @param {(Command|string|boolean)} helpCommand - custom help command, or deprecated enableOrNameAndArgs as for `.helpCommand()`
       * @param {string} [deprecatedDescription] - deprecated custom description used with custom name only
       * @return {Command} `this` command for chaining
       */
      addHelpCommand(helpCommand, deprecatedDescription) {
        if (typeof helpCommand !== "object") {
          this.helpCommand(helpCommand, deprecatedDescription);
          return this;
        }
        this._addImplicitHelpCommand = true;
        this._helpCommand = helpCommand;
        this._initCommandGroup(helpCommand);
        return this;
      }
      /**
       * Lazy create help command.
       *
       * @return {(Command|null)}
       * @package
       */
      _getHelpCommand() {
        const hasImplicitHelpCommand = this._addImplicitHelpCommand ?? (this.commands.length && !this._actionHandler && !this._findCommand("help"));
        if (hasImplicitHelpCommand) {
          if (this._helpCommand === void 0) {
            this.helpCommand(void 0, void 0);
          }
          return this._helpCommand;
        }
        return null;
      }
      /**
       * Add hook for life cycle event.
       *
       * @param {string} event
       * @param {Function} listener
       * @return {Command} `this` command for chaining
       */
      hook(event, listener) {
        const allowedValues = ["preSubcommand", "preAction", "postAction"];
        if (!allowedValues.includes(event)) {
          throw new Error(`Unexpected value for event passed to hook : '${event}'.
Expecting one of '${allowedValues.join("', '")}'`);
        }
        if (this._lifeCycleHooks[event]) {
          this._lifeCycleHooks[event].push(listener);
        } else {
          this._lifeCycleHooks[event] = [listener];
        }
        return this;
      }
      /**
       * Register callback to use as replacement for calling process.exit.
       *
       * @param {Function} [fn] optional callback which will be passed a CommanderError, defaults to throwing
       * @return {Command} `this` command for chaining
       */
      exitOverride(fn) {
        if (fn) {
          this._exitCallback = fn;
        } else {
          this._exitCallback = (err) => {
            if (err.code !== "commander.executeSubCommandAsync") {
              throw err;
            } else {
            }
          };
        }
        return this;
      }
      /**
       * Call process.exit, and _exitCallback if defined.
       *
       * @param {number} exitCode exit code for using with process.exit
       * @param {string} code an id string representing the error
       * @param {string} message human-readable description of the error
       * @return never
       * @private
       */
      _exit(exitCode, code, message) {
        if (this._exitCallback) {
          this._exitCallback(new CommanderError2(exitCode, code, message));
        }
        process2.exit(exitCode);
      }
      /**
       * Register callback `fn` for the command.
       *
       * @example
       * program
       *   .command('serve')
       *   .description('start service')
       *   .action(function() {
       *      // do work here
       *   });
       *
       * @param {Function} fn
       * @return {Command} `this` command for chaining
       */
      action(fn) {
        const listener = (args) => {
          const expectedArgsCount = this.registeredArguments.length;
          const actionArgs = args.slice(0, expectedArgsCount);
          if (this._storeOptionsAsProperties) {
            actionArgs[expectedArgsCount] = this;
          } else {
            actionArgs[expectedArgsCount] = this.opts();
          }
          actionArgs.push(this);
          return fn.apply(this, actionArgs);
        };
        this._actionHandler = listener;
        return this;
      }
      /**
       * Factory routine to create a new unattached option.
       *
       * See .option() for creating an attached option, which uses this routine to
       * create the option. You can override createOption to return a custom option.
       *
       * @param {string} flags
       * @param {string} [description]
       * @return {Option} new option
       */
      createOption(flags, description) {
        return new Option2(flags, description);
      }
      /**
       * Wrap parseArgs to catch 'commander.invalidArgument'.
       *
       * @param {(Option | Argument)} target
       * @param {string} value
       * @param {*} previous
       * @param {string} invalidArgumentMessage
       * @private
       */
      _callParseArg(target, value, previous, invalidArgumentMessage) {
        try {
          return target.parseArg(value, previous);
        } catch (err) {
          if (err.code === "commander.invalidArgument") {
            const message = `${invalidArgumentMessage} ${err.message}`;
            this.error(message, { exitCode: err.exitCode, code: err.code });
          }
          throw err;
        }
      }
      /**
       * Check for option flag conflicts.
       * Register option if no conflicts found, or throw on conflict.
       *
       * @param {Option} option
       * @private
       */
      _registerOption(option) {
        const matchingOption = option.short && this._findOption(option.short) || option.long && this._findOption(option.long);
        if (matchingOption) {
          const matchingFlag = option.long && this._findOption(option.long) ? option.long : option.short;
          throw new Error(`Cannot add option '${option.flags}'${this._name && ` to command '${this._name}'`} due to conflicting flag '${matchingFlag}'
-  already used by option '${matchingOption.flags}'`);
        }
        this._initOptionGroup(option);
        this.options.push(option);
      }
      /**
       * Check for command name and alias conflicts with existing commands.
       * Register command if no conflicts found, or throw on conflict.
       *
       * @param {Command} command
       * @private
       */
      _registerCommand(command) {
        const knownBy = (cmd) => {
          return [cmd.name()].concat(cmd.aliases());
        };
        const alreadyUsed = knownBy(command).find(
          (name) => this._findCommand(name)
        );
        if (alreadyUsed) {
          const existingCmd = knownBy(this._findCommand(alreadyUsed)).join("|");
          const newCmd = knownBy(command).join("|");
          throw new Error(
            `cannot add command '${newCmd}' as already have command '${existingCmd}'`
          );
        }
        this._initCommandGroup(command);
        this.commands.push(command);
      }
      /**
       * Add an option.
       *
       * @param {Option} option
       * @return {Command} `this` command for chaining
       */
      addOption(option) {
        this._registerOption(option);
        const oname = option.name();
        const name = option.attributeName();
        if (option.negate) {
          const positiveLongFlag = option.long.replace(/^--no-/, "--");
          if (!this._findOption(positiveLongFlag)) {
            this.setOptionValueWithSource(
              name,
              option.defaultValue === void 0 ? true : option.defaultValue,
              "default"
            );
          }
        } else if (option.defaultValue !== void 0) {
          this.setOptionValueWithSource(name, option.defaultValue, "default");
        }
        const handleOptionValue = (val, invalidValueMessage, valueSource) => {
          if (val == null && option.presetArg !== void 0) {
            val = option.presetArg;
          }
          const oldValue = this.getOptionValue(name);
          if (val !== null && option.parseArg) {
            val = this._callParseArg(option, val, oldValue, invalidValueMessage);
          } else if (val !== null && option.variadic) {
            val = option._collectValue(val, oldValue);
          }
          if (val == null) {
            if (option.negate) {
              val = false;
            } else if (option.isBoolean() || option.optional) {
              val = true;
            } else {
              val = "";
            }
          }
          this.setOptionValueWithSource(name, val, valueSource);
        };
        this.on("option:" + oname, (val) => {
          const invalidValueMessage = `error: option '${option.flags}' argument '${val}' is invalid.`;
          handleOptionValue(val, invalidValueMessage, "cli");
        });
        if (option.envVar) {
          this.on("optionEnv:" + oname, (val) => {
            const invalidValueMessage = `error: option '${option.flags}' value '${val}' from env '${option.envVar}' is invalid.`;
            handleOptionValue(val, invalidValueMessage, "env");
          });
        }
        return this;
      }
      /**
       * Internal implementation shared by .option() and .requiredOption()
       *
       * @return {Command} `this` command for chaining
       * @private
       */
      _optionEx(config2, flags, description, fn, defaultValue) {
        if (typeof flags === "object" && flags instanceof Option2) {
          throw new Error(
            "To add an Option object use addOption() instead of option() or requiredOption()"
          );
        }
        const option = this.createOption(flags, description);
        option.makeOptionMandatory(!!config2.mandatory);
        if (typeof fn === "function") {
          option.default(defaultValue).argParser(fn);
        } else if (fn instanceof RegExp) {
          const regex = fn;
          fn = (val, def) => {
            const m = regex.exec(val);
            return m ? m[0] : def;
          };
          option.default(defaultValue).argParser(fn);
        } else {
          option.default(fn);
        }
        return this.addOption(option);
      }
      /**
       * Define option with `flags`, `description`, and optional argument parsing function or `defaultValue` or both.
       *
       * The `flags` string contains the short and/or long flags, separated by comma, a pipe or space. A required
       * option-argument is indicated by `<>` and an optional option-argument by `[]`.
       *
       * See the README for more details, and see also addOption() and requiredOption().
       *
       * @example
       * program
       *     .option('-p, --pepper', 'add pepper')
       *     .option('--pt, --pizza-type <TYPE>', 'type of pizza') // required option-argument
       *     .option('-c, --cheese [CHEESE]', 'add extra cheese', 'mozzarella') // optional option-argument with default
       *     .option('-t, --tip <VALUE>', 'add tip to purchase cost', parseFloat) // custom parse function
       *
       * @param {string} flags
       * @param {string} [description]
       * @param {(Function|*)} [parseArg] - custom option processing function or default value
       * @param {*} [defaultValue]
       * @return {Command} `this` command for chaining
       */
      option(flags, description, parseArg, defaultValue) {
        return this._optionEx({}, flags, description, parseArg, defaultValue);
      }
      /**
       * Add a required option which must have a value after parsing. This usually means
       * the option must be specified on the command line. (Otherwise the same as .option().)
       *
       * The `flags` string contains the short and/or long flags, separated by comma, a pipe or space.
       *
       * @param {string} flags
       * @param {string} [description]
       * @param {(Function|*)} [parseArg] - custom option processing function or default value
       * @param {*} [defaultValue]
       * @return {Command} `this` command for chaining
       */
      requiredOption(flags, description, parseArg, defaultValue) {
        return this._optionEx(
          { mandatory: true },
          flags,
          description,
          parseArg,
          defaultValue
        );
      }
      /**
       * Alter parsing of short flags with optional values.
       *
       * @example
       * // for `.option('-f,--flag [value]'):
       * program.combineFlagAndOptionalValue(true);  // `-f80` is treated like `--flag=80`, this is the default behaviour
       * program.combineFlagAndOptionalValue(false) // `-fb` is treated like `-f -b`
       *
       * @param {boolean} [combine] - if `true` or omitted, an optional value can be specified directly after the flag.
       * @return {Command} `this` command for chaining
       */
      combineFlagAndOptionalValue(combine = true) {
        this._combineFlagAndOptionalValue = !!combine;
        return this;
      }
      /**
       * Allow unknown options on the command line.
       *
       * @param {boolean} [allowUnknown] - if `true` or omitted, no error will be thrown for unknown options.
       * @return {Command} `this` command for chaining
       */
      allowUnknownOption(allowUnknown = true) {
        this._allowUnknownOption = !!allowUnknown;
        return this;
      }
      /**
       * Allow excess command-arguments on the command line. Pass false to make excess arguments an error.
       *
       * @param {boolean} [allowExcess] - if `true` or omitted, no error will be thrown for excess arguments.
       * @return {Command} `this` command for chaining
       */
      allowExcessArguments(allowExcess = true) {
        this._allowExcessArguments = !!allowExcess;
        return this;
      }
      /**
       * Enable positional options. Positional means global options are specified before subcommands which lets
       * subcommands reuse the same option names, and also enables subcommands to turn on passThroughOptions.
       * The default behaviour is non-positional and global options may appear anywhere on the command line.
       *
       * @param {boolean} [positional]
       * @return {Command} `this` command for chaining
       */
      enablePositionalOptions(positional = true) {
        this._enablePositionalOptions = !!positional;
        return this;
      }
      /**
       * Pass through options that come after command-arguments rather than treat them as command-options,
       * so actual command-options come before command-arguments. Turning this on for a subcommand requires
       * positional options to have been enabled on the program (parent commands).
       * The default behaviour is non-positional and options may appear before or after command-arguments.
       *
       * @param {boolean} [passThrough] for unknown options.
       * @return {Command} `this` command for chaining
       */
      passThroughOptions(passThrough = true) {
        this._passThroughOptions = !!passThrough;
        this._checkForBrokenPassThrough();
        return this;
      }
      /**
       * @private
       */
      _checkForBrokenPassThrough() {
        if (this.parent && this._passThroughOptions && !this.parent._enablePositionalOptions) {
          throw new Error(
            `passThroughOptions cannot be used for '${this._name}' without turning on enablePositionalOptions for parent command(s)`
          );
        }
      }
      /**
       * Whether to store option values as properties on command object,
       * or store separately (specify false). In both cases the option values can be accessed using .opts().
       *
       * @param {boolean} [storeAsProperties=true]
       * @return {Command} `this` command for chaining
       */
      storeOptionsAsProperties(storeAsProperties = true) {
        if (this.options.length) {
          throw new Error("call .storeOptionsAsProperties() before adding options");
        }
        if (Object.keys(this._optionValues).length) {
          throw new Error(
            "call .storeOptionsAsProperties() before setting option values"
          );
        }
        this._storeOptionsAsProperties = !!storeAsProperties;
        return this;
      }
      /**
       * Retrieve option value.
       *
       * @param {string} key
       * @return {object} value
       */
      getOptionValue(key) {
        if (this._storeOptionsAsProperties) {
          return this[key];
        }
        return this._optionValues[key];
      }
      /**
       * Store option value.
       *
       * @param {string} key
       * @param {object} value
       * @return {Command} `this` command for chaining
       */
      setOptionValue(key, value) {
        return this.setOptionValueWithSource(key, value, void 0);
      }
      /**
       * Store option value and where the value came from.
       *
       * @param {string} key
       * @param {object} value
       * @param {string} source - expected values are default/config/env/cli/implied
       * @return {Command} `this` command for chaining
       */
      setOptionValueWithSource(key, value, source) {
        if (this._storeOptionsAsProperties) {
          this[key] = value;
        } else {
          this._optionValues[key] = value;
        }
        this._optionValueSources[key] = source;
        return this;
      }
      /**
       * Get source of option value.
       * Expected values are default | config | env | cli | implied
       *
       * @param {string} key
       * @return {string}
       */
      getOptionValueSource(key) {
        return this._optionValueSources[key];
      }
      /**
       * Get source of option value. See also .optsWithGlobals().
       * Expected values are default | config | env | cli | implied
       *
       * @param {string} key
       * @return {string}
       */
      getOptionValueSourceWithGlobals(key) {
        let source;
        this._getCommandAndAncestors().forEach((cmd) => {
          if (cmd.getOptionValueSource(key) !== void 0) {
            source = cmd.getOptionValueSource(key);
          }
        });
        return source;
      }
      /**
       * Get user arguments from implied or explicit arguments.
       * Side-effects: set _scriptPath if args included script. Used for default program name, and subcommand searches.
       *
       * @private
       */
      _prepareUserArgs(argv, parseOptions) {
        if (argv !== void 0 && !Array.isArray(argv)) {
          throw new Error("first parameter to parse must be array or undefined");
        }
        parseOptions = parseOptions || {};
        if (argv === void 0 && parseOptions.from === void 0) {
          if (process2.versions?.electron) {
            parseOptions.from = "electron";
          }
          const execArgv = process2.execArgv ?? [];
          if (execArgv.includes("-e") || execArgv.includes("--eval") || execArgv.includes("-p") || execArgv.includes("--print")) {
            parseOptions.from = "eval";
          }
        }
        if (argv === void 0) {
          argv = process2.argv;
        }
        this.rawArgs = argv.slice();
        let userArgs;
        switch (parseOptions.from) {
          case void 0:
          case "node":
            this._scriptPath = argv[1];
            userArgs = argv.slice(2);
            break;
          case "electron":
            if (process2.defaultApp) {
              this._scriptPath = argv[1];
              userArgs = argv.slice(2);
            } else {
              userArgs = argv.slice(1);
            }
            break;
          case "user":
            userArgs = argv.slice(0);
            break;
          case "eval":
            userArgs = argv.slice(1);
            break;
          default:
            throw new Error(
              `unexpected parse option { from: '${parseOptions.from}' }`
            );
        }
        if (!this._name && this._scriptPath)
          this.nameFromFilename(this._scriptPath);
        this._name = this._name || "program";
        return userArgs;
      }
      /**
       * Parse `argv`, setting options and invoking commands when defined.
       *
       * Use parseAsync instead of parse if any of your action handlers are async.
       *
       * Call with no parameters to parse `process.argv`. Detects Electron and special node options like `node --eval`. Easy mode!
       *
       * Or call with an array of strings to parse, and optionally where the user arguments start by specifying where the arguments are `from`:
       * - `'node'`: default, `argv[0]` is the application and `argv[1]` is the script being run, with user arguments after that
       * - `'electron'`: `argv[0]` is the application and `argv[1]` varies depending on whether the electron application is packaged
       * - `'user'`: just user arguments
       *
       * @example
       * program.parse(); // parse process.argv and auto-detect electron and special node flags
       * program.parse(process.argv); // assume argv[0] is app and argv[1] is script
       * program.parse(my-args, { from: 'user' }); // just user supplied arguments, nothing special about argv[0]
       *
       * @param {string[]} [argv] - optional, defaults to process.argv
       * @param {object} [parseOptions] - optionally specify style of options with from: node/user/electron
       * @param {string} [parseOptions.from] - where the args are from: 'node', 'user', 'electron'
       * @return {Command} `this` command for chaining
       */
      parse(argv, parseOptions) {
        this._prepareForParse();
        const userArgs = this._prepareUserArgs(argv, parseOptions);
        this._parseCommand([], userArgs);
        return this;
      }
      /**
       * Parse `argv`, setting options and invoking commands when defined.
       *
       * Call with no parameters to parse `process.argv`. Detects Electron and special node options like `node --eval`. Easy mode!
       *
       * Or call with an array of strings to parse, and optionally where the user arguments start by specifying where the arguments are `from`:
       * - `'node'`: default, `argv[0]` is the application and `argv[1]` is the script being run, with user arguments after that
       * - `'electron'`: `argv[0]` is the application and `argv[1]` varies depending on whether the electron application is packaged
       * - `'user'`: just user arguments
       *
       * @example
       * await program.parseAsync(); // parse process.argv and auto-detect electron and special node flags
       * await program.parseAsync(process.argv); // assume argv[0] is app and argv[1] is script
       * await program.parseAsync(my-args, { from: 'user' }); // just user supplied arguments, nothing special about argv[0]
       *
       * @param {string[]} [argv]
       * @param {object} [parseOptions]
       * @param {string} parseOptions.from - where the args are from: 'node', 'user', 'electron'
       * @return {Promise}
       */
      async parseAsync(argv, parseOptions) {
        this._prepareForParse();
        const userArgs = this._prepareUserArgs(argv, parseOptions);
        await this._parseCommand([], userArgs);
        return this;
      }
      _prepareForParse() {
        if (this._savedState === null) {
          this.saveStateBeforeParse();
        } else {
          this.restoreStateBeforeParse();
        }
      }
      /**
       * Called the first time parse is called to save state and allow a restore before subsequent calls to parse.
       * Not usually called directly, but available for subclasses to save their custom state.
       *
       * This is called in a lazy way. Only commands used in parsing chain will have state saved.
       */
      saveStateBeforeParse() {
        this._savedState = {
          // name is stable if supplied by author, but may be unspecified for root command and deduced during parsing
          _name: this._name,
          // option values before parse have default values (including false for negated options)
          // shallow clones
          _optionValues: { ...this._optionValues },
          _optionValueSources: { ...this._optionValueSources }
        };
      }
      /**
       * Restore state before parse for calls after the first.
       * Not usually called directly, but available for subclasses to save their custom state.
       *
       * This is called in a lazy way. Only commands used in parsing chain will have state restored.
       */
      restoreStateBeforeParse() {
        if (this._storeOptionsAsProperties)
          throw new Error(`Can not call parse again when storeOptionsAsProperties is true.
- either make a new Command for each call to parse, or stop storing options as properties`);
        this._name = this._savedState._name;
        this._scriptPath = null;
        this.rawArgs = [];
        this._optionValues = { ...this._savedState._optionValues };
        this._optionValueSources = { ...this._savedState._optionValueSources };
        this.args = [];
        this.processedArgs = [];
      }
      /**
       * Throw if expected executable is missing. Add lots of help for author.
       *
       * @param {string} executableFile
       * @param {string} executableDir
       * @param {string} subcommandName
       */
      _checkForMissingExecutable(executableFile, executableDir, subcommandName) {
        if (fs6.existsSync(executableFile)) return;
        const executableDirMessage = executableDir ? `searched for local subcommand relative to directory '${executableDir}'` : "no directory for search for local subcommand, use .executableDir() to supply a custom directory";
        const executableMissing = `'${executableFile}' does not exist
 - if '${subcommandName}' is not meant to be an executable command, remove description parameter from '.command()' and use '.description()' instead
 - if the default executable name is not suitable, use the executableFile option to supply a custom name or path
 - ${executableDirMessage}`;
        throw new Error(executableMissing);
      }
      /**
       * Execute a sub-command executable.
       *
       * @private
       */
      _executeSubCommand(subcommand, args) {
        args = args.slice();
        let launchWithNode = false;
        const sourceExt = [".js", ".ts", ".tsx", ".mjs", ".cjs"];
        function findFile(baseDir, baseName) {
          const localBin = path78.resolve(baseDir, baseName);
          if (fs6.existsSync(localBin)) return localBin;
          if (sourceExt.includes(path78.extname(baseName))) return void 0;
          const foundExt = sourceExt.find(
            (ext) => fs6.existsSync(`${localBin}${ext}`)
          );
          if (foundExt) return `${localBin}${foundExt}`;
          return void 0;
        }
        this._checkForMissingMandatoryOptions();
        this._checkForConflictingOptions();
        let executableFile = subcommand._executableFile || `${this._name}-${subcommand._name}`;
        let executableDir = this._executableDir || "";
        if (this._scriptPath) {
          let resolvedScriptPath;
          try {
            resolvedScriptPath = fs6.realpathSync(this._scriptPath);
          } catch {
            resolvedScriptPath = this._scriptPath;
          }
          executableDir = path78.resolve(
            path78.dirname(resolvedScriptPath),
            executableDir
          );
        }
        if (executableDir) {
          let localFile = findFile(executableDir, executableFile);
          if (!localFile && !subcommand._executableFile && this._scriptPath) {
            const legacyName = path78.basename(
              this._scriptPath,
              path78.extname(this._scriptPath)
            );
            if (legacyName !== this._name) {
              localFile = findFile(
                executableDir,
                `${legacyName}-${subcommand._name}`
              );
            }
          }
          executableFile = localFile || executableFile;
        }
        launchWithNode = sourceExt.includes(path78.extname(executableFile));
        let proc;
        if (process2.platform !== "win32") {
          if (launchWithNode) {
            args.unshift(executableFile);
            args = incrementNodeInspectorPort(process2.execArgv).concat(args);
            proc = childProcess.spawn(process2.argv[0], args, { stdio: "inherit" });
          } else {
            proc = childProcess.spawn(executableFile, args, { stdio: "inherit" });
          }
        } else {
          this._checkForMissingExecutable(
            executableFile,
            executableDir,
            subcommand._name
          );
          args.unshift(executableFile);
          args = incrementNodeInspectorPort(process2.execArgv).concat(args);
          proc = childProcess.spawn(process2.execPath, args, { stdio: "inherit" });
        }
        if (!proc.killed) {
          const signals = ["SIGUSR1", "SIGUSR2", "SIGTERM", "SIGINT", "SIGHUP"];
          signals.forEach((signal2) => {
            process2.on(signal2, () => {
              if (proc.killed === false && proc.exitCode === null) {
                proc.kill(signal2);
              }
            });
          });
        }
        const exitCallback = this._exitCallback;
        proc.on("close", (code) => {
          code = code ?? 1;
          if (!exitCallback) {
            process2.exit(code);
          } else {
            exitCallback(
              new CommanderError2(
                code,
                "commander.executeSubCommandAsync",
                "(close)"
              )
            );
          }
        });
        proc.on("error", (err) => {
          if (err.code === "ENOENT") {
            this._checkForMissingExecutable(
              executableFile,
              executableDir,
              subcommand._name
            );
          } else if (err.code === "EACCES") {
            throw new Error(`'${executableFile}' not executable`);
          }
          if (!exitCallback) {
            process2.exit(1);
          } else {
            const wrappedError = new CommanderError2(
              1,
              "commander.executeSubCommandAsync",
              "(error)"
            );
            wrappedError.nestedError = err;
            exitCallback(wrappedError);
          }
        });
        this.runningCommand = proc;
      }
      /**
       * @private
       */
      _dispatchSubcommand(commandName, operands, unknown2) {
        const subCommand = this._findCommand(commandName);
        if (!subCommand) this.help({ error: true });
        subCommand._prepareForParse();
        let promiseChain;
        promiseChain = this._chainOrCallSubCommandHook(
          promiseChain,
          subCommand,
          "preSubcommand"
        );
        promiseChain = this._chainOrCall(promiseChain, () => {
          if (subCommand._executableHandler) {
            this._executeSubCommand(subCommand, operands.concat(unknown2));
          } else {
            return subCommand._parseCommand(operands, unknown2);
          }
        });
        return promiseChain;
      }
      /**
       * Invoke help directly if possible, or dispatch if necessary.
       * e.g. help foo
       *
       * @private
       */
      _dispatchHelpCommand(subcommandName) {
        if (!subcommandName) {
          this.help();
        }
        const subCommand = this._findCommand(subcommandName);
        if (subCommand && !subCommand._executableHandler) {
          subCommand.help();
        }
        return this._dispatchSubcommand(
          subcommandName,
          [],
          [this._getHelpOption()?.long ?? this._getHelpOption()?.short ?? "--help"]
        );
      }
      /**
       * Check this.args against expected this.registeredArguments.
       *
       * @private
       */
      _checkNumberOfArguments() {
        this.registeredArguments.forEach((arg, i) => {
          if (arg.required && this.args[i] == null) {
            this.missingArgument(arg.name());
          }
        });
        if (this.registeredArguments.length > 0 && this.registeredArguments[this.registeredArguments.length - 1].variadic) {
          return;
        }
        if (this.args.length > this.registeredArguments.length) {
          this._excessArguments(this.args);
        }
      }
      /**
       * Process this.args using this.registeredArguments and save as this.processedArgs!
       *
       * @private
       */
      _processArguments() {
        const myParseArg = (argument, value, previous) => {
          let parsedValue = value;
          if (value !== null && argument.parseArg) {
            const invalidValueMessage = `error: command-argument value '${value}' is invalid for argument '${argument.name()}'.`;
            parsedValue = this._callParseArg(
              argument,
              value,
              previous,
              invalidValueMessage
            );
          }
          return parsedValue;
        };
        this._checkNumberOfArguments();
        const processedArgs = [];
        this.registeredArguments.forEach((declaredArg, index) => {
          let value = declaredArg.defaultValue;
          if (declaredArg.variadic) {
            if (index < this.args.length) {
              value = this.args.slice(index);
              if (declaredArg.parseArg) {
                value = value.reduce((processed, v) => {
                  return myParseArg(declaredArg, v, processed);
                }, declaredArg.defaultValue);
              }
            } else if (value === void 0) {
              value = [];
            }
          } else if (index < this.args.length) {
            value = this.args[index];
            if (declaredArg.parseArg) {
              value = myParseArg(declaredArg, value, declaredArg.defaultValue);
            }
          }
          processedArgs[index] = value;
        });
        this.processedArgs = processedArgs;
      }
      /**
       * Once we have a promise we chain, but call synchronously until then.
       *
       * @param {(Promise|undefined)} promise
       * @param {Function} fn
       * @return {(Promise|undefined)}
       * @private
       */
      _chainOrCall(promise, fn) {
        if (promise?.then && typeof promise.then === "function") {
          return promise.then(() => fn());
        }
        return fn();
      }
      /**
       *
       * @param {(Promise|undefined)} promise
       * @param {string} event
       * @return {(Promise|undefined)}
       * @private
       */
      _chainOrCallHooks(promise, event) {
        let result = promise;
        const hooks = [];
        this._getCommandAndAncestors().reverse().filter((cmd) => cmd._lifeCycleHooks[event] !== void 0).forEach((hookedCommand) => {
          hookedCommand._lifeCycleHooks[event].forEach((callback) => {
            hooks.push({ hookedCommand, callback });
          });
        });
        if (event === "postAction") {
          hooks.reverse();
        }
        hooks.forEach((hookDetail) => {
          result = this._chainOrCall(result, () => {
            return hookDetail.callback(hookDetail.hookedCommand, this);
          });
        });
        return result;
      }
      /**
       *
       * @param {(Promise|undefined)} promise
       * @param {Command} subCommand
       * @param {string} event
       * @return {(Promise|undefined)}
       * @private
       */
      _chainOrCallSubCommandHook(promise, subCommand, event) {
        let result = promise;
        if (this._lifeCycleHooks[event] !== void 0) {
          this._lifeCycleHooks[event].forEach((hook) => {
            result = this._chainOrCall(result, () => {
              return hook(this, subCommand);
            });
          });
        }
        return result;
      }
      /**
       * Process arguments in context of this command.
       * Returns action result, in case it is a promise.
       *
       * @private
       */
      _parseCommand(operands, unknown2) {
        const parsed = this.parseOptions(unknown2);
        this._parseOptionsEnv();
        this._parseOptionsImplied();
        operands = operands.concat(parsed.operands);
        unknown2 = parsed.unknown;
        this.args = operands.concat(unknown2);
        if (operands && this._findCommand(operands[0])) {
          return this._dispatchSubcommand(operands[0], operands.slice(1), unknown2);
        }
        if (this._getHelpCommand() && operands[0] === this._getHelpCommand().name()) {
          return this._dispatchHelpCommand(operands[1]);
        }
        if (this._defaultCommandName) {
          this._outputHelpIfRequested(unknown2);
          return this._dispatchSubcommand(
            this._defaultCommandName,
            operands,
            unknown2
          );
        }
        if (this.commands.length && this.args.length === 0 && !this._actionHandler && !this._defaultCommandName) {
          this.help({ error: true });
        }
        this._outputHelpIfRequested(parsed.unknown);
        this._checkForMissingMandatoryOptions();
        this._checkForConflictingOptions();
        const checkForUnknownOptions = () => {
          if (parsed.unknown.length > 0) {
            this.unknownOption(parsed.unknown[0]);
          }
        };
        const commandEvent = `command:${this.name()}`;
        if (this._actionHandler) {
          checkForUnknownOptions();
          this._processArguments();
          let promiseChain;
          promiseChain = this._chainOrCallHooks(promiseChain, "preAction");
          promiseChain = this._chainOrCall(
            promiseChain,
            () => this._actionHandler(this.processedArgs)
          );
          if (this.parent) {
            promiseChain = this._chainOrCall(promiseChain, () => {
              this.parent.emit(commandEvent, operands, unknown2);
            });
          }
          promiseChain = this._chainOrCallHooks(promiseChain, "postAction");
          return promiseChain;
        }
        if (this.parent?.listenerCount(commandEvent)) {
          checkForUnknownOptions();
          this._processArguments();
          this.parent.emit(commandEvent, operands, unknown2);
        } else if (operands.length) {
          if (this._findCommand("*")) {
            return this._dispatchSubcommand("*", operands, unknown2);
          }
          if (this.listenerCount("command:*")) {
            this.emit("command:*", operands, unknown2);
          } else if (this.commands.length) {
            this.unknownCommand();
          } else {
            checkForUnknownOptions();
            this._processArguments();
          }
        } else if (this.commands.length) {
          checkForUnknownOptions();
          this.help({ error: true });
        } else {
          checkForUnknownOptions();
          this._processArguments();
        }
      }
      /**
       * Find matching command.
       *
       * @private
       * @return {Command | undefined}
       */
      _findCommand(name) {
        if (!name) return void 0;
        return this.commands.find(
          (cmd) => cmd._name === name || cmd._aliases.includes(name)
        );
      }
      /**
       * Return an option matching `arg` if any.
       *
       * @param {string} arg
       * @return {Option}
       * @package
       */
      _findOption(arg) {
        return this.options.find((option) => option.is(arg));
      }
      /**
       * Display an error message if a mandatory option does not have a value.
       * Called after checking for help flags in leaf subcommand.
       *
       * @private
       */
      _checkForMissingMandatoryOptions() {
        this._getCommandAndAncestors().forEach((cmd) => {
          cmd.options.forEach((anOption) => {
            if (anOption.mandatory && cmd.getOptionValue(anOption.attributeName()) === void 0) {
              cmd.missingMandatoryOptionValue(anOption);
            }
          });
        });
      }
      /**
       * Display an error message if conflicting options are used together in this.
       *
       * @private
       */
      _checkForConflictingLocalOptions() {
        const definedNonDefaultOptions = this.options.filter((option) => {
          const optionKey = option.attributeName();
          if (this.getOptionValue(optionKey) === void 0) {
            return false;
          }
          return this.getOptionValueSource(optionKey) !== "default";
        });
        const optionsWithConflicting = definedNonDefaultOptions.filter(
          (option) => option.conflictsWith.length > 0
        );
        optionsWithConflicting.forEach((option) => {
          const conflictingAndDefined = definedNonDefaultOptions.find(
            (defined) => option.conflictsWith.includes(defined.attributeName())
          );
          if (conflictingAndDefined) {
            this._conflictingOption(option, conflictingAndDefined);
          }
        });
      }
      /**
       * Display an error message if conflicting options are used together.
       * Called after checking for help flags in leaf subcommand.
       *
       * @private
       */
      _checkForConflictingOptions() {
        this._getCommandAndAncestors().forEach((cmd) => {
          cmd._checkForConflictingLocalOptions();
        });
      }
      /**
       * Parse options from `argv` removing known options,
       * and return argv split into operands and unknown arguments.
       *
       * Side effects: modifies command by storing options. Does not reset state if called again.
       *
       * Examples:
       *
       *     argv => operands, unknown
       *     --known kkk op => [op], []
       *     op --known kkk => [op], []
       *     sub --unknown uuu op => [sub], [--unknown uuu op]
       *     sub -- --unknown uuu op => [sub --unknown uuu op], []
       *
       * @param {string[]} args
       * @return {{operands: string[], unknown: string[]}}
       */
      parseOptions(args) {
        const operands = [];
        const unknown2 = [];
        let dest = operands;
        function maybeOption(arg) {
          return arg.length > 1 && arg[0] === "-";
        }
        const negativeNumberArg = (arg) => {
          if (!/^-(\d+|\d*\.\d+)(e[+-]?\d+)?$/.test(arg)) return false;
          return !this._getCommandAndAncestors().some(
            (cmd) => cmd.options.map((opt) => opt.short).some((short) => /^-\d$/.test(short))
          );
        };
        let activeVariadicOption = null;
        let activeGroup = null;
        let i = 0;
        while (i < args.length || activeGroup) {
          const arg = activeGroup ?? args[i++];
          activeGroup = null;
          if (arg === "--") {
            if (dest === unknown2) dest.push(arg);
            dest.push(...args.slice(i));
            break;
          }
          if (activeVariadicOption && (!maybeOption(arg) || negativeNumberArg(arg))) {
            this.emit(`option:${activeVariadicOption.name()}`, arg);
            continue;
          }
          activeVariadicOption = null;
          if (maybeOption(arg)) {
            const option = this._findOption(arg);
            if (option) {
              if (option.required) {
                const value = args[i++];
                if (value === void 0) this.optionMissingArgument(option);
                this.emit(`option:${option.name()}`, value);
              } else if (option.optional) {
                let value = null;
                if (i < args.length && (!maybeOption(args[i]) || negativeNumberArg(args[i]))) {
                  value = args[i++];
                }
                this.emit(`option:${option.name()}`, value);
              } else {
                this.emit(`option:${option.name()}`);
              }
              activeVariadicOption = option.variadic ? option : null;
              continue;
            }
          }
          if (arg.length > 2 && arg[0] === "-" && arg[1] !== "-") {
            const option = this._findOption(`-${arg[1]}`);
            if (option) {
              if (option.required || option.optional && this._combineFlagAndOptionalValue) {
                this.emit(`option:${option.name()}`, arg.slice(2));
              } else {
                this.emit(`option:${option.name()}`);
                activeGroup = `-${arg.slice(2)}`;
              }
              continue;
            }
          }
          if (/^--[^=]+=/.test(arg)) {
            const index = arg.indexOf("=");
            const option = this._findOption(arg.slice(0, index));
            if (option && (option.required || option.optional)) {
              this.emit(`option:${option.name()}`, arg.slice(index + 1));
              continue;
            }
          }
          if (dest === operands && maybeOption(arg) && !(this.commands.length === 0 && negativeNumberArg(arg))) {
            dest = unknown2;
          }
          if ((this._enablePositionalOptions || this._passThroughOptions) && operands.length === 0 && unknown2.length === 0) {
            if (this._findCommand(arg)) {
              operands.push(arg);
              unknown2.push(...args.slice(i));
              break;
            } else if (this._getHelpCommand() && arg === this._getHelpCommand().name()) {
              operands.push(arg, ...args.slice(i));
              break;
            } else if (this._defaultCommandName) {
              unknown2.push(arg, ...args.slice(i));
              break;
            }
          }
          if (this._passThroughOptions) {
            dest.push(arg, ...args.slice(i));
            break;
          }
          dest.push(arg);
        }
        return { operands, unknown: unknown2 };
      }
      /**
       * Return an object containing local option values as key-value pairs.
       *
       * @return {object}
       */
      opts() {
        if (this._storeOptionsAsProperties) {
          const result = {};
          const len = this.options.length;
          for (let i = 0; i < len; i++) {
            const key = this.options[i].attributeName();
            result[key] = key === this._versionOptionName ? this._version : this[key];
          }
          return result;
        }
        return this._optionValues;
      }
      /**
       * Return an object containing merged local and global option values as key-value pairs.
       *
       * @return {object}
       */
      optsWithGlobals() {
        return this._getCommandAndAncestors().reduce(
          (combinedOptions, cmd) => Object.assign(combinedOptions, cmd.opts()),
          {}
        );
      }
      /**
       * Display error message and exit (or call exitOverride).
       *
       * @param {string} message
       * @param {object} [errorOptions]
       * @param {string} [errorOptions.code] - an id string representing the error
       * @param {number} [errorOptions.exitCode] - used with process.exit
       */
      error(message, errorOptions) {
        this._outputConfiguration.outputError(
          `${message}
`,
          this._outputConfiguration.writeErr
        );
        if (typeof this._showHelpAfterError === "string") {
          this._outputConfiguration.writeErr(`${this._showHelpAfterError}
`);
        } else if (this._showHelpAfterError) {
          this._outputConfiguration.writeErr("\n");
          this.outputHelp({ error: true });
        }
        const config2 = errorOptions || {};
        const exitCode = config2.exitCode || 1;
        const code = config2.code || "commander.error";
        this._exit(exitCode, code, message);
      }
      /**
       * Apply any option related environment variables, if option does
       * not have a value from cli or client code.
       *
       * @private
       */
      _parseOptionsEnv() {
        this.options.forEach((option) => {
          if (option.envVar && option.envVar in process2.env) {
            const optionKey = option.attributeName();
            if (this.getOptionValue(optionKey) === void 0 || ["default", "config", "env"].includes(
              this.getOptionValueSource(optionKey)
            )) {
              if (option.required || option.optional) {
                this.emit(`optionEnv:${option.name()}`, process2.env[option.envVar]);
              } else {
                this.emit(`optionEnv:${option.name()}`);
              }
            }
          }
        });
      }
      /**
       * Apply any implied option values, if option is undefined or default value.
       *
       * @private
       */
      _parseOptionsImplied() {
        const dualHelper = new DualOptions(this.options);
        const hasCustomOptionValue = (optionKey) => {
          return this.getOptionValue(optionKey) !== void 0 && !["default", "implied"].includes(this.getOptionValueSource(optionKey));
        };
        this.options.filter(
          (option) => option.implied !== void 0 && hasCustomOptionValue(option.attributeName()) && dualHelper.valueFromOption(
            this.getOptionValue(option.attributeName()),
            option
          )
        ).forEach((option) => {
          Object.keys(option.implied).filter((impliedKey) => !hasCustomOptionValue(impliedKey)).forEach((impliedKey) => {
            this.setOptionValueWithSource(
              impliedKey,
              option.implied[impliedKey],
              "implied"
            );
          });
        });
      }
      /**
       * Argument `name` is missing.
       *
       * @param {string} name
       * @private
       */
      missingArgument(name) {
        const message = `error: missing required argument '${name}'`;
        this.error(message, { code: "commander.missingArgument" });
      }
      /**
       * `Option` is missing an argument.
       *
       * @param {Option} option
       * @private
       */
      optionMissingArgument(option) {
        const message = `error: option '${option.flags}' argument missing`;
        this.error(message, { code: "commander.optionMissingArgument" });
      }
      /**
       * `Option` does not have a value, and is a mandatory option.
       *
       * @param {Option} option
       * @private
       */
      missingMandatoryOptionValue(option) {
        const message = `error: required option '${option.flags}' not specified`;
        this.error(message, { code: "commander.missingMandatoryOptionValue" });
      }
      /**
       * `Option` conflicts with another option.
       *
       * @param {Option} option
       * @param {Option} conflictingOption
       * @private
       */
      _conflictingOption(option, conflictingOption) {
        const findBestOptionFromValue = (option2) => {
          const optionKey = option2.attributeName();
          const optionValue = this.getOptionValue(optionKey);
          const negativeOption = this.options.find(
            (target) => target.negate && optionKey === target.attributeName()
          );
          const positiveOption = this.options.find(
            (target) => !target.negate && optionKey === target.attributeName()
          );
          if (negativeOption && (negativeOption.presetArg === void 0 && optionValue === false || negativeOption.presetArg !== void 0 && optionValue === negativeOption.presetArg)) {
            return negativeOption;
          }
          return positiveOption || option2;
        };
        const getErrorMessage = (option2) => {
          const bestOption = findBestOptionFromValue(option2);
          const optionKey = bestOption.attributeName();
          const source = this.getOptionValueSource(optionKey);
          if (source === "env") {
            return `environment variable '${bestOption.envVar}'`;
          }
          return `option '${bestOption.flags}'`;
        };
        const message = `error: ${getErrorMessage(option)} cannot be used with ${getErrorMessage(conflictingOption)}`;
        this.error(message, { code: "commander.conflictingOption" });
      }
      /**
       * Unknown option `flag`.
       *
       * @param {string} flag
       * @private
       */
      unknownOption(flag) {
        if (this._allowUnknownOption) return;
        let suggestion = "";
        if (flag.startsWith("--") && this._showSuggestionAfterError) {
          let candidateFlags = [];
          let command = this;
          do {
            const moreFlags = command.createHelp().visibleOptions(command).filter((option) => option.long).map((option) => option.long);
            candidateFlags = candidateFlags.concat(moreFlags);
            command = command.parent;
          } while (command && !command._enablePositionalOptions);
          suggestion = suggestSimilar(flag, candidateFlags);
        }
        const message = `error: unknown option '${flag}'${suggestion}`;
        this.error(message, { code: "commander.unknownOption" });
      }
      /**
       * Excess arguments, more than expected.
       *
       * @param {string[]} receivedArgs
       * @private
       */
      _excessArguments(receivedArgs) {
        if (this._allowExcessArguments) return;
        const expected = this.registeredArguments.length;
        const s = expected === 1 ? "" : "s";
        const forSubcommand = this.parent ? ` for '${this.name()}'` : "";
        const message = `error: too many arguments${forSubcommand}. Expected ${expected} argument${s} but got ${receivedArgs.length}.`;
        this.error(message, { code: "commander.excessArguments" });
      }
      /**
       * Unknown command.
       *
       * @private
       */
      unknownCommand() {
        const unknownName = this.args[0];
        let suggestion = "";
        if (this._showSuggestionAfterError) {
          const candidateNames = [];
          this.createHelp().visibleCommands(this).forEach((command) => {
            candidateNames.push(command.name());
            if (command.alias()) candidateNames.push(command.alias());
          });
          suggestion = suggestSimilar(unknownName, candidateNames);
        }
        const message = `error: unknown command '${unknownName}'${suggestion}`;
        this.error(message, { code: "commander.unknownCommand" });
      }
      /**
       * Get or set the program version.
       *
       * This method auto-registers the "-V, --version" option which will print the version number.
       *
       * You can optionally supply the flags and description to override the defaults.
       *
       * @param {string} [str]
       * @param {string} [flags]
       * @param {string} [description]
       * @return {(this | string | undefined)} `this` command for chaining, or version string if no arguments
       */
      version(str, flags, description) {
        if (str === void 0) return this._version;
        this._version = str;
        flags = flags || "-V, --version";
        description = description || "output the version number";
        const versionOption = this.createOption(flags, description);
        this._versionOptionName = versionOption.attributeName();
        this._registerOption(versionOption);
        this.on("option:" + versionOption.name(), () => {
          this._outputConfiguration.writeOut(`${str}
`);
          this._exit(0, "commander.version", str);
        });
        return this;
      }
      /**
       * Set the description.
       *
       * @param {string} [str]
       * @param {object} [argsDescription]
       * @return {(string|Command)}
       */
      description(str, argsDescription) {
        if (str === void 0 && argsDescription === void 0)
          return this._description;
        this._description = str;
        if (argsDescription) {
          this._argsDescription = argsDescription;
        }
        return this;
      }
      /**
       * Set the summary. Used when listed as subcommand of parent.
       *
       * @param {string} [str]
       * @return {(string|Command)}
       */
      summary(str) {
        if (str === void 0) return this._summary;
        this._summary = str;
        return this;
      }
      /**
       * Set an alias for the command.
       *
       * You may call more than once to add multiple aliases. Only the first alias is shown in the auto-generated help.
       *
       * @param {string} [alias]
       * @return {(string|Command)}
       */
      alias(alias) {
        if (alias === void 0) return this._aliases[0];
        let command = this;
        if (this.commands.length !== 0 && this.commands[this.commands.length - 1]._executableHandler) {
          command = this.commands[this.commands.length - 1];
        }
        if (alias === command._name)
          throw new Error("Command alias can't be the same as its name");
        const matchingCommand = this.parent?._findCommand(alias);
        if (matchingCommand) {
          const existingCmd = [matchingCommand.name()].concat(matchingCommand.aliases()).join("|");
          throw new Error(
            `cannot add alias '${alias}' to command '${this.name()}' as already have command '${existingCmd}'`
          );
        }
        command._aliases.push(alias);
        return this;
      }
      /**
       * Set aliases for the command.
       *
       * Only the first alias is shown in the auto-generated help.
       *
       * @param {string[]} [aliases]
       * @return {(string[]|Command)}
       */
      aliases(aliases) {
        if (aliases === void 0) return this._aliases;
        aliases.forEach((alias) => this.alias(alias));
        return this;
      }
      /**
       * Set / get the command usage `str`.
       *
       * @param {string} [str]
       * @return {(string|Command)}
       */
      usage(str) {
        if (str === void 0) {
          if (this._usage) return this._usage;
          const args = this.registeredArguments.map((arg) => {
            return humanReadableArgName(arg);
          });
          return [].concat(
            this.options.length || this._helpOption !== null ? "[options]" : [],
            this.commands.length ? "[command]" : [],
            this.registeredArguments.length ? args : []
          ).join(" ");
        }
        this._usage = str;
        return this;
      }
      /**
       * Get or set the name of the command.
       *
       * @param {string} [str]
       * @return {(string|Command)}
       */
      name(str) {
        if (str === void 0) return this._name;
        this._name = str;
        return this;
      }
      /**
       * Set/get the help group heading for this subcommand in parent command's help.
       *
       * @param {string} [heading]
       * @return {Command | string}
       */
      helpGroup(heading) {
        if (heading === void 0) return this._helpGroupHeading ?? "";
        this._helpGroupHeading = heading;
        return this;
      }
      /**
       * Set/get the default help group heading for subcommands added to this command.
       * (This does not override a group set directly on the subcommand using .helpGroup().)
       *
       * @example
       * program.commandsGroup('Development Commands:);
       * program.command('watch')...
       * program.command('lint')...
       * ...
       *
       * @param {string} [heading]
       * @returns {Command | string}
       */
      commandsGroup(heading) {
        if (heading === void 0) return this._defaultCommandGroup ?? "";
        this._defaultCommandGroup = heading;
        return this;
      }
      /**
       * Set/get the default help group heading for options added to this command.
       * (This does not override a group set directly on the option using .helpGroup().)
       *
       * @example
       * program
       *   .optionsGroup('Development Options:')
       *   .option('-d, --debug', 'output extra debugging')
       *   .option('-p, --profile', 'output profiling information')
       *
       * @param {string} [heading]
       * @returns {Command | string}
       */
      optionsGroup(heading) {
        if (heading === void 0) return this._defaultOptionGroup ?? "";
        this._defaultOptionGroup = heading;
        return this;
      }
      /**
       * @param {Option} option
       * @private
       */
      _initOptionGroup(option) {
        if (this._defaultOptionGroup && !option.helpGroupHeading)
          option.helpGroup(this._defaultOptionGroup);
      }
      /**
       * @param {Command} cmd
       * @private
       */
      _initCommandGroup(cmd) {
        if (this._defaultCommandGroup && !cmd.helpGroup())
          cmd.helpGroup(this._defaultCommandGroup);
      }
      /**
       * Set the name of the command from script filename, such as process.argv[1],
       * or require.main.filename, or __filename.
       *
       * (Used internally and public although not documented in README.)
       *
       * @example
       * program.nameFromFilename(require.main.filename);
       *
       * @param {string} filename
       * @return {Command}
       */
      nameFromFilename(filename) {
        this._name = path78.basename(filename, path78.extname(filename));
        return this;
      }
      /**
       * Get or set the directory for searching for executable subcommands of this command.
       *
       * @example
       * program.executableDir(__dirname);
       * // or
       * program.executableDir('subcommands');
       *
       * @param {string} [path]
       * @return {(string|null|Command)}
       */
      executableDir(path79) {
        if (path79 === void 0) return this._executableDir;
        this._executableDir = path79;
        return this;
      }
      /**
       * Return program help documentation.
       *
       * @param {{ error: boolean }} [contextOptions] - pass {error:true} to wrap for stderr instead of stdout
       * @return {string}
       */
      helpInformation(contextOptions) {
        const helper = this.createHelp();
        const context = this._getOutputContext(contextOptions);
        helper.prepareContext({
          error: context.error,
          helpWidth: context.helpWidth,
          outputHasColors: context.hasColors
        });
        const text = helper.formatHelp(this, helper);
        if (context.hasColors) return text;
        return this._outputConfiguration.stripColor(text);
      }
      /**
       * @typedef HelpContext
       * @type {object}
       * @property {boolean} error
       * @property {number} helpWidth
       * @property {boolean} hasColors
       * @property {function} write - includes stripColor if needed
       *
       * @returns {HelpContext}
       * @private
       */
      _getOutputContext(contextOptions) {
        contextOptions = contextOptions || {};
        const error2 = !!contextOptions.error;
        let baseWrite;
        let hasColors;
        let helpWidth;
        if (error2) {
          baseWrite = (str) => this._outputConfiguration.writeErr(str);
          hasColors = this._outputConfiguration.getErrHasColors();
          helpWidth = this._outputConfiguration.getErrHelpWidth();
        } else {
          baseWrite = (str) => this._outputConfiguration.writeOut(str);
          hasColors = this._outputConfiguration.getOutHasColors();
          helpWidth = this._outputConfiguration.getOutHelpWidth();
        }
        const write = (str) => {
          if (!hasColors) str = this._outputConfiguration.stripColor(str);
          return baseWrite(str);
        };
        return { error: error2, write, hasColors, helpWidth };
      }
      /**
       * Output help information for this command.
       *
       * Outputs built-in help, and custom text added using `.addHelpText()`.
       *
       * @param {{ error: boolean } | Function} [contextOptions] - pass {error:true} to write to stderr instead of stdout
       */
      outputHelp(contextOptions) {
        let deprecatedCallback;
        if (typeof contextOptions === "function") {
          deprecatedCallback = contextOptions;
          contextOptions = void 0;
        }
        const outputContext = this._getOutputContext(contextOptions);
        const eventContext = {
          error: outputContext.error,
          write: outputContext.write,
          command: this
        };
        this._getCommandAndAncestors().reverse().forEach((command) => command.emit("beforeAllHelp", eventContext));
        this.emit("beforeHelp", eventContext);
        let helpInformation = this.helpInformation({ error: outputContext.error });
        if (deprecatedCallback) {
          helpInformation = deprecatedCallback(helpInformation);
          if (typeof helpInformation !== "string" && !Buffer.isBuffer(helpInformation)) {
            throw new Error("outputHelp callback must return a string or a Buffer");
          }
        }
        outputContext.write(helpInformation);
        if (this._getHelpOption()?.long) {
          this.emit(this._getHelpOption().long);
        }
        this.emit("afterHelp", eventContext);
        this._getCommandAndAncestors().forEach(
          (command) => command.emit("afterAllHelp", eventContext)
        );
      }
      /**
       * You can pass in flags and a description to customise the built-in help option.
       * Pass in false to disable the built-in help option.
       *
       * @example
       * program.helpOption('-?, --help' 'show help'); // customise
       * program.helpOption(false); // disable
       *
       * @param {(string | boolean)} flags
       * @param {string} [description]
       * @return {Command} `this` command for chaining
       */
      helpOption(flags, description) {
        if (typeof flags === "boolean") {
          if (flags) {
            if (this._helpOption === null) this._helpOption = void 0;
            if (this._defaultOptionGroup) {
              this._initOptionGroup(this._getHelpOption());
            }
          } else {
            this._helpOption = null;
          }
          return this;
        }
        this._helpOption = this.createOption(
          flags ?? "-h, --help",
          description ?? "display help for command"
        );
        if (flags || description) this._initOptionGroup(this._helpOption);
        return this;
      }
      /**
       * Lazy create help option.
       * Returns null if has been disabled with .helpOption(false).
       *
       * @returns {(Option | null)} the help option
       * @package
       */
      _getHelpOption() {
        if (this._helpOption === void 0) {
          this.helpOption(void 0, void 0);
        }
        return this._helpOption;
      }
      /**
       * Supply your own option to use for the built-in help option.
       * This is an alternative to using helpOption() to customise the flags and description etc.
       *
       * @param {Option} option
       * @return {Command} `this` command for chaining
       */
      addHelpOption(option) {
        this._helpOption = option;
        this._initOptionGroup(option);
        return this;
      }
      /**
       * Output help information and exit.
       *
       * Outputs built-in help, and custom text added using `.addHelpText()`.
       *
       * @param {{ error: boolean }} [contextOptions] - pass {error:true} to write to stderr instead of stdout
       */
      help(contextOptions) {
        this.outputHelp(contextOptions);
        let exitCode = Number(process2.exitCode ?? 0);
        if (exitCode === 0 && contextOptions && typeof contextOptions !== "function" && contextOptions.error) {
          exitCode = 1;
        }
        this._exit(exitCode, "commander.help", "(outputHelp)");
      }
      /**
       * // Do a little typing to coordinate emit and listener for the help text events.
       * @typedef HelpTextEventContext
       * @type {object}
       * @property {boolean} error
       * @property {Command} command
       * @property {function} write
       */
      /**
       * Add additional text to be displayed with the built-in help.
       *
       * Position is 'before' or 'after' to affect just this command,
       * and 'beforeAll' or 'afterAll' to affect this command and all its subcommands.
       *
       * @param {string} position - before or after built-in help
       * @param {(string | Function)} text - string to add, or a function returning a string
       * @return {Command} `this` command for chaining
       */
      addHelpText(position, text) {
        const allowedValues = ["beforeAll", "before", "after", "afterAll"];
        if (!allowedValues.includes(position)) {
          throw new Error(`Unexpected value for position to addHelpText.
Expecting one of '${allowedValues.join("', '")}'`);
        }
        const helpEvent = `${position}Help`;
        this.on(helpEvent, (context) => {
          let helpStr;
          if (typeof text === "function") {
            helpStr = text({ error: context.error, command: context.command });
          } else {
            helpStr = text;
          }
          if (helpStr) {
            context.write(`${helpStr}
`);
          }
        });
        return this;
      }
      /**
       * Output help information if help flags specified
       *
       * @param {Array} args - array of options to search for help flags
       * @private
       */
      _outputHelpIfRequested(args) {
        const helpOption = this._getHelpOption();
        const helpRequested = helpOption && args.find((arg) => helpOption.is(arg));
        if (helpRequested) {
          this.outputHelp();
          this._exit(0, "commander.helpDisplayed", "(outputHelp)");
        }
      }
    };
    function incrementNodeInspectorPort(args) {
      return args.map((arg) => {
        if (!arg.startsWith("--inspect")) {
          return arg;
        }
        let debugOption;
        let debugHost = "127.0.0.1";
        let debugPort = "9229";
        let match;
        if ((match = arg.match(/^(--inspect(-brk)?)$/)) !== null) {
          debugOption = match[1];
        } else if ((match = arg.match(/^(--inspect(-brk|-port)?)=([^:]+)$/)) !== null) {
          debugOption = match[1];
          if (/^\d+$/.test(match[3])) {
            debugPort = match[3];
          } else {
            debugHost = match[3];
          }
        } else if ((match = arg.match(/^(--inspect(-brk|-port)?)=([^:]+):(\d+)$/)) !== null) {
          debugOption = match[1];
          debugHost = match[3];
          debugPort = match[4];
        }
        if (debugOption && debugPort !== "0") {
          return `${debugOption}=${debugHost}:${parseInt(debugPort) + 1}`;
        }
        return arg;
      });
    }
    function useColor() {
      if (process2.env.NO_COLOR || process2.env.FORCE_COLOR === "0" || process2.env.FORCE_COLOR === "false")
        return false;
      if (process2.env.FORCE_COLOR || process2.env.CLICOLOR_FORCE !== void 0)
        return true;
      return void 0;
    }
    exports2.Command = Command2;
    exports2.useColor = useColor;
  }
});

// node_modules/commander/index.js
var require_commander = __commonJS({
  "node_modules/commander/index.js"(exports2) {
    init_import_meta_url();
    var { Argument: Argument2 } = require_argument();
    var { Command: Command2 } = require_command();
    var { CommanderError: CommanderError2, InvalidArgumentError: InvalidArgumentError2 } = require_error();
    var { Help: Help2 } = require_help();
    var { Option: Option2 } = require_option();
    exports2.program = new Command2();
    exports2.createCommand = (name) => new Command2(name);
    exports2.createOption = (flags, description) => new Option2(flags, description);
    exports2.createArgument = (name, description) => new Argument2(name, description);
    exports2.Command = Command2;
    exports2.Option = Option2;
    exports2.Argument = Argument2;
    exports2.Help = Help2;
    exports2.CommanderError = CommanderError2;
    exports2.InvalidArgumentError = InvalidArgumentError2;
    exports2.InvalidOptionArgumentError = InvalidArgumentError2;
  }
});

// packages/cli/src/clone-main.ts
init_import_meta_url();

// packages/cli/src/commands/clone.ts
init_import_meta_url();
init_clones();

// packages/core/src/util/index.ts
init_import_meta_url();
init_cleanup();
init_disk_full();
init_duration();
init_durable_write();

// packages/core/src/util/net.ts
init_import_meta_url();

// packages/core/src/util/index.ts
init_paths();
init_process_identity();
init_stamped_digests();
init_time();
init_file_lock();

// packages/core/src/util/version.ts
init_import_meta_url();
var TOOL_VERSION = "0.1.0";

// packages/cli/src/commands/clone.ts
init_errors();
init_image();

// packages/cli/src/options.ts
init_import_meta_url();
init_errors();
init_image();
function collectLabel(value, previous = {}) {
  const [key, label] = parseLabel(value, "--label", "--label pr=42");
  return { ...previous, [key]: label };
}
var examples = (...lines) => `
Examples:
${lines.map((l) => `  $ ${l}`).join("\n")}
`;

// packages/cli/src/output.ts
init_import_meta_url();
function writeJson(out, value) {
  out.write(`${JSON.stringify(value, null, 2)}
`);
}

// packages/cli/src/commands/clone.ts
function cloneResultJson(result) {
  const { clone: clone2, credentials } = result;
  return {
    id: clone2.id,
    name: clone2.name ?? null,
    created: result.created,
    host: credentials.host,
    port: credentials.port,
    databases: credentials.databases,
    user: credentials.user,
    password: credentials.password,
    connectionString: credentials.connectionString,
    // What the clone holds: a kept --name clone may hold an older version than the one asked for.
    imageDigest: clone2.image.manifestDigest,
    image: `${clone2.image.name}:${clone2.image.version}`,
    readySeconds: result.readySeconds,
    expiresAt: clone2.expiresAt ?? null,
    imageChanged: result.newerImage !== void 0,
    newerVersion: result.newerImage?.version ?? null
  };
}
function dockerOptions(opts) {
  const given = [opts.dockerImage && "--docker-image", opts.memory && "--memory", opts.cpus && "--cpus", opts.dockerNetwork && "--docker-network"].filter(
    Boolean
  );
  if (opts.runtime !== "docker") {
    if (given.length) throw new UsageError(`${given.join(", ")} ${given.length > 1 ? "apply" : "applies"} only with --runtime docker`);
    return void 0;
  }
  if (opts.dockerNetwork !== void 0 && opts.dockerNetwork !== "bridge" && opts.dockerNetwork !== "host") {
    throw new UsageError(`--docker-network must be bridge or host, got '${opts.dockerNetwork}'`);
  }
  const cpus = opts.cpus !== void 0 ? Number(opts.cpus) : void 0;
  if (cpus !== void 0 && !(cpus > 0)) throw new UsageError(`--cpus must be a positive number, got '${opts.cpus}'`);
  if (opts.memory !== void 0 && !/^\d+(\.\d+)?\s*[kmgt]?i?b?$/i.test(opts.memory)) {
    throw new UsageError(`--memory must be a size such as 512m or 2g, got '${opts.memory}'`);
  }
  return { image: opts.dockerImage, memory: opts.memory, cpus, network: opts.dockerNetwork };
}
function registerClone(program2, ctx) {
  program2.command("clone").description("make a writable clone of an image and print how to connect (--json includes the password)").argument("<ref>", "name, name:version, name:tag or name@sha256:<hex>").option("--name <name>", "reuse key: asking again for this name returns the same live clone").option("--ttl <duration>", "lifetime, e.g. 30m, 1h30m, 1d, or none to keep it until torn down (capped by the repository's maxTtl)", DEFAULT_TTL).option("--label <key=value>", "label for teardown --label (repeatable)", collectLabel).option("--durability <mode>", "ephemeral (fast, no fsync) or durable", "ephemeral").option("--reset", "discard a live clone of this --name and make it fresh from the image (same port, user, password)").option("--on-image-change <mode>", "a live --name clone of an older version: keep (its data), recreate or fail", "keep").option("--database <name>", "the database the connection string points at (default the image's first)").option("--timeout <duration>", "give up when not ready within this time: seconds (1.5) or a duration (2m); default 120").option("--runtime <runtime>", "where the clone's server runs: host (a host process, fastest) or docker (a container)", "host").option(
    "--disk <driver>",
    "clone disk driver: qcow2 (FUSE over the image) or reflink (a copy-on-write copy in a local pool); default reflink where its pool works, else qcow2; DBCLONE_DISK sets the preference"
  ).option("--docker-image <image>", "container image for --runtime docker (default postgres:<major> of the image's server)").option("--memory <size>", "memory limit of the container, e.g. 512m, 2g (--runtime docker)").option("--cpus <n>", "CPU limit of the container, e.g. 1.5 (--runtime docker)").option("--docker-network <mode>", "bridge (default: own network, port published on the clone's host) or host (--runtime docker)").addHelpText(
    "after",
    examples(
      "dbclone clone orders:latest",
      "dbclone clone orders:latest --name pr-42 --ttl 2h --label pr=42 --json",
      "dbclone clone orders --name dev --reset",
      "dbclone clone orders:latest --runtime docker --docker-image postgres:15 --memory 1g --cpus 1"
    )
  ).action(async (ref, opts, cmd) => {
    parseImageRef(ref);
    if (opts.durability !== "ephemeral" && opts.durability !== "durable") {
      throw new UsageError(`--durability must be ephemeral or durable, got '${opts.durability}'`);
    }
    if (opts.runtime !== "host" && opts.runtime !== "docker") {
      throw new UsageError(`--runtime must be host or docker, got '${opts.runtime}'`);
    }
    if (opts.disk !== void 0 && opts.disk !== "qcow2" && opts.disk !== "reflink") {
      throw new UsageError(`--disk must be qcow2 or reflink, got '${opts.disk}'`);
    }
    if (!ON_IMAGE_CHANGE.includes(opts.onImageChange)) {
      throw new UsageError(`--on-image-change must be one of ${ON_IMAGE_CHANGE.join(", ")}, got '${opts.onImageChange}'`);
    }
    const docker = dockerOptions(opts);
    const ttlSeconds = parseTtl(opts.ttl ?? DEFAULT_TTL, "--ttl");
    const timeoutMs = opts.timeout !== void 0 ? Math.round(parseDuration(opts.timeout, "--timeout") * 1e3) : void 0;
    const { home, json } = ctx.globals(cmd);
    const repository = await ctx.openRepository(cmd);
    const { createClone: createClone2, connectionStringOf: connectionStringOf2 } = await Promise.resolve().then(() => (init_clones(), clones_exports));
    const result = await createClone2({
      repository,
      ref,
      home,
      reporter: ctx.reporter,
      name: opts.name,
      ttlSeconds,
      labels: opts.label,
      durability: opts.durability,
      timeoutMs,
      reset: opts.reset,
      onImageChange: opts.onImageChange,
      database: opts.database,
      runtime: opts.runtime,
      disk: opts.disk,
      docker,
      measureChildDisk: false
      // neither output shows it
    });
    ctx.reporter.secret(result.credentials.password);
    if (json) return writeJson(ctx.io.stdout, cloneResultJson(result));
    const c = result.credentials;
    ctx.print(
      [
        `Clone ${result.clone.id}${result.clone.name ? ` (${result.clone.name})` : ""} of ${result.clone.image.name}:${result.clone.image.version} ${result.created ? "ready" : "reused"} in ${result.readySeconds.toFixed(3)} s`,
        `  host ${c.host}  port ${c.port}  user ${c.user}  databases ${c.databases.join(", ")}`,
        // The engine's own form (postgresql://…, or Server=…;Database=… for SQL Server); the password stays hidden.
        `  ${connectionStringOf2(result.clone, { withPassword: false })}`,
        `  password: run with --json, or dbclone clones --json --show-secrets`,
        result.clone.expiresAt ? `  expires ${result.clone.expiresAt}` : ""
      ].filter(Boolean).join("\n")
    );
  });
}

// packages/cli/src/run.ts
init_import_meta_url();

// packages/cli/src/context.ts
init_import_meta_url();
var import_node_path77 = __toESM(require("node:path"), 1);
init_clones();
init_repository();

// packages/cli/src/terminal-reporter.ts
init_import_meta_url();
var import_cli_progress = __toESM(require_cli_progress(), 1);

// node_modules/pretty-bytes/index.js
init_import_meta_url();
var BYTE_UNITS = [
  "B",
  "kB",
  "MB",
  "GB",
  "TB",
  "PB",
  "EB",
  "ZB",
  "YB"
];
var BIBYTE_UNITS = [
  "B",
  "KiB",
  "MiB",
  "GiB",
  "TiB",
  "PiB",
  "EiB",
  "ZiB",
  "YiB"
];
var BIT_UNITS = [
  "b",
  "kbit",
  "Mbit",
  "Gbit",
  "Tbit",
  "Pbit",
  "Ebit",
  "Zbit",
  "Ybit"
];
var BIBIT_UNITS = [
  "b",
  "kibit",
  "Mibit",
  "Gibit",
  "Tibit",
  "Pibit",
  "Eibit",
  "Zibit",
  "Yibit"
];
var UNIT_SETS = [BYTE_UNITS, BIBYTE_UNITS, BIT_UNITS, BIBIT_UNITS];
var toDecimalString = (number3) => {
  if (number3 >= 1e-6 && number3 < 1e21) {
    return String(number3);
  }
  const [mantissa, exponentString] = number3.toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const pointPosition = Number(exponentString) + 1;
  const isPositive = pointPosition > 0;
  const padded = isPositive ? digits.padEnd(pointPosition, "0") : "0".repeat(1 - pointPosition) + digits;
  const integerPart = padded.slice(0, isPositive ? pointPosition : 1);
  const fractionPart = padded.slice(isPositive ? pointPosition : 1).replace(/0+$/, "");
  return fractionPart ? `${integerPart}.${fractionPart}` : integerPart;
};
var toLocaleString = (number3, locale, options) => {
  if (typeof locale === "string" || Array.isArray(locale) || locale === true) {
    const locales = locale === true ? void 0 : locale;
    if (options !== void 0) {
      return number3.toLocaleString(locales, options);
    }
    const text = toDecimalString(number3);
    const pointIndex = text.indexOf(".");
    const maximumFractionDigits = pointIndex === -1 ? 0 : text.length - pointIndex - 1;
    if (maximumFractionDigits > 100) {
      return text;
    }
    return number3.toLocaleString(locales, { maximumFractionDigits });
  }
  if (options === void 0) {
    return toDecimalString(number3);
  }
  return number3.toLocaleString("en-US", { ...options, useGrouping: false });
};
var log10 = (numberOrBigInt) => {
  if (typeof numberOrBigInt === "number") {
    return Math.log10(numberOrBigInt);
  }
  const string3 = numberOrBigInt.toString(10);
  return string3.length + Math.log10(`0.${string3.slice(0, 15)}`);
};
var log = (numberOrBigInt) => {
  if (typeof numberOrBigInt === "number") {
    return Math.log(numberOrBigInt);
  }
  return log10(numberOrBigInt) * Math.log(10);
};
var divide = (numberOrBigInt, base, exponent) => {
  const divisor = base ** exponent;
  if (typeof numberOrBigInt === "number" || numberOrBigInt <= Number.MAX_SAFE_INTEGER) {
    return Number(numberOrBigInt) / divisor;
  }
  const bigintDivisor = BigInt(base) ** BigInt(exponent);
  const integerPart = numberOrBigInt / bigintDivisor;
  const remainder = numberOrBigInt % bigintDivisor;
  return Number(integerPart) + Number(remainder) / divisor;
};
var toUnrepresentableString = (number3, base, exponent, localeOptions) => {
  const scale = BigInt(base) ** BigInt(exponent);
  const whole = number3 / scale;
  if (localeOptions === void 0) {
    return whole.toString();
  }
  const minimumFractionDigits = localeOptions.minimumFractionDigits ?? 0;
  const maximumFractionDigits = Math.max(localeOptions.maximumFractionDigits ?? 3, minimumFractionDigits);
  const truncated = (number3 % scale * 10n ** BigInt(maximumFractionDigits) / scale).toString().padStart(maximumFractionDigits, "0");
  const fraction = truncated.replace(/0+$/, "").padEnd(minimumFractionDigits, "0");
  return fraction ? `${whole}.${fraction}` : whole.toString();
};
var signOf = (number3, signed) => {
  if (number3 < 0) {
    return "-";
  }
  if (!signed) {
    return "";
  }
  return number3 === 0 || number3 === 0n ? " " : "+";
};
var assertFixedWidth = (fixedWidth) => {
  if (fixedWidth !== void 0 && (typeof fixedWidth !== "number" || !Number.isSafeInteger(fixedWidth) || fixedWidth < 0)) {
    throw new TypeError(`Expected fixedWidth to be a non-negative integer, got ${typeof fixedWidth}: ${fixedWidth}`);
  }
};
var assertFractionDigits = (name, value) => {
  if (value !== void 0 && (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 100)) {
    throw new TypeError(`Expected ${name} to be an integer between 0 and 100, got ${typeof value}: ${value}`);
  }
};
var buildLocaleOptions = (options) => {
  const { minimumFractionDigits, maximumFractionDigits } = options;
  if (minimumFractionDigits === void 0 && maximumFractionDigits === void 0) {
    return void 0;
  }
  assertFractionDigits("minimumFractionDigits", minimumFractionDigits);
  assertFractionDigits("maximumFractionDigits", maximumFractionDigits);
  if (minimumFractionDigits > maximumFractionDigits) {
    throw new RangeError(`Expected minimumFractionDigits (${minimumFractionDigits}) to not be greater than maximumFractionDigits (${maximumFractionDigits})`);
  }
  return {
    ...minimumFractionDigits !== void 0 && { minimumFractionDigits },
    ...maximumFractionDigits !== void 0 && { maximumFractionDigits },
    roundingMode: "trunc"
  };
};
function prettyBytes(number3, options) {
  if (typeof number3 !== "bigint" && !Number.isFinite(number3)) {
    throw new TypeError(`Expected a finite number, got ${typeof number3}: ${number3}`);
  }
  options = {
    bits: false,
    binary: false,
    space: true,
    nonBreakingSpace: false,
    ...options
  };
  assertFixedWidth(options.fixedWidth);
  const localeOptions = buildLocaleOptions(options);
  const UNITS = UNIT_SETS[(options.bits ? 2 : 0) + (options.binary ? 1 : 0)];
  const separator = options.space ? options.nonBreakingSpace ? "\xA0" : " " : "";
  if (Object.is(number3, -0)) {
    number3 = 0;
  }
  const prefix = signOf(number3, options.signed);
  if (number3 < 0) {
    number3 = -number3;
  }
  const base = options.binary ? 1024 : 1e3;
  let exponent = 0;
  if (number3 >= 1) {
    exponent = Math.min(Math.floor(options.binary ? log(number3) / Math.log(base) : log10(number3) / 3), UNITS.length - 1);
  }
  const scaled = divide(number3, base, exponent);
  let numberString;
  if (Number.isFinite(scaled)) {
    number3 = scaled;
    if (number3 < 1 && exponent > 0) {
      number3 *= base;
      exponent -= 1;
    }
    if (!localeOptions) {
      const minimumPrecision = Math.max(3, Math.floor(number3).toString().length);
      number3 = Number(number3.toPrecision(minimumPrecision));
      if (number3 >= base && exponent < UNITS.length - 1) {
        number3 /= base;
        exponent += 1;
      }
    }
    numberString = toLocaleString(number3, options.locale, localeOptions);
  } else {
    numberString = toUnrepresentableString(number3, base, exponent, localeOptions);
  }
  const result = prefix + numberString + separator + UNITS[exponent];
  return result.padStart(options.fixedWidth ?? 0);
}

// packages/cli/src/terminal-reporter.ts
init_reporter();
var SPINNER = ["|", "/", "-", "\\"];
var TerminalReporter = class {
  constructor(opts) {
    this.opts = opts;
    this.stderr = opts.stderr;
    this.now = opts.now ?? Date.now;
  }
  opts;
  secrets = /* @__PURE__ */ new Set();
  stderr;
  now;
  get debugEnabled() {
    return this.opts.debug;
  }
  debug(message) {
    if (this.opts.debug) this.line(`debug: ${message}`);
  }
  info(message) {
    this.line(message);
  }
  warn(message) {
    this.line(`warning: ${message}`);
  }
  secret(value) {
    if (value) this.secrets.add(value);
  }
  /** Text with every registered secret replaced by ***. */
  redact(text) {
    return redact(text, this.secrets);
  }
  progress(label, total, opts = {}) {
    const amount = opts.unit === "bytes" ? (n) => prettyBytes(n) : (n) => String(n);
    return this.stderr.isTTY ? this.barProgress(label, total, amount) : this.lineProgress(label, total, amount);
  }
  line(text) {
    this.stderr.write(`${this.redact(text)}
`);
  }
  // A bar while the total is known; a spinner and the amount so far while it is not ("587 MB").
  barProgress(label, total, amount) {
    const shown = this.redact(label);
    let knownTotal = total && total > 0 ? total : void 0;
    let frame = 0;
    const bar = new import_cli_progress.default.SingleBar(
      {
        stream: this.stderr,
        format: (options, params, payload2) => knownTotal ? `${shown} [${import_cli_progress.default.Format.BarFormat(params.progress, options)}] ${Math.floor(params.progress * 100)}% | ${payload2.amount}` : `${shown} ${SPINNER[frame++ % SPINNER.length]} ${payload2.amount}`,
        hideCursor: true,
        clearOnComplete: true
      },
      import_cli_progress.default.Presets.shades_classic
    );
    const payload = (done) => ({ amount: knownTotal ? `${amount(done)} of ${amount(knownTotal)}` : `${amount(done)} so far` });
    bar.start(knownTotal ?? 1, 0, payload(0));
    return {
      update: (done, newTotal) => {
        if (newTotal !== void 0 && newTotal > 0 && newTotal !== knownTotal) {
          knownTotal = newTotal;
          bar.setTotal(newTotal);
        }
        bar.update(knownTotal ? done : 0, payload(done));
      },
      finish: (message) => {
        bar.stop();
        if (message) this.line(message);
      }
    };
  }
  // Logs in CI or a pipe: one line at the start, then at most one every interval, then the end.
  lineProgress(label, total, amount) {
    const interval = this.opts.progressIntervalMs ?? 5e3;
    let last = this.now();
    let knownTotal = total && total > 0 ? total : void 0;
    this.line(`${label}\u2026`);
    return {
      update: (done, newTotal) => {
        if (newTotal !== void 0 && newTotal > 0) knownTotal = newTotal;
        const t = this.now();
        if (t - last < interval) return;
        last = t;
        this.line(
          knownTotal ? `${label}: ${Math.floor(done / knownTotal * 100)}% (${amount(done)} of ${amount(knownTotal)})` : `${label}: ${amount(done)} so far`
        );
      },
      finish: (message) => this.line(message ?? `${label}: done`)
    };
  }
};

// packages/cli/src/context.ts
var CliContext = class {
  constructor(io, debug) {
    this.io = io;
    this.debug = debug;
    this.reporter = new TerminalReporter({ stderr: io.stderr, debug });
  }
  io;
  debug;
  reporter;
  /** Set by a command that succeeded in running but reports a failed outcome (doctor: something missing). */
  exitCode;
  repository;
  /** Global options as seen from `cmd`, with defaults from the environment. */
  globals(cmd) {
    const g = cmd.optsWithGlobals();
    return {
      repo: g.repo ?? defaultRepository(this.io.env),
      home: g.home ?? dbcloneHome(this.io.env),
      json: Boolean(g.json)
    };
  }
  /**
   * The repository of --repo / DBCLONE_REPO / the default. A named directory that does not exist is
   * an error (a typo must not read as "no images"), unless the command makes it (`create`: build,
   * promote); the default <home>/repository not made yet is simply empty (a fresh machine).
   */
  openRepository(cmd, opts = {}) {
    const { repo, home } = this.globals(cmd);
    const named = cmd.optsWithGlobals().repo !== void 0 || !!this.io.env.DBCLONE_REPO;
    this.repository ??= openRepository(repo, {
      cacheDir: import_node_path77.default.join(home, "cache"),
      mustExist: named && !opts.create,
      oci: { cache: { inUse: diskDigestsInUse(home) } }
    });
    return this.repository;
  }
  registry(cmd) {
    return new CloneRegistry(this.globals(cmd).home);
  }
  print(text) {
    this.io.stdout.write(text.endsWith("\n") ? text : `${text}
`);
  }
};
var isDebugEnv = (env) => !!env.DBCLONE_DEBUG && !/^(0|false|no)$/i.test(env.DBCLONE_DEBUG);

// packages/cli/src/failure.ts
init_import_meta_url();

// node_modules/commander/esm.mjs
init_import_meta_url();
var import_index = __toESM(require_commander(), 1);
var {
  program,
  createCommand,
  createArgument,
  createOption,
  CommanderError,
  InvalidArgumentError,
  InvalidOptionArgumentError,
  // deprecated old name
  Command,
  Argument,
  Option,
  Help
} = import_index.default;

// packages/cli/src/failure.ts
init_errors();
var EXIT_USAGE = 2;
function errorCode(e) {
  if (e instanceof CommanderError) return "usage";
  if (e instanceof DbcloneError) {
    const name = e.name.replace(/Error$/, "") || "Dbclone";
    return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
  }
  return "internal";
}
function subcommandPath(program2, args) {
  const valued = new Set(program2.options.filter((o) => o.required || o.optional).map((o) => o.long));
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith("-")) {
      if (valued.has(a)) i++;
      continue;
    }
    const sub = program2.commands.find((c) => c.name() === a || c.aliases().includes(a));
    return sub ? `dbclone ${sub.name()}` : "dbclone";
  }
  return "dbclone";
}
var withHelpPointer = (message, commandPath) => `${message.replace(/[\s.;:]+$/, "")}; see ${commandPath} --help`;
function reportFailure(e, ctx, opts) {
  const finish2 = (message, exitCode) => {
    const text = oneLine(ctx.reporter.redact(message));
    if (opts.json) writeJson(ctx.io.stdout, { error: { message: text, code: errorCode(e) } });
    else ctx.io.stderr.write(`dbclone: ${text}
`);
    return exitCode;
  };
  if (e instanceof CommanderError) {
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
    if (e.code === "commander.help") return e.exitCode === 0 ? 0 : EXIT_USAGE;
    const message = e.message.replace(/^error: /, "").replace(/\s*\n\s*\(Did you mean/, " (did you mean");
    return finish2(withHelpPointer(message, opts.commandPath), EXIT_USAGE);
  }
  if (e instanceof DbcloneError) {
    if (ctx.debug && e.stack) ctx.io.stderr.write(`${ctx.reporter.redact(e.stack)}
`);
    const message = e.exitCode === EXIT_USAGE ? withHelpPointer(e.message, opts.commandPath) : e.message;
    return finish2(message, e.exitCode);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  if (ctx.debug && err.stack) ctx.io.stderr.write(`${ctx.reporter.redact(err.stack)}
`);
  return finish2(`unexpected error: ${err.message}${ctx.debug ? "" : " (run with --debug for details)"}`, 1);
}
var oneLine = (s) => s.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).join(" | ");

// packages/cli/src/program.ts
init_import_meta_url();
var CLI_VERSION = TOOL_VERSION;
function buildProgram(ctx, commands) {
  const program2 = new Command("dbclone").description("Versioned, masked data images and sub-second writable database clones.").addOption(new Option("--repo <dir>", "image repository (default: $DBCLONE_REPO, else <home>/repository)")).addOption(
    new Option("--home <dir>", "local state: clone registry, clone disks (default: $DBCLONE_HOME, else /var/lib/dbclone as root, ~/.dbclone otherwise)")
  ).option("--json", "print results as JSON on stdout").option("--debug", "print debug messages and stacks (also DBCLONE_DEBUG=1)").showSuggestionAfterError(true).configureHelp({ showGlobalOptions: true }).exitOverride().configureOutput({
    writeOut: (s) => ctx.io.stdout.write(s),
    writeErr: (s) => ctx.io.stderr.write(s),
    // Errors are printed once, as one line, by main().
    outputError: () => {
    }
  }).addHelpText(
    "after",
    examples(
      "dbclone images",
      "dbclone build orders --from-dump orders.dump --tag latest",
      "dbclone clone orders:latest --name pr-42 --ttl 2h --json",
      "dbclone teardown --name pr-42",
      "dbclone --version"
    )
  );
  for (const register of commands) register(program2, ctx);
  return program2;
}

// packages/cli/src/run.ts
async function runCli(argv, io, commands) {
  const args = argv.slice(2);
  const debug = args.includes("--debug") || isDebugEnv(io.env);
  const json = args.includes("--json");
  const ctx = new CliContext(io, debug);
  if (argv[2] === "--version" || argv[2] === "-V") {
    io.stdout.write(`${CLI_VERSION}
`);
    return 0;
  }
  const program2 = buildProgram(ctx, commands);
  try {
    await program2.parseAsync(argv);
    return ctx.exitCode ?? 0;
  } catch (e) {
    return reportFailure(e, ctx, { json, commandPath: subcommandPath(program2, args) });
  }
}
function processIo() {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
function runAsProcess(run2, opts = {}) {
  process.stdout.on("error", (e) => {
    if (e.code === "EPIPE") process.exit(0);
    process.stderr.write(`dbclone: cannot write the output: ${e.message}
`);
    process.exit(1);
  });
  const done = (code) => {
    process.exitCode = code;
    if (opts.exitWhenDone) process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
  };
  run2(process.argv, processIo()).then(done, (e) => {
    process.stderr.write(`dbclone: ${e?.message ?? String(e)}
`);
    done(1);
  });
}

// packages/cli/src/clone-main.ts
runAsProcess((argv, io) => runCli(argv, io, [registerClone]), { exitWhenDone: true });
