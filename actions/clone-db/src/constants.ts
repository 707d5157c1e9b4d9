// Names of the clone-db action's inputs, outputs and saved state, exactly as in action.yml.
export enum Inputs {
  Image = "image",
  Name = "name",
  Ttl = "ttl",
  Durability = "durability",
  Keep = "keep",
  Timeout = "timeout",
  Repository = "repository",
  Labels = "labels",
  Reset = "reset",
  OnImageChange = "on-image-change",
  Database = "database",
  ExportEnv = "export-env",
  Runtime = "runtime",
  Disk = "disk",
  DockerImage = "docker-image",
  Memory = "memory",
  Cpus = "cpus",
  Version = "version",
  Comment = "comment",
  SchemaDiff = "schema-diff",
  GithubToken = "github-token",
  AllowUnmasked = "allow-unmasked",
}

export enum Outputs {
  CloneId = "clone-id",
  Host = "host",
  Port = "port",
  User = "user",
  Password = "password",
  Database = "database",
  Databases = "databases",
  ConnectionString = "connection-string",
  ImageDigest = "image-digest",
  Created = "created",
  ReadySeconds = "ready-seconds",
  Version = "version",
  ExpiresAt = "expires-at",
  Name = "name",
  Runner = "runner",
  ImageChanged = "image-changed",
  NewerVersion = "newer-version",
}

/** Saved by the main step for the post step (read back from STATE_<name>). */
export enum State {
  CloneId = "clone-id",
  Keep = "keep",
  ImageName = "image-name",
  ImageRef = "image-ref",
}
