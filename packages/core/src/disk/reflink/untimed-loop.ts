// A clone's loop device over its pool file opened through XFS's open-by-handle, which the kernel
// marks "no c/mtime updates" (FMODE_NOCMTIME, the flag XFS gives to handle opens for backup tools).
//
// Why: the loop device turns every flush of the clone's filesystem (each durable commit's fdatasync)
// into a full fsync of the clone's pool file. Each write to that file first moves its mtime, so
// nearly every commit also forced the pool's XFS log for a timestamp nobody reads: measured
// 0.7 pool log forces per pgbench transaction with `mount -o loop`, 0.12 with this attach (what
// remains is the copy-on-write of blocks the clone writes first).
//
// No Node API issues ioctls, so a short Perl program (perl-base is Essential on Debian and Ubuntu)
// does it: handle, loop device with autoclear, then mount(2) while it holds the loop device open,
// as `mount -o loop` does; it starts no `mount`, which keeps it within ~4 ms of one (26 ms p50).
// Exit 3: this pool cannot do it (not XFS, old kernel), and the caller falls back to
// `mount -o loop`. Any other failure is the mount's own.
import { constants } from "node:fs";
import { CloneError, MissingToolError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { isRoot, run, stderrTail, SUDO_REFUSED } from "../../runtime/exec.js";

const CANNOT = 3;
const { O_RDWR, O_NOFOLLOW, O_DIRECTORY } = constants;

// Request numbers and struct layouts of <xfs/xfs_fs.h> and <linux/loop.h> on LP64 Linux.
const SCRIPT = String.raw`
# No modules (strict, warnings, Fcntl and Errno would double its start): the open flags come from Node.
@ARGV == 8 or cannot("expected 8 arguments, got " . scalar(@ARGV));
my ($file, $mountPath, $mountCall, $flags, $data, $O_RDWR, $O_NOFOLLOW, $O_DIRECTORY) = @ARGV;
$_ += 0 for ($mountCall, $flags, $O_RDWR, $O_NOFOLLOW, $O_DIRECTORY); # numbers: | on strings is bitwise on their bytes
$SIG{__DIE__} = sub { print STDERR $_[0]; exit 1 }; # never an exit code that reads as ${CANNOT}
sub cannot { print STDERR "$_[0]\n"; exit ${CANNOT} }
sub pointer { unpack("J", pack("P", $_[0])) }
sysopen(my $byPath, $file, $O_RDWR | $O_NOFOLLOW) or cannot("open $file: $!");
my $handle = "\0" x 64; my $handleLength = pack("L", 64);
ioctl($byPath, 0xC038586A, pack("L x4 Q L x4 Q L x4 Q Q", fileno($byPath), 0, 0, 0, 0, pointer($handle), pointer($handleLength)))
  or cannot("XFS_IOC_FD_TO_HANDLE: $!");
my $length = unpack("L", $handleLength);
cannot("a handle of $length bytes") if $length < 1 || $length > 64;
my $own = substr($handle, 0, $length);
my ($dir) = $file =~ m{^(/.*)/[^/]+$} or cannot("not an absolute path: $file");
sysopen(my $dirFd, $dir, $O_DIRECTORY | $O_NOFOLLOW) or cannot("open $dir: $!");
my $fd = ioctl($dirFd, 0xC038586B, pack("L x4 Q L x4 Q L x4 Q Q", 0, 0, $O_RDWR, pointer($own), $length, 0, 0))
  or cannot("XFS_IOC_OPEN_BY_HANDLE: $!");
open(my $untimed, "+<&=", $fd + 0) or cannot("fdopen: $!");
my @byPath = stat($byPath); my @byHandle = stat($untimed);
cannot("the handle opened another file") unless $byPath[0] == $byHandle[0] && $byPath[1] == $byHandle[1];
close($byPath); close($dirFd);
sysopen(my $control, "/dev/loop-control", $O_RDWR) or cannot("open /dev/loop-control: $!");
for my $attempt (1 .. 20) {
  my $n = ioctl($control, 0x4C82, 0);
  defined $n or cannot("LOOP_CTL_GET_FREE: $!");
  $n += 0;
  sysopen(my $loop, "/dev/loop$n", $O_RDWR) or next;
  # LOOP_CONFIGURE: fd, block size, loop_info64 (flags: LO_FLAGS_AUTOCLEAR, the file's name), reserved.
  my $info = pack("Q5 L4 a64 a64 a32 Q2", 0, 0, 0, 0, 0, 0, 0, 0, 4, substr($file, 0, 63), "", "", 0, 0);
  if (!ioctl($loop, 0x4C0A, pack("L L", fileno($untimed), 0) . $info . ("\0" x 64))) {
    next if $! == 16; # EBUSY: another process took it first
    cannot("LOOP_CONFIGURE /dev/loop$n: $!");
  }
  close($untimed);
  # Autoclear: once the mount holds the device, our close leaves it to the mount; if it fails, detach.
  my ($device, $type) = ("/dev/loop$n", "xfs"); # syscall() wants its strings in variables
  if (syscall($mountCall, $device, $mountPath, $type, $flags, $data) != 0) {
    my $why = "$!";
    ioctl($loop, 0x4C01, 0);
    print STDERR "mount /dev/loop$n (xfs, $data) on $mountPath: $why (dmesg may say more)\n";
    exit 1;
  }
  print "/dev/loop$n\n";
  exit 0;
}
cannot("no free loop device after 20 attempts");
`;

// mount(2)'s number per architecture (asm-generic on arm64), and the flags of <linux/mount.h>.
const MOUNT_SYSCALL: Record<string, number> = { x64: 165, arm64: 40 };
const MOUNT_FLAGS: Record<string, number> = { ro: 1, nosuid: 2, nodev: 4, noexec: 8, noatime: 1024, nodiratime: 2048 };

/** `mount -o` options as mount(2) takes them: flags, and the filesystem's own options as text. */
export function mountArguments(options: string): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options.split(",").filter(Boolean)) {
    if (o === "loop") continue;
    const flag = MOUNT_FLAGS[o];
    if (flag === undefined) data.push(o);
    else flags |= flag;
  }
  return { flags, data: data.join(",") };
}

