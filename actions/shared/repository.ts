// The repository an action publishes to or clones from: the `repository` input, else DBCLONE_REPO,
// else the runner-local default (<DBCLONE_HOME>/repository).
import { defaultRepository } from "../../packages/core/src/util/index.js";

export { openRepository } from "../../packages/core/src/repository/index.js";

export function repositoryLocation(input: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return input ?? defaultRepository(env);
}
