// The catalog of an OCI repository reads every runner's audit chain from a real docker-registry:
// two runner homes append events through the real API (each publishes its chain as segments),
// the catalog written from a third home lists both runners' events verified and anchored, flags
// a forged segment at its line, and flags a chain rewritten with recomputed hashes and head where
// its OCI anchor disagrees. Driven in headless Chromium from file://.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCatalog } from "../../../packages/core/src/catalog/index.js";
import { anchorAudit, OciRepository } from "../../../packages/core/src/repository/index.js";
import { canRunRegistry, startRegistry, type TestRegistry } from "../oci/registry-fixture.js";
import { requireOrSkip } from "../required.js";
import { rewriteWithRecomputedHashes, jsonl } from "./audit-forgery.js";
import { CHROMIUM, openBrowser, type CatalogBrowser } from "./browser.js";
import { makeCatalogWorld, type CatalogWorld } from "./fixture.js";

const SCREENSHOTS = path.resolve("test-output/catalog");
const noChromium = requireOrSkip(existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium)`);

describe.skipIf(!canRunRegistry || noChromium)("catalog audit trail of a runner pool on one registry", () => {
  let registry: TestRegistry;
  let world: CatalogWorld;
  let browser: CatalogBrowser;
  let auditor: OciRepository;
  let anchorsGit: string;
  const ids: Record<"a" | "b", string> = { a: "", b: "" };
  const url = (dir: string, file: string): string => pathToFileURL(path.join(dir, file)).href;
  const catalog = async (name: string) => {
    const site = path.join(world.root, name);
    return { site, result: await writeCatalog(auditor, site, { anchorsGitDir: anchorsGit }) };
  };

  beforeAll(async () => {
    registry = await startRegistry({ namespace: "acme" });
    world = await makeCatalogWorld(registry.location);
    anchorsGit = path.join(world.root, "anchors");
    mkdirSync(anchorsGit);
    execFileSync("git", ["init", "-q", anchorsGit]);
    const digest = world.images["shop:v4"]!.manifestDigest;
    for (const r of ["a", "b"] as const) {
      // A runner home: its own cache and log; every append publishes the next segment of its chain.
      const runner = new OciRepository(registry.location, { cacheDir: path.join(world.root, `runner-${r}`), env: {} });
      for (const action of ["pull", "clone", "teardown"] as const) {
        await runner.audit.append({
          action,
          outcome: "success",
          actor: `ci-${r}`,
          image: "shop:v4",
          digest,
          ...(action === "pull" ? {} : { clone: `pr-${r}` }),
        });
      }
      ids[r] = await runner.auditChain.runnerId();
      // Runner A's head is anchored in the registry, runner B's in a git tag.
      await anchorAudit(runner, r === "a" ? { oci: true } : { gitDir: anchorsGit });
    }
    auditor = new OciRepository(registry.location, { cacheDir: path.join(world.root, "auditor"), env: {}, publishAudit: false });
    browser = await openBrowser();
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    world?.cleanup();
    await registry?.stop();
  });

  it("lists both runners' events verified, each with the runner it came from and its anchor", async () => {
    expect((await (await auditor.auditArtifacts()).runners()).sort()).toEqual(expect.arrayContaining([ids.a, ids.b]));
    const { site, result } = await catalog("site");
    expect(result.auditVerified).toBe(true);
    expect(result.auditChains).toBe(3); // the publishing runner of the fixture, A and B
    const { page } = browser;
    await page.goto(url(site, "audit.html"));
    const header = page.locator("header .chain");
    expect(await header.getAttribute("data-chain")).toBe("ok");
    expect(await header.textContent()).toMatch(/^Audit chains of 3 runners verified: /);
    expect(await header.textContent()).toMatch(
      new RegExp(
        `Runner ${ids.a} up to event 3, anchored at OCI artifact oci://127\\.0\\.0\\.1:\\d+/acme/dbclone-audit:anchor-${ids.a}-3 on \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ`,
      ),
    );
    expect(await header.textContent()).toMatch(new RegExp(`Runner ${ids.b} up to event 3, anchored at git tag dbclone-audit/${ids.b}/3 on `));
    for (const id of [ids.a, ids.b]) {
      expect(await page.locator(`#chain-table tr[data-chain-id='${id}']`).getAttribute("data-chain-ok")).toBe("true");
    }
    const visible = page.locator("#audit-table tbody tr:not([hidden])");
    await page.getByLabel("Runner").selectOption(ids.b);
    expect(await visible.count()).toBe(3);
    const shown = await visible.evaluateAll((rows) =>
      rows.map((r) => [r.getAttribute("data-runner"), r.getAttribute("data-action"), r.getAttribute("data-actor"), r.className, r.cells[0]!.textContent]),
    );
    expect(shown).toEqual(["pull", "clone", "teardown"].map((a) => [ids.b, a, "ci-b", "status-verified", `Runner ${ids.b}`]));
    await page.getByLabel("Runner").selectOption("");
    await page.getByLabel("Actor").selectOption("ci-a");
    expect(await visible.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-runner")))).toEqual([ids.a, ids.a, ids.a]);
    await page.screenshot({ path: path.join(SCREENSHOTS, "audit-runners.png"), fullPage: true });
  });

  it("flags a forged segment at the line it breaks, while the other runners stay verified", async () => {
    const artifacts = await auditor.auditArtifacts();
    const { segments, lines } = await artifacts.readChain(ids.b);
    const last = segments.at(-1)!;
    const tail = lines.slice(last.fromSeq - 1).map((l) => l.replace('"outcome":"success"', '"outcome":"failure"'));
    await artifacts.publishSegment(
      { runner: last.runner, fromSeq: last.fromSeq, toSeq: last.toSeq, headHash: last.headHash, previous: last.previous },
      Buffer.from(`${tail.join("\n")}\n`),
    );
    const { site, result } = await catalog("site-forged-segment");
    expect(result.auditVerified).toBe(false);
    const { page } = browser;
    await page.goto(url(site, "index.html"));
    const header = page.locator("header .chain[role=alert]");
    expect(await header.getAttribute("data-broken-chain")).toBe(ids.b);
    expect(await header.getAttribute("data-broken-line")).toBe(String(last.fromSeq));
    expect(await header.textContent()).toContain(`BROKEN at line ${last.fromSeq} (Runner ${ids.b}): line ${last.fromSeq} does not match its own hash`);
    await page.goto(url(site, "audit.html"));
    expect(await page.locator(`#chain-table tr[data-chain-id='${ids.b}']`).getAttribute("data-chain-ok")).toBe("false");
    expect(await page.locator(`#chain-table tr[data-chain-id='${ids.a}']`).getAttribute("data-chain-ok")).toBe("true");
    const statusOf = (id: string, line: number) => page.locator(`#audit-table tr[data-runner='${id}'][data-line='${line}']`).getAttribute("class");
    expect(await statusOf(ids.b, last.fromSeq)).toBe("status-breaks");
    if (last.fromSeq > 1) expect(await statusOf(ids.b, last.fromSeq - 1)).toBe("status-verified");
    expect(await statusOf(ids.a, 3)).toBe("status-verified");
    await page.screenshot({ path: path.join(SCREENSHOTS, "audit-forged-segment.png"), fullPage: true });
  });

  it("flags a chain whose first segment is missing, and one that points at a segment that is not there", async () => {
    const artifacts = await auditor.auditArtifacts();
    const { lines } = await artifacts.readChain(ids.a);
    // Events 2-3 of runner A's chain, published as another runner's whole chain: event 1 is missing.
    const headless = "c0ffee0c0ffee0";
    const tail = lines.slice(1);
    const lastHash = (JSON.parse(tail.at(-1)!) as { hash: string }).hash;
    await artifacts.publishSegment({ runner: headless, fromSeq: 2, toSeq: 3, headHash: lastHash }, Buffer.from(`${tail.join("\n")}\n`));
    const dangling = "deadbeefdead";
    await artifacts.publishSegment(
      { runner: dangling, fromSeq: 2, toSeq: 3, headHash: lastHash, previous: `seg-${dangling}-1` },
      Buffer.from(`${tail.join("\n")}\n`),
    );
    const { site, result } = await catalog("site-gaps");
    expect(result.auditVerified).toBe(false);
    const { page } = browser;
    await page.goto(url(site, "audit.html"));
    const chainRow = (id: string) => page.locator(`#chain-table tr[data-chain-id='${id}']`);
    expect(await chainRow(headless).getAttribute("data-chain-ok")).toBe("false");
    expect(await chainRow(headless).textContent()).toContain("breaks at line 1: segment 2-3 does not follow event 0: events are missing or repeated");
    expect(await chainRow(dangling).textContent()).toMatch(
      new RegExp(`breaks at line 1: segment seg-${dangling}-1 of runner ${dangling} is missing from .*: the chain is broken`),
    );
    expect(await chainRow(ids.b).getAttribute("data-chain-ok")).toBe("false"); // still forged
  });

  it("flags a runner's chain rewritten with recomputed hashes and head where its OCI anchor disagrees", async () => {
    const artifacts = await auditor.auditArtifacts();
    const { lines } = await artifacts.readChain(ids.a);
    // Who cloned is changed, and every hash after it and the segment's head recomputed: the chain alone verifies.
    const forged = rewriteWithRecomputedHashes(lines, 2, (e) => ({ ...e, actor: "someone-else" }));
    await artifacts.publishSegment({ runner: ids.a, fromSeq: 1, toSeq: forged.at(-1)!.seq, headHash: forged.at(-1)!.hash }, Buffer.from(jsonl(forged)));
    const { site, result } = await catalog("site-rewritten");
    expect(result.auditVerified).toBe(false);
    const { page } = browser;
    await page.goto(url(site, "audit.html"));
    const row = page.locator(`#chain-table tr[data-chain-id='${ids.a}']`);
    expect(await row.getAttribute("data-chain-ok")).toBe("false");
    expect(await row.textContent()).toMatch(
      new RegExp(
        `breaks at line 3: event 3 hashes to sha256:[0-9a-f]{64}, but OCI artifact \\S+:anchor-${ids.a}-3 anchored sha256:[0-9a-f]{64}: the log was rewritten after it was anchored`,
      ),
    );
    expect(await row.textContent()).toContain("Verified up to event 0");
    const statusOf = (line: number) => page.locator(`#audit-table tr[data-runner='${ids.a}'][data-line='${line}']`).getAttribute("class");
    expect([await statusOf(1), await statusOf(2), await statusOf(3)]).toEqual(["status-unverified", "status-unverified", "status-breaks"]);
    expect(await page.locator(`#audit-table tr[data-runner='${ids.a}'][data-line='2']`).getAttribute("data-actor")).toBe("someone-else");
  });
});