/**
 * Mount `file` (an XFS image on an XFS pool) at `mountPath` through an untimed loop device, with
 * `options` as for `mount -o`; the reason instead when this host cannot, and then nothing was
 * attached or mounted.
 */
export async function mountUntimed(file: string, mountPath: string, options: string, reporter: Reporter): Promise<{ device: string } | { cannot: string }> {
  const call = process.platform === "linux" ? MOUNT_SYSCALL[process.arch] : undefined;
  if (call === undefined) return { cannot: `the ioctl layout is known only for Linux on x64 and arm64, not ${process.platform} on ${process.arch}` };
  const { flags, data } = mountArguments(options);
  const r = await run("perl", ["-e", SCRIPT, "--", file, mountPath, ...[call, flags].map(String), data, ...[O_RDWR, O_NOFOLLOW, O_DIRECTORY].map(String)], {
    privileged: true,
    allowFailure: true,
    reporter,
    timeoutMs: 60_000,
  }).catch((e: unknown) => {
    if (e instanceof MissingToolError) return undefined;
    throw e;
  });
  if (!r) return { cannot: "perl is not installed" };
  if (r.code === CANNOT) return { cannot: r.stderr.trim() };
  // Passwordless sudo limited to mount and losetup does not cover perl: fall back as without perl.
  if (r.code !== 0 && !isRoot() && SUDO_REFUSED.test(r.stderr)) return { cannot: `sudo -n refused perl (${r.stderr.trim()})` };
  const device = r.stdout.trim();
  if (r.code !== 0 || !/^\/dev\/loop\d+$/.test(device)) {
    throw new CloneError(`mounting ${file} at ${mountPath} failed (exit ${r.code}): ${stderrTail(r.stderr)}`);
  }
  return { device };
}
