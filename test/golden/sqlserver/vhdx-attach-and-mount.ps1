$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0
$P = [IO.File]::ReadAllText('C:\T\O''p.json', [Text.Encoding]::UTF8) | ConvertFrom-Json
function Write-DbcloneResult($Value) {
  $json = ConvertTo-Json -InputObject $Value -Depth 8 -Compress
  [IO.File]::WriteAllText('C:\T\r.json', $json, (New-Object Text.UTF8Encoding $false))
}
try {
  $image = Mount-DiskImage -ImagePath $P.file -NoDriveLetter -PassThru
  try {
    $disk = $image | Get-Disk
    if ($disk.IsOffline) { Set-Disk -Number $disk.Number -IsOffline $false }
    if ($disk.IsReadOnly) { Set-Disk -Number $disk.Number -IsReadOnly $false }
    $parts = @(Get-Partition -DiskNumber $disk.Number | Where-Object { $_.GptType -eq '{ebd0a0a2-b9e5-4433-87c0-68b6b72699c7}' })
    if ($parts.Count -ne 1) { throw "Expected one data partition on $($P.file), found $($parts.Count); is this a dbclone disk?" }
    $part = $parts[0]
    [IO.Directory]::CreateDirectory($P.mountPath) | Out-Null
    if ([IO.Directory]::EnumerateFileSystemEntries($P.mountPath) | Select-Object -First 1) {
      throw "The mount folder $($P.mountPath) is not empty; choose an empty folder or remove its contents."
    }
    $access = $P.mountPath.TrimEnd('\') + '\'
    Add-PartitionAccessPath -DiskNumber $disk.Number -PartitionNumber $part.PartitionNumber -AccessPath $access
    Write-DbcloneResult @{ diskNumber = $disk.Number; partitionNumber = $part.PartitionNumber; accessPath = $access }
  } catch {
    Dismount-DiskImage -ImagePath $P.file -ErrorAction SilentlyContinue | Out-Null
    throw
  }
} catch {
  [Console]::Error.WriteLine(($_ | Out-String))
  exit 1
}
exit 0
