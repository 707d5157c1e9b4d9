// A behavioural fake of the Windows side of a SQL Server build and clone: an NTFS-like file tree
// with owners and ACLs, VHDX volumes (capacity, "System Volume Information", contents kept across
// unmount/mount, children copying their parent), icacls and robocopy as they behave, and the
// FileOps the build uses. What it enforces is what the documentation says Windows does:
// - a folder must exist before a file is made in it (RESTORE does not create folders);
// - a plain copy of a file whose ACL the caller is not in fails with EPERM; robocopy /B does not;
// - icacls resolves account names (LocalSystem is none), and /T over a volume root fails on
//   System Volume Information (access denied);
// - the virtual disk service takes a parent by its extension (.vhdx).
import path from "node:path";
import type { ChildDisk, DiskAttachment, DiskDriver, DiskResource, SealedDisk, StagingDisk } from "../../../packages/core/src/disk/types.js";
import type { FileOps } from "../../../packages/core/src/engine/sqlserver/file-ops.js";
import type { WindowsScriptRunner } from "../../../packages/core/src/runtime/powershell.js";

const win = path.win32;
export const ADMINS = "*S-1-5-32-544";
export const SYSTEM = "*S-1-5-18";
export const AUTHENTICATED = "authenticated users";
/** The identity dbclone runs as: an elevated Administrator. */
export const RUNNER = "builtin\\administrators";

export interface FakeNode {
  kind: "file" | "dir";
  size: number;
  owner: string;
  /** Principals (lowercase) allowed; null = inherited from the parent folder. */
  acl: Set<string> | null;
  /** What SQL Server keeps inside a primary data file or a log (database metadata, old values). */
  meta?: Record<string, unknown>;
  text?: string;
}

const key = (p: string): string => win.normalize(p).replace(/\\+$/, "").toLowerCase();

interface Volume {
  file: string;
  capacity: number;
  /** Saved tree (relative path → node) while unmounted. */
  saved: Map<string, FakeNode>;
  mountedAt?: string;
}

export class FakeWindows {
  readonly nodes = new Map<string, FakeNode>();
  readonly volumes = new Map<string, Volume>();
  readonly log: string[] = [];
  /** Names icacls resolves (lowercase) besides *SIDs. */
  readonly accounts = new Set(["nt service\\mssqlserver", "nt service\\mssql$sqlexpress", "nt authority\\system", RUNNER, "corp\\builder"]);

  constructor() {
    this.mkdirp("C:\\");
  }

  get(p: string): FakeNode | undefined {
    return this.nodes.get(key(p));
  }
  exists = (p: string): boolean => this.nodes.has(key(p));
  isDir = (p: string): boolean => this.get(p)?.kind === "dir";

  mkdirp(p: string): void {
    const parts = win.normalize(p).replace(/\\+$/, "").split("\\");
    for (let i = 1; i <= parts.length; i++) {
      const at = parts.slice(0, i).join("\\") || parts[0]!;
      if (!this.exists(at)) this.nodes.set(key(at), { kind: "dir", size: 0, owner: RUNNER, acl: null });
    }
  }

  /** A file in an existing folder: the rule RESTORE and CREATE DATABASE run into (Msg 5133, OS error 3). */
  createFile(p: string, size: number, owner: string, meta?: Record<string, unknown>): void {
    if (!this.isDir(win.dirname(p))) throw Object.assign(new Error(`The system cannot find the path specified: ${win.dirname(p)}`), { code: "ENOENT" });
    this.nodes.set(key(p), { kind: "file", size, owner, acl: null, meta });
  }

  remove(p: string): void {
    for (const k of [...this.nodes.keys()]) if (k === key(p) || k.startsWith(`${key(p)}\\`)) this.nodes.delete(k);
  }

  children(p: string): string[] {
    const k = key(p);
    return [...this.nodes.keys()].filter((n) => n.startsWith(`${k}\\`));
  }

  /** The effective ACL: the node's own, else its nearest folder's. */
  effectiveAcl(p: string): Set<string> {
    for (let at = win.normalize(p); ; at = win.dirname(at)) {
      const n = this.get(at);
      if (n?.acl) return n.acl;
      if (win.dirname(at) === at) return new Set([ADMINS, SYSTEM, RUNNER, AUTHENTICATED].map((s) => s.toLowerCase()));
    }
  }

