$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0
$P = [IO.File]::ReadAllText('p.json', [Text.Encoding]::UTF8) | ConvertFrom-Json
function Write-DbcloneResult($Value) {
  $json = ConvertTo-Json -InputObject $Value -Depth 8 -Compress
  [IO.File]::WriteAllText('r.json', $json, (New-Object Text.UTF8Encoding $false))
}
try {
  $image = Mount-DiskImage -ImagePath $P.file -NoDriveLetter -PassThru
  try {
    $disk = $image | Get-Disk
    if ($disk.IsOffline) { Set-Disk -Number $disk.Number -IsOffline $false }
    if ($disk.IsReadOnly) { Set-Disk -Number $disk.Number -IsReadOnly $false }
    Initialize-Disk -Number $disk.Number -PartitionStyle GPT
    $part = New-Partition -DiskNumber $disk.Number -UseMaximumSize -GptType '{ebd0a0a2-b9e5-4433-87c0-68b6b72699c7}'
    Format-Volume -Partition $part -FileSystem NTFS -AllocationUnitSize 65536 -NewFileSystemLabel $P.label -Confirm:$false | Out-Null
    Set-Partition -DiskNumber $disk.Number -PartitionNumber $part.PartitionNumber -NoDefaultDriveLetter $true
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
