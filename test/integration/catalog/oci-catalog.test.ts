// The catalog reads an OCI registry through the same Repository contract as a directory: the
// same images, lineage and audit trail come out of a real docker-registry on 127.0.0.1.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { versionPagePath, writeCatalog } from "../../../packages/core/src/catalog/index.js";
import { canRunRegistry, startRegistry, type TestRegistry } from "../oci/registry-fixture.js";
import { makeCatalogWorld, SECRET_PASSWORD, type CatalogWorld } from "./fixture.js";

describe.skipIf(!canRunRegistry)("catalog of an OCI repository", () => {
  let registry: TestRegistry;
  let world: CatalogWorld;

  beforeAll(async () => {
    registry = await startRegistry({ namespace: "acme" });
    world = await makeCatalogWorld(registry.location);
  });

  afterAll(async () => {
    world?.cleanup();
    await registry?.stop();
  });

  it("lists every version, draws the promoted chain and shows the local audit chain verified", async () => {
    const site = path.join(world.root, "site");
    const result = await writeCatalog(world.repository, site);
    expect(result.versions).toBe(6);
    expect(result.auditVerified).toBe(true);
    expect(result.auditEvents).toBeGreaterThanOrEqual(6);
    const library = readFileSync(path.join(site, "index.html"), "utf8");
    for (const [name, version] of [
      ["shop", "v1"],
      ["shop", "v4"],
      ["shop-analysts", "v1"],
      ["billing", "2026.11.01"],
    ]) {
      expect(library).toContain(`href="${versionPagePath(name!, version!)}"`);
    }
    const lineage = readFileSync(path.join(site, "lineage.html"), "utf8");
    const edges = [...lineage.matchAll(/data-from="([^"]+)" data-to="([^"]+)" data-kind="([a-z]+)"/g)].map((m) => `${m[1]} -> ${m[2]} (${m[3]})`);
    expect(edges.sort()).toEqual(["shop:v2 -> shop:v3 (layer)", "shop:v3 -> shop:v4 (promoted)"]);
    const version = readFileSync(path.join(site, versionPagePath("shop-analysts", "v1")), "utf8");
    expect(version).toMatch(/data-leak-field="probes"><th scope="row">Values searched<\/th><td>6,180<\/td>/);
    expect(readFileSync(path.join(site, versionPagePath("billing", "2026.11.01")), "utf8")).not.toContain(SECRET_PASSWORD);
    expect(readFileSync(path.join(site, "index.html"), "utf8")).toContain(registry.location);
  });
});
