// Images published unmasked on purpose: what the manifest keeps, what `dbclone show` says first,
// and clone-db's refusal on pull_request events.
import { describe, expect, it } from "vitest";
import { refuseUnmaskedForEvent, validateManifest } from "../../../packages/core/src/image/index.js";
import { describeImage } from "../../../packages/cli/src/commands/show.js";
import { makeManifest } from "../_helpers/manifest.js";

const unmasked = {
  reason: "synthetic fixtures only",
  piiCandidates: [{ database: "orders", schema: "public", table: "customers", column: "email", kinds: ["email"] }],
};

describe("unmasked images", () => {
  it("the manifest keeps the reason and the columns; old leak-scan records still parse", () => {
    const m = validateManifest({ ...makeManifest(), unmasked }, "test");
    expect(m.unmasked!.reason).toBe("synthetic fixtures only");
    const old = makeManifest({
      masking: { policyDigest: `sha256:${"1".repeat(64)}`, rules: [], rowsChanged: 0, leakScan: { bytesScanned: 10, probes: 5, hits: 0 } },
    });
    expect(validateManifest(old, "old").masking!.leakScan).toEqual({ bytesScanned: 10, probes: 5, hits: 0 });
    expect(() => validateManifest({ ...makeManifest(), unmasked: { reason: "", piiCandidates: [] } }, "bad")).toThrow();
  });

  it("dbclone show says UNMASKED with the reason", () => {
    const manifest = makeManifest({ unmasked });
    const text = describeImage({ name: "orders-db", version: "1.0.0", manifestDigest: `sha256:${"2".repeat(64)}`, manifest } as never, []);
    expect(text).toMatch(/UNMASKED: +published with personal data on purpose: synthetic fixtures only/);
    expect(text).toMatch(/customers\.email/);
    expect(text).not.toMatch(/Masking: +none/);
  });

  it("clone-db refuses an unmasked image on pull_request unless the workflow opts in", () => {
    const manifest = makeManifest({ unmasked });
    expect(() => refuseUnmaskedForEvent(manifest, "pull_request", false)).toThrow(/unmasked personal data \(synthetic fixtures only\).*allow-unmasked: true/);
    expect(() => refuseUnmaskedForEvent(manifest, "pull_request_target", false)).toThrow(/pull_request_target/);
    expect(() => refuseUnmaskedForEvent(manifest, "pull_request", true)).not.toThrow();
    expect(() => refuseUnmaskedForEvent(manifest, "push", false)).not.toThrow();
    expect(() => refuseUnmaskedForEvent(makeManifest(), "pull_request", false)).not.toThrow();
  });
});