  canAccess(p: string, principal: string): boolean {
    const acl = this.effectiveAcl(p);
    const who = principal.toLowerCase();
    // The runner is an elevated member of Administrators: an ACE for the group lets it in.
    const admin = who === RUNNER && acl.has(ADMINS.toLowerCase());
    return admin || acl.has(who) || (who !== SYSTEM.toLowerCase() && acl.has(AUTHENTICATED));
  }

  /** Which volume holds `p`, and the bytes its files take. */
  volumeOf(p: string): { volume: Volume; used: number } | undefined {
    for (const v of this.volumes.values()) {
      if (v.mountedAt && (key(p) === key(v.mountedAt) || key(p).startsWith(`${key(v.mountedAt)}\\`))) {
        const used = this.children(v.mountedAt).reduce((s, k) => s + (this.nodes.get(k)!.size ?? 0), 0);
        return { volume: v, used };
      }
    }
    return undefined;
  }

  // ---- VHDX volumes ----
  private attach(v: Volume, mountPath: string): DiskAttachment {
    if (this.children(mountPath).length) throw new Error(`The mount folder ${mountPath} is not empty`);
    this.mkdirp(mountPath);
    v.mountedAt = mountPath;
    for (const [rel, n] of v.saved) this.nodes.set(key(win.join(mountPath, rel)), { ...n, acl: n.acl && new Set(n.acl) });
    return { driver: "fake", file: v.file, mountPath, handles: {} };
  }

  disk(): DiskDriver {
    const fw = this;
    const volume = (file: string): Volume => {
      const v = fw.volumes.get(key(file));
      if (!v) throw new Error(`no virtual disk ${file}`);
      return v;
    };
    return {
      name: "fake-vhdx",
      format: "vhdx",
      async checkPrerequisites() {},
      async createStaging(file, mountPath, size): Promise<StagingDisk> {
        fw.log.push(`disk: createStaging ${file} ${size}`);
        const svi = new Map<string, FakeNode>([["System Volume Information", { kind: "dir", size: 0, owner: SYSTEM, acl: new Set([SYSTEM.toLowerCase()]) }]]);
        const v: Volume = { file, capacity: size, saved: svi };
        fw.volumes.set(key(file), v);
        return { file, mountPath, attachment: fw.attach(v, mountPath) };
      },
      async seal(staging: StagingDisk, outFile: string): Promise<SealedDisk> {
        await this.unmount(staging.attachment);
        const v = volume(staging.file);
        fw.volumes.delete(key(staging.file));
        fw.volumes.set(key(outFile), { ...v, file: outFile });
        fw.log.push(`disk: seal ${outFile}`);
        return { file: outFile, digest: "sha256:fake", sizeBytes: 1, virtualSizeBytes: v.capacity };
      },
      async createChild(parent, child): Promise<ChildDisk> {
        const p = volume(parent);
        fw.volumes.set(key(child), { file: child, capacity: p.capacity, saved: new Map([...p.saved].map(([k, n]) => [k, { ...n }])) });
        return { file: child, parents: [parent] };
      },
      async mount(child, mountPath) {
        return fw.attach(volume(child.file), mountPath);
      },
      // As the real driver: a disk already unmounted (or sealed away under another name) is left alone.
      async unmount(a: DiskAttachment) {
        const v = fw.volumes.get(key(a.file));
        if (!v?.mountedAt) return;
        v.saved = new Map(fw.children(v.mountedAt).map((k) => [win.relative(key(v.mountedAt!), k), fw.nodes.get(k)!]));
        fw.remove(v.mountedAt);
        v.mountedAt = undefined;
        fw.log.push(`disk: unmount ${a.file}`);
      },
      async destroy(file) {
        const v = fw.volumes.get(key(file));
        if (v?.mountedAt) throw Object.assign(new Error(`${file} is in use`), { code: "EBUSY" });
        fw.volumes.delete(key(file));
        fw.log.push(`disk: destroy ${file}`);
      },
      async list(): Promise<DiskResource[]> {
        return [];
      },
      async release() {},
    };
  }

  // ---- files the build touches ----
  /** copyDir is fs.cp: it opens every file as the runner (EPERM when the ACL leaves it out). */
  copyPlain(from: string, to: string): void {
    for (const k of this.children(from)) {
      if (!this.canAccess(k, RUNNER)) throw Object.assign(new Error(`EPERM: operation not permitted, copyfile '${k}'`), { code: "EPERM" });
    }
    this.copyTree(from, to, []);
  }

