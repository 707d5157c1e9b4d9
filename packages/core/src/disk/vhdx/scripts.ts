// Every script the VHDX driver runs. PowerShell bodies are fixed text reading their values from
// `$P` (a JSON file), so no path is ever spliced into code; diskpart cannot take parameters, so
// its two scripts quote paths that were checked to hold nothing diskpart could misread.
import path from "node:path";
import { UsageError } from "../../errors.js";

/** The GPT type of a basic data partition: the one holding NTFS (not the MSR Windows adds). */
export const GPT_BASIC_DATA = "{ebd0a0a2-b9e5-4433-87c0-68b6b72699c7}";

/** An absolute Windows path safe inside diskpart's double quotes (no quotes, no control chars). */
export function diskpartPath(p: string): string {
  if (!path.win32.isAbsolute(p) || /^[\\/]{2}[?.][\\/]/.test(p))
    throw new UsageError(`diskpart needs an absolute local path like C:\\dbclone\\disk.vhdx, not ${JSON.stringify(p)}.`);
  if (/["\u0000-\u001f]/.test(p))
    throw new UsageError(`The path ${JSON.stringify(p)} holds a double quote or a control character, which diskpart cannot take; choose another folder.`);
  return `"${path.win32.normalize(p)}"`;
}

/** A new dynamically expanding VHDX of at least `virtualSizeBytes` (diskpart counts in MiB). */
export function createBaseDiskpart(file: string, virtualSizeBytes: number): string {
  const mib = Math.max(8, Math.ceil(virtualSizeBytes / (1024 * 1024)));
  return `create vdisk file=${diskpartPath(file)} maximum=${mib} type=expandable\n`;
}

/** A differencing child over a read-only parent: no Hyper-V module needed. */
export function createChildDiskpart(childFile: string, parentFile: string): string {
  return `create vdisk file=${diskpartPath(childFile)} parent=${diskpartPath(parentFile)}\n`;
}

/** Resolves { admin: bool }: Mount-DiskImage and Add-PartitionAccessPath need an elevated process. */
export const CHECK_ELEVATION_PS = `
$id = [Security.Principal.WindowsIdentity]::GetCurrent()
$admin = (New-Object Security.Principal.WindowsPrincipal $id).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
$storage = [bool](Get-Command Mount-DiskImage -ErrorAction SilentlyContinue)
Write-DbcloneResult @{ admin = $admin; storageModule = $storage; user = $id.Name }
`;

/** Shared tail: mount partition $part at the empty folder $P.mountPath (created when missing). */
const MOUNT_TO_FOLDER_PS = `
[IO.Directory]::CreateDirectory($P.mountPath) | Out-Null
if ([IO.Directory]::EnumerateFileSystemEntries($P.mountPath) | Select-Object -First 1) {
  throw "The mount folder $($P.mountPath) is not empty; choose an empty folder or remove its contents."
}
$access = $P.mountPath.TrimEnd('\\') + '\\'
Add-PartitionAccessPath -DiskNumber $disk.Number -PartitionNumber $part.PartitionNumber -AccessPath $access
Write-DbcloneResult @{ diskNumber = $disk.Number; partitionNumber = $part.PartitionNumber; accessPath = $access }
`;

/** Attach without a drive letter and bring the disk online and writable (SAN policy may not). */
const ATTACH_PS = `
$image = Mount-DiskImage -ImagePath $P.file -NoDriveLetter -PassThru
try {
  $disk = $image | Get-Disk
  if ($disk.IsOffline) { Set-Disk -Number $disk.Number -IsOffline $false }
  if ($disk.IsReadOnly) { Set-Disk -Number $disk.Number -IsReadOnly $false }
`;

const DETACH_ON_ERROR_PS = `
} catch {
  Dismount-DiskImage -ImagePath $P.file -ErrorAction SilentlyContinue | Out-Null
  throw
}
`;

/** Staging: attach a new VHDX, GPT, one NTFS partition with 64K clusters, no drive letter, mounted. */
export const FORMAT_AND_MOUNT_PS = `${ATTACH_PS.trim()}
  Initialize-Disk -Number $disk.Number -PartitionStyle GPT
  $part = New-Partition -DiskNumber $disk.Number -UseMaximumSize -GptType '${GPT_BASIC_DATA}'
  Format-Volume -Partition $part -FileSystem NTFS -AllocationUnitSize 65536 -NewFileSystemLabel $P.label -Confirm:$false | Out-Null
  Set-Partition -DiskNumber $disk.Number -PartitionNumber $part.PartitionNumber -NoDefaultDriveLetter $true
${indent(MOUNT_TO_FOLDER_PS)}${DETACH_ON_ERROR_PS.trim()}
`;

/** Clone: attach a child and mount its data partition, looked up by GPT type (never assumed to be #2). */
export const ATTACH_AND_MOUNT_PS = `${ATTACH_PS.trim()}
  $parts = @(Get-Partition -DiskNumber $disk.Number | Where-Object { $_.GptType -eq '${GPT_BASIC_DATA}' })
  if ($parts.Count -ne 1) { throw "Expected one data partition on $($P.file), found $($parts.Count); is this a dbclone disk?" }
  $part = $parts[0]
${indent(MOUNT_TO_FOLDER_PS)}${DETACH_ON_ERROR_PS.trim()}
`;

/**
 * Remove every folder mount of the disk (the whole disk is ours) and detach it; tolerant of a disk
 * already detached or a file already gone. Then drop the mount folder when it is left empty.
 */
export const UNMOUNT_PS = `
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

/** Every .vhdx under $P.root with whether it is attached and where it is mounted (for gc). */
export const LIST_DISKS_PS = `
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

function indent(text: string): string {
  return text
    .trim()
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n")
    .concat("\n");
}

/** Virtual size of a detached VHDX, as Windows reads it from the file's metadata. */
export const DESCRIBE_PS = `
$image = Get-DiskImage -ImagePath $P.file
Write-DbcloneResult @{ virtualSizeBytes = [int64]$image.Size; fileSizeBytes = [int64]$image.FileSize }
`;
