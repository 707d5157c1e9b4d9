$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0
$P = [IO.File]::ReadAllText('p.json', [Text.Encoding]::UTF8) | ConvertFrom-Json
function Write-DbcloneResult($Value) {
  $json = ConvertTo-Json -InputObject $Value -Depth 8 -Compress
  [IO.File]::WriteAllText('r.json', $json, (New-Object Text.UTF8Encoding $false))
}
try {

  $result = @{ attached = $false }
  if (Test-Path -LiteralPath $P.file) {
    $image = Get-DiskImage -ImagePath $P.file
    if ($image.Attached) {
      $result.attached = $true
      foreach ($part in @(Get-Partition -DiskNumber $image.Number)) {
        foreach ($access in @($part.AccessPaths | Where-Object { $_ -and -not $_.StartsWith('\\?\') })) {
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
} catch {
  [Console]::Error.WriteLine(($_ | Out-String))
  exit 1
}
exit 0
