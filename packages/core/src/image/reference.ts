// Image references as users type them: `name`, `name:version`, `name:tag`, `name@sha256:<hex>`.
import { BadReferenceError } from "../errors.js";
import { IMAGE_NAME_PATTERN, VERSION_PATTERN } from "./manifest.js";

export interface ImageRef {
  name: string;
  /** A version or a movable tag (`1.4.0`, `latest`, `main`); resolution tries versions first. */
  version?: string;
  /** Manifest digest `sha256:<64 hex>`: the immutable image id. */
  digest?: string;
  /**
   * Masking variant, written `name+variant:version` (e.g. `orders+analysts:1.2`). The syntax is
   * reserved so references stay stable once one image publishes several masked variants; a
   * repository that does not store variants refuses it clearly.
   */
  variant?: string;
}

const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
const VARIANT_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const EXAMPLES = "examples: orders-db, orders-db:1.4.0, orders-db:latest, orders-db@sha256:<64 hex>";

function bad(input: string, what: string): never {
  throw new BadReferenceError(`bad image reference '${input}': ${what} (${EXAMPLES})`);
}

/** Parse `name[+variant][:version][@sha256:<hex>]`; throws BadReferenceError naming the bad part. */
export function parseImageRef(input: string): ImageRef {
  const s = input.trim();
  if (!s) bad(input, "it is empty");
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_PATTERN.test(digest)) bad(input, `digest '${digest}' must be sha256: followed by 64 lowercase hex digits`);
  }
  // Names never contain ':', so the version starts after the last ':' that follows the last '/'.
  let version: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    version = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!VERSION_PATTERN.test(version)) {
      bad(input, `version '${version}' must be 1-128 of A-Z a-z 0-9 _ . - and not start with . or -`);
    }
  }
  let variant: string | undefined;
  const plus = rest.indexOf("+");
  if (plus >= 0) {
    variant = rest.slice(plus + 1);
    rest = rest.slice(0, plus);
    if (!VARIANT_PATTERN.test(variant)) bad(input, `variant '${variant}' must be lowercase letters and digits separated by . _ -`);
  }
  if (!rest) bad(input, "the image name is missing");
  if (!IMAGE_NAME_PATTERN.test(rest)) {
    const hint = rest.includes(":") ? "; a registry host belongs in the repository location, not the reference" : "";
    bad(input, `image name '${rest}' must be lowercase letters, digits, '.', '_', '-' in '/'-separated segments${hint}`);
  }
  const ref: ImageRef = { name: rest };
  if (variant !== undefined) ref.variant = variant;
  if (version !== undefined) ref.version = version;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** The inverse of parseImageRef. */
export function formatImageRef(ref: ImageRef): string {
  return `${ref.name}${ref.variant ? `+${ref.variant}` : ""}${ref.version ? `:${ref.version}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}
