// Names of the teardown action's inputs and outputs, exactly as in action.yml.
export enum Inputs {
  CloneId = "clone-id",
  Name = "name",
  Branch = "branch",
  Pr = "pr",
  Labels = "labels",
  Sweep = "sweep",
  SchemaDiff = "schema-diff",
  Repository = "repository",
  GithubToken = "github-token",
}

export enum Outputs {
  Removed = "removed",
  Count = "count",
  Skipped = "skipped",
}
