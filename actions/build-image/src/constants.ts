// Names of the build-image action's inputs and outputs, exactly as in action.yml.
export enum Inputs {
  Image = "image",
  Version = "version",
  FromDump = "from-dump",
  FromDatadir = "from-datadir",
  FromServer = "from-server",
  FromBackup = "from-backup",
  DifferentialBackup = "differential-backup",
  LogBackups = "log-backups",
  Repository = "repository",
  Tags = "tags",
  Labels = "labels",
  Policy = "policy",
  Variants = "variants",
  MaskingKey = "masking-key",
  InsecureRandomKey = "insecure-random-key",
  Jobs = "jobs",
  Unmasked = "unmasked",
  UnmaskedReason = "unmasked-reason",
  AccessUsers = "access-users",
  AccessTeams = "access-teams",
  GithubToken = "github-token",
}

export enum Outputs {
  ImageRef = "image-ref",
  Version = "version",
  Digest = "digest",
  DiskDigest = "disk-digest",
  SizeBytes = "size-bytes",
  ImageRefs = "image-refs",
  LeakScanHits = "leak-scan-hits",
}
