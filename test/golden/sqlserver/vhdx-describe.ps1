$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0
$P = [IO.File]::ReadAllText('p.json', [Text.Encoding]::UTF8) | ConvertFrom-Json
function Write-DbcloneResult($Value) {
  $json = ConvertTo-Json -InputObject $Value -Depth 8 -Compress
  [IO.File]::WriteAllText('r.json', $json, (New-Object Text.UTF8Encoding $false))
}
try {

  $image = Get-DiskImage -ImagePath $P.file
  Write-DbcloneResult @{ virtualSizeBytes = [int64]$image.Size; fileSizeBytes = [int64]$image.FileSize }
} catch {
  [Console]::Error.WriteLine(($_ | Out-String))
  exit 1
}
exit 0
