$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0
$P = [IO.File]::ReadAllText('p.json', [Text.Encoding]::UTF8) | ConvertFrom-Json
function Write-DbcloneResult($Value) {
  $json = ConvertTo-Json -InputObject $Value -Depth 8 -Compress
  [IO.File]::WriteAllText('r.json', $json, (New-Object Text.UTF8Encoding $false))
}
try {

  $id = [Security.Principal.WindowsIdentity]::GetCurrent()
  $admin = (New-Object Security.Principal.WindowsPrincipal $id).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
  $storage = [bool](Get-Command Mount-DiskImage -ErrorAction SilentlyContinue)
  Write-DbcloneResult @{ admin = $admin; storageModule = $storage; user = $id.Name }
} catch {
  [Console]::Error.WriteLine(($_ | Out-String))
  exit 1
}
exit 0
