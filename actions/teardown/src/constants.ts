// Names of the teardown action's inputs and outputs, exactly as in action.yml.
export enum Inputs {
  CloneId = "clone-id",
  Name = "name",
  Branch = "branch",
  Pr = "pr",
  Labels = "labels",
}

export enum Outputs {
  Removed = "removed",
  Count = "count",
}
