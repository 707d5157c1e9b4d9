// The catalog of images made by real builds on PostgreSQL 15 (qcow2 + XFS disks, masking, leak
// scan): the masked version's page shows the build's own leak-scan figures and rules, the
// unmasked one is flagged, and no original value of the source appears on any page.
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../../../packages/core/src/build/index.js";
import { versionPagePath, writeCatalog } from "../../../packages/core/src/catalog/index.js";
import { parsePolicy } from "../../../packages/core/src/masking/index.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { openRepository, type Repository } from "../../../packages/core/src/repository/index.js";
import { makeShopAndCrm, scratchServer, SHOP_POLICY, type Scratch } from "../masking/fixture.js";

const key = { bytes: Buffer.from("catalog-test-key-0123456789abcdef"), insecure: false };

describe("catalog of real builds (PostgreSQL)", () => {
  let scratch: Scratch;
  let tmp: string;
  let repository: Repository;
  let originals: string[];

  beforeAll(async () => {
    scratch = await scratchServer();
    tmp = await mkdtemp(path.join(os.tmpdir(), "dbclone-catalog-build-"));
    await chmod(tmp, 0o711); // the postgres OS user must reach the build's mounts
    await makeShopAndCrm(scratch);
    const shopDump = path.join(scratch.dir, "shop.dump");
    const crmDump = path.join(scratch.dir, "crm.dump");
    await scratch.dump("shop", shopDump);
    await scratch.dump("crm", crmDump);
    const rows = (await scratch.sql("shop", "SELECT full_name, email, phone FROM customers")).rows as Record<string, string>[];
    originals = rows.flatMap((r) => [r.full_name!, r.email!, r.phone!]);
    const home = path.join(tmp, "home");
    repository = await openRepository(path.join(tmp, "repo"), { cacheDir: path.join(home, "cache") });
    await buildImage({
      repository,
      name: "shop",
      version: "m1",
      home,
      reporter: silentReporter,
      sources: [
        { kind: "dump", path: shopDump },
        { kind: "dump", path: crmDump },
      ],
      masking: { policy: parsePolicy(SHOP_POLICY, "policy.yml"), key },
      git: { repository: "acme/shop", commit: "0123456789abcdef0123456789abcdef01234567" },
      build: { runUrl: "https://github.com/acme/shop/actions/runs/7", actor: "nightly-bot" },
    });
    await buildImage({
      unmasked: { reason: "synthetic test data" },
      repository,
      name: "shop-raw",
      version: "r1",
      home,
      reporter: silentReporter,
      sources: [{ kind: "dump", path: shopDump }],
    });
  });

  afterAll(async () => {
    await scratch?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("shows the build's own leak-scan figures, flags the unmasked build, and holds no source value", async () => {
    const site = path.join(tmp, "site");
    const result = await writeCatalog(repository, site);
    expect(result.versions).toBe(2);
    const masked = await repository.resolve({ name: "shop", version: "m1" });
    const scan = masked.manifest.masking!.leakScan!;
    expect(scan.probes).toBeGreaterThan(0);
    const page = await readFile(path.join(site, versionPagePath("shop", "m1")), "utf8");
    expect(page).toContain(`data-leak-field="probes"><th scope="row">Values searched</th><td>${scan.probes.toLocaleString("en-US")}</td>`);
    expect(page).toContain(`data-leak-field="hits"><th scope="row">Hits</th><td>0</td>`);
    for (const rule of masked.manifest.masking!.rules) expect(page).toContain(`<td>${String(rule.column)}</td>`);
    const library = await readFile(path.join(site, "index.html"), "utf8");
    expect(library).toMatch(/<tr class="row-unmasked" data-image="shop-raw"/);
    expect(library).toMatch(/<tr class="row-masked" data-image="shop"/);
    for (const file of [
      ...(await readdir(site)).filter((f) => f.endsWith(".html")),
      ...(await readdir(path.join(site, "versions"))).map((f) => `versions/${f}`),
    ]) {
      const text = await readFile(path.join(site, file), "utf8");
      const leaked = originals.filter((o) => text.includes(o));
      expect(leaked, file).toEqual([]);
    }
  });
});
