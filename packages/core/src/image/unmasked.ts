// An image published with unmasked personal data (manifest.unmasked) is not handed to pull-request
// jobs — which run code from the PR branch — unless the workflow opts in explicitly.
import { UsageError } from "../errors.js";
import type { ImageManifest } from "./manifest.js";

export function refuseUnmaskedForEvent(manifest: ImageManifest, eventName: string | undefined, allowUnmasked: boolean, input = "allow-unmasked"): void {
  if (!manifest.unmasked || allowUnmasked) return;
  if (eventName !== "pull_request" && eventName !== "pull_request_target") return;
  throw new UsageError(
    `image ${manifest.name}:${manifest.version} was published with unmasked personal data (${manifest.unmasked.reason}), ` +
      `so it is not cloned for a ${eventName} event. Clone a masked image, or set ${input}: true if this workflow may hold that data.`,
  );
}