  /** robocopy /B /COPY:DAT: backup semantics read anything; copies inherit the target folder's ACL. */
  copyTree(from: string, to: string, exclude: string[]): void {
    this.mkdirp(to);
    const skip = new Set(exclude.map((e) => e.toLowerCase()));
    for (const k of this.children(from).sort()) {
      const n = this.nodes.get(k)!;
      if (n.kind === "file" && skip.has(win.basename(k))) continue;
      const target = win.join(to, win.relative(key(from), k));
      if (n.kind === "dir") this.mkdirp(target);
      else this.createFile(target, n.size, RUNNER, n.meta && { ...n.meta });
      this.checkCapacity(target);
    }
  }

  checkCapacity(p: string): void {
    const v = this.volumeOf(p);
    if (v && v.used > v.volume.capacity) throw Object.assign(new Error(`There is not enough space on the disk (${v.volume.file})`), { code: "ENOSPC" });
  }

  fileOps(): FileOps & { copyDir(from: string, to: string): Promise<void> } {
    return {
      makeDir: async (dir) => this.mkdirp(dir),
      copyTree: async (from, to, opts) => this.copyTree(from, to, opts?.excludeFiles ?? []),
      copyDir: async (from, to) => this.copyPlain(from, to),
      moveFile: async (from, to) => {
        const n = this.get(from);
        if (!n) throw Object.assign(new Error(`ENOENT ${from}`), { code: "ENOENT" });
        this.createFile(to, n.size, RUNNER, n.meta);
        this.remove(from);
      },
      writeText: async (file, text) => {
        this.createFile(file, text.length, RUNNER);
        this.get(file)!.text = text;
      },
    };
  }

  // ---- icacls / diskpart as commands ----
  icacls(args: string[]): void {
    const [target, ...rest] = args;
    const tree = rest.includes("/T");
    const grants = rest.filter((a) => /:\(/.test(a)).map((a) => a.slice(0, a.indexOf(":(")));
    const setOwner = rest.includes("/setowner") ? rest[rest.indexOf("/setowner") + 1] : undefined;
    for (const g of [...grants, ...(setOwner ? [setOwner] : [])]) {
      if (!g.startsWith("*") && !this.accounts.has(g.toLowerCase()))
        throw new Error(`icacls exited 1332: ${g}: No mapping between account names and security IDs was done.`);
    }
    if (!this.exists(target!)) throw new Error(`icacls exited 2: ${target}: The system cannot find the file specified.`);
    // Parents before children, the way icacls walks a tree.
    for (const p of [target!, ...(tree ? this.children(target!).sort((a, b) => a.length - b.length) : [])]) {
      const n = this.get(p)!;
      // Walking into a folder needs the right to list it (a FILESTREAM container the detach locked).
      if (!setOwner && p !== target && !this.canAccess(win.dirname(p), RUNNER)) throw new Error(`icacls exited 5: ${win.dirname(p)}: Access is denied.`);
      if (setOwner) {
        n.owner = setOwner.toLowerCase(); // SeRestorePrivilege: an elevated administrator may set any owner
        continue;
      }
      // Changing a DACL needs WRITE_DAC: the owner has it, or someone the ACL lets in.
      if (n.owner !== ADMINS.toLowerCase() && n.owner !== RUNNER && !this.canAccess(p, RUNNER)) {
        throw new Error(`icacls exited 5: ${p}: Access is denied.`);
      }
      n.acl = new Set([...this.effectiveAcl(p), ...grants.map((g) => g.toLowerCase())]);
    }
  }

  diskpart(script: string): void {
    const parent = /parent="([^"]+)"/.exec(script)?.[1];
    if (parent && !/\.vhdx?$/i.test(parent))
      throw new Error(`diskpart exited 2: Virtual Disk Service error: The specified virtual disk file name is not valid (${parent}).`);
  }

  runner(): WindowsScriptRunner {
    return {
      powershell: async () => {
        throw new Error("the behavioural fake runs no PowerShell");
      },
      diskpart: async (_label, script) => this.diskpart(script),
      command: async (program, args) => {
        this.log.push(`command: ${program} ${args.join(" ")}`);
        if (program === "icacls") this.icacls(args);
        else throw new Error(`the fake has no ${program}`);
        return "";
      },
    };
  }
}
