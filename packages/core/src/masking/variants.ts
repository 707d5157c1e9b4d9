// How a masking variant is stored: variant V of image N is the image named `N/variants/V`.
// Every repository kind (directory, OCI) already stores such names, versions and tags stay
// per variant, and the manifest's masking.variant says which variant a version is.
import { BadReferenceError } from "../errors.js";

export const VARIANT_SEGMENT = "variants";

export function variantImageName(name: string, variant: string): string {
  return `${name}/${VARIANT_SEGMENT}/${variant}`;
}

/** The other way: `N/variants/V` → {name: N, variant: V}; plain names have no variant. */
export function splitVariantName(stored: string): { name: string; variant?: string } {
  const m = /^(.*)\/variants\/([^/]+)$/.exec(stored);
  return m ? { name: m[1]!, variant: m[2]! } : { name: stored };
}

/** `N+V` for people: the reference form of a stored variant name. */
export function variantReference(stored: string, version?: string): string {
  const { name, variant } = splitVariantName(stored);
  return `${name}${variant ? `+${variant}` : ""}${version ? `:${version}` : ""}`;
}

export function assertNotVariantName(name: string): void {
  if (splitVariantName(name).variant) {
    throw new BadReferenceError(
      `image name '${name}' ends in /variants/<v>, which is how masking variants are stored; write it as a reference: ${variantReference(name)}`,
    );
  }
}

/** Which variants one build publishes: those asked for, else all the policy has, else the plain image. */
export function variantsToBuild(policyVariants: string[], requested: string[] = []): (string | undefined)[] {
  if (requested.length) {
    const unknown = requested.filter((v) => !policyVariants.includes(v));
    if (unknown.length) throw new BadReferenceError(`variant(s) ${unknown.join(", ")} are not in the policy; it has: ${policyVariants.join(", ") || "none"}`);
    return requested;
  }
  return policyVariants.length ? policyVariants : [undefined];
}
