$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0
$P = [IO.File]::ReadAllText('p.json', [Text.Encoding]::UTF8) | ConvertFrom-Json
function Write-DbcloneResult($Value) {
  $json = ConvertTo-Json -InputObject $Value -Depth 8 -Compress
  [IO.File]::WriteAllText('r.json', $json, (New-Object Text.UTF8Encoding $false))
}
try {

  $out = @()
  if (Test-Path -LiteralPath $P.root) {
    foreach ($f in @(Get-ChildItem -LiteralPath $P.root -Recurse -File -Filter '*.vhdx')) {
      $image = Get-DiskImage -ImagePath $f.FullName
      $paths = @()
      if ($image.Attached) {
        $paths = @(Get-Partition -DiskNumber $image.Number | ForEach-Object { $_.AccessPaths } | Where-Object { $_ -and -not $_.StartsWith('\\?\') })
      }
      $out += @{ file = $f.FullName; attached = [bool]$image.Attached; accessPaths = $paths }
    }
  }
  Write-DbcloneResult -Value $out
} catch {
  [Console]::Error.WriteLine(($_ | Out-String))
  exit 1
}
exit 0
