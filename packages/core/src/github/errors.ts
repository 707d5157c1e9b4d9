// Errors from talking to the GitHub API, each with what to do about it.
import { DbcloneError } from "../errors.js";

/** GitHub answered with an error (or not at all); `status` is the HTTP status when there was one. */
export class GitHubApiError extends DbcloneError {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The primary or secondary rate limit was hit and the wait was longer than we retry for. */
export class GitHubRateLimitError extends GitHubApiError {}

/** A git tag for this image version already points at another commit. */
export class TagConflictError extends DbcloneError {}
