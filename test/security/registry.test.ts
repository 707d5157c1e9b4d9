// Hostile registry answers against the real OCI repository client: refused before any path,
// request or file is made from them.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RepositoryError } from "../../packages/core/src/errors.js";
import { parseImageRef } from "../../packages/core/src/image/reference.js";
import { OciRepository } from "../../packages/core/src/repository/oci/oci-repository.js";
import { makeManifest } from "../unit/_helpers/manifest.js";
import { sha256, startHostileRegistry, type HostileRegistry } from "./hostile-registry.js";

let registry: HostileRegistry;
let work: string;
let victimDir: string;
const GZIP_LAYER = "application/vnd.dbclone.disk.qcow2.v1+gzip";

beforeAll(async () => {
  registry = await startHostileRegistry();
});
afterAll(async () => registry.close());
beforeEach(() => {
  work = mkdtempSync(path.join(os.tmpdir(), "dbclone-sec-oci-"));
  victimDir = mkdtempSync(path.join(os.tmpdir(), "dbclone-sec-victim-"));
  registry.seen.length = 0;
  registry.answers.clear();
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(victimDir, { recursive: true, force: true });
});

const open = () => new OciRepository(registry.location, { cacheDir: path.join(work, "cache"), env: {}, dockerConfig: path.join(work, "none.json") });

/** Every file under `dir`, relative. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe("a registry serving a traversal digest", () => {
  it("refuses the layer before any path or request is made from it, and keeps no partial file", async () => {
    const victim = path.join(victimDir, "written-by-root");
    const traversal = `sha256:${"../".repeat(12)}${victim.slice(1)}`;
    registry.serveImage("orders-db", "1.0.0", makeManifest(), { layers: [{ mediaType: GZIP_LAYER, digest: traversal, size: 4096 }] });
    const resolved = open().resolve(parseImageRef("orders-db:1.0.0"));
    await expect(resolved).rejects.toThrow(RepositoryError);
    await expect(resolved).rejects.toThrow(/layer digest .* is not sha256:<64 lowercase hex>; .*refused before anything was written or requested/);
    expect(existsSync(victim)).toBe(false);
    expect(readdirSync(victimDir)).toEqual([]);
    // Nothing was requested from the manifest's descriptors: no layer, not even the config.
    expect(registry.seen.filter((p) => p.includes("/blobs/"))).toEqual([]);
    expect(filesUnder(path.join(work, "cache")).filter((f) => f.includes("partial") && !f.endsWith(".lock"))).toEqual([]);
  });

  it("refuses a traversal config digest before requesting it", async () => {
    registry.serveImage("orders-db", "1.0.0", makeManifest(), {
      config: { mediaType: "application/vnd.dbclone.image.v1+json", digest: "sha256:../../../../etc/passwd", size: 10 },
      layers: [],
    });
    await expect(open().resolve(parseImageRef("orders-db:1.0.0"))).rejects.toThrow(/config digest .* is not sha256/);
    expect(registry.seen.filter((p) => p.includes("/blobs/"))).toEqual([]);
  });

  it("names a partial download only by a valid digest when the connection drops mid-layer", async () => {
    const digest = sha256("a layer that never fully arrives");
    registry.serveImage("orders-db", "1.0.0", makeManifest(), { layers: [{ mediaType: GZIP_LAYER, digest, size: 1_000_000 }] });
    const repo = open();
    await expect(repo.pull(await repo.resolve(parseImageRef("orders-db:1.0.0")))).rejects.toThrow(/terminated|other side closed|socket/i);
    const partials = filesUnder(path.join(work, "cache")).filter((f) => f.startsWith("partial") && !f.endsWith(".lock"));
    // Kept for a resume, named by the validated hex digest (plus the writer's pid-start, so a live
    // writer's file is never adopted) and nothing else, inside the cache.
    expect(partials).toHaveLength(1);
    expect(partials[0]).toMatch(new RegExp(`^partial/${digest.slice("sha256:".length)}\\.${process.pid}-\\d*$`));
    expect(statSync(path.join(work, "cache", partials[0]!)).size).toBeGreaterThan(0);
  });

  it("never turns a listed tag that is not an OCI tag into a request path", async () => {
    registry.serveImage("orders-db", "1.0.0", makeManifest(), { layers: [] });
    registry.answers.set("/v2/team/orders-db/tags/list", {
      body: JSON.stringify({ name: "team/orders-db", tags: ["../../../v2/_catalog", "a/../../b", "1.0.0"] }),
    });
    await open().list("orders-db");
    expect(registry.seen.filter((p) => p.includes("manifests/"))).toEqual(["/v2/team/orders-db/manifests/1.0.0"]);
  });
});

describe("a registry serving an oversized manifest", () => {
  it.each([
    ["with a content-length", false],
    ["streamed without a length", true],
  ])("refuses it %s without reading it whole", async (_label, chunked) => {
    const huge = `{"schemaVersion":2,"padding":"${"x".repeat(6 << 20)}"}`;
    registry.answers.set("/v2/team/orders-db/manifests/huge", { body: huge, chunked });
    await expect(open().resolve(parseImageRef("orders-db:huge"))).rejects.toThrow(/more than the 4194304 bytes dbclone accepts/);
  });

  it("refuses an oversized tag list the same way", async () => {
    registry.answers.set("/v2/team/orders-db/tags/list", {
      body: JSON.stringify({ tags: Array.from({ length: 400_000 }, (_, i) => `tag-with-a-long-name-${i}`) }),
      chunked: true,
    });
    await expect(open().list("orders-db")).rejects.toThrow(/more than the 8388608 bytes dbclone accepts/);
  });
});
