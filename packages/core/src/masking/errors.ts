// Masking failures a build stops on.
import { BuildError } from "../errors.js";

/** Columns the policy leaves unmasked look like personal data, and the policy says `onUnmaskedPii: fail`. */
export class UnmaskedPiiError extends BuildError {}

/** The leak scan found original values in the final disk: nothing was published. */
export class LeakFoundError extends BuildError {}

/** The policy leaves the leak scan nothing to search and does not say why (`leakScan: { mode: none, reason }`). */
export class NothingToScanError extends BuildError {}

/** A build without a policy found personal data and the caller did not ask to publish it unmasked. */
export class UnmaskedPublishError extends BuildError {}

/** A database the image would publish refuses connections, so the leak scan cannot read it: nothing was published. */
export class UnscannableDatabaseError extends BuildError {}
