// One error class per kind of failure. Every message says what was wrong and what to do.
// exitCode follows the CLI contract: 1 failure, 2 usage.

export class DbcloneError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad arguments or input: exit 2. */
export class UsageError extends DbcloneError {
  override readonly exitCode: number = 2;
}

/** A reference such as `name:version` or `name@sha256:…` that does not parse. */
export class BadReferenceError extends UsageError {}

/** A manifest or config document that fails its schema; `field` is the JSON path. */
export class ValidationError extends DbcloneError {
  constructor(
    message: string,
    readonly source: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export class ImageNotFoundError extends DbcloneError {}
export class VersionExistsError extends DbcloneError {}
/** Delete refused because something still needs the image (tag, live clone, child version). */
export class ImageInUseError extends DbcloneError {}
export class DigestMismatchError extends DbcloneError {}
export class RepositoryError extends DbcloneError {}
/** A network failure before any answer: "could not reach <host>: <cause>". */
export class UnreachableError extends RepositoryError {}
export class AuditError extends DbcloneError {}
export class CloneNotFoundError extends DbcloneError {}
export class CloneError extends DbcloneError {}
export class BuildError extends DbcloneError {}
export class SourceError extends UsageError {}
export class NotSupportedError extends DbcloneError {}
/** A filesystem filled up; the message names it and its free space. */
export class DiskFullError extends DbcloneError {}
/** A needed program is missing; the message names the package that provides it. */
export class MissingToolError extends DbcloneError {}
/** A privileged step (mount, loop, FUSE) was needed and `sudo -n` was not allowed. */
export class PrivilegeError extends DbcloneError {}
/** An external command failed; `stderr` holds its own words. */
export class CommandError extends DbcloneError {
  constructor(
    message: string,
    readonly command: string,
    readonly exitStatus: number | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}
export class TimeoutError extends DbcloneError {}
