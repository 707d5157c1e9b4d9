// Masking failures a build stops on.
import { BuildError } from "../errors.js";

/** Columns the policy leaves unmasked look like personal data, and the policy says `onUnmaskedPii: fail`. */
export class UnmaskedPiiError extends BuildError {}

/** The leak scan found original values in the final disk: nothing was published. */
export class LeakFoundError extends BuildError {}
