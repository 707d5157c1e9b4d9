// The image library site, generated from a real repository and driven in headless Chromium from
// file://: library, search and filters, lineage edges, version evidence, the audit chain's status
// (intact and tampered), no secret or sampled value anywhere, and no request leaving file://.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { versionPagePath, writeCatalog } from "../../../packages/core/src/catalog/index.js";
import { runCli } from "../../unit/cli/helpers.js";
import { requireOrSkip } from "../required.js";
import { CHROMIUM, openBrowser, type CatalogBrowser } from "./browser.js";
import { HOSTILE, makeCatalogWorld, SAMPLED_VALUE, SECRET_PASSWORD, type CatalogWorld } from "./fixture.js";

const SCREENSHOTS = path.resolve("test-output/catalog");
const ALL_VERSIONS = ["billing:2026.11.01", "shop:v1", "shop:v2", "shop:v3", "shop:v4", "shop-analysts:v1"];

const noChromium = requireOrSkip(existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium)`);

describe.skipIf(noChromium)("catalog site in headless Chromium", () => {
  let world: CatalogWorld;
  let browser: CatalogBrowser;
  let site: string;
  const url = (file: string, dir = site): string => pathToFileURL(path.join(dir, file)).href;

  beforeAll(async () => {
    world = await makeCatalogWorld();
    site = path.join(world.root, "site");
    // Through the CLI, as a workflow would run it.
    const run = await runCli(["--repo", world.repoDir, "--home", path.join(world.root, "home"), "catalog", "--out", site], { PATH: process.env.PATH });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Catalog of 6 versions/);
    browser = await openBrowser();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    world?.cleanup();
  });

  it("lists every version in the library and makes the unmasked one impossible to miss", async () => {
    const { page } = browser;
    await page.goto(url("index.html"));
    const versions = await page.$$eval("#library-table tbody tr", (rows) =>
      rows.map((r) => `${r.getAttribute("data-image")}:${r.querySelector("th a")!.textContent}`),
    );
    expect(versions.sort()).toEqual([...ALL_VERSIONS].sort());
    const unmasked = page.locator("#library-table tbody tr.row-unmasked");
    await expect.poll(() => unmasked.count()).toBe(1);
    expect(await unmasked.getAttribute("data-image")).toBe("billing");
    expect(await unmasked.locator(".badge-unmasked").textContent()).toContain("UNMASKED");
    expect(await page.locator(".alert[role=alert] h2").textContent()).toBe("1 unmasked version");
    expect(await page.locator("#library-table tr[data-image='shop-analysts'] .variant").textContent()).toBe("variant analysts");
    expect(await page.locator("#library-table tbody tr:has-text('latest')").getAttribute("data-image")).toBe("shop");
    await page.screenshot({ path: path.join(SCREENSHOTS, "library.png"), fullPage: true });
    // The print stylesheet: navigation and filters go, the unmasked badge keeps a black border.
    await page.emulateMedia({ media: "print" });
    expect(await page.locator("header nav").isVisible()).toBe(false);
    expect(await page.locator("form.filters").isVisible()).toBe(false);
    expect(
      await unmasked
        .locator(".badge-unmasked")
        .evaluate((b) => (globalThis as unknown as { getComputedStyle(e: unknown): { borderTopColor: string } }).getComputedStyle(b).borderTopColor),
    ).toBe("rgb(0, 0, 0)");
    await page.emulateMedia({ media: "screen" });
    expect(await page.locator("header nav").isVisible()).toBe(true);
  });

  it("filters the library with the search box and the selects", async () => {
    const { page } = browser;
    await page.goto(url("index.html"));
    const visible = () =>
      page.$$eval("#library-table tbody tr:not([hidden])", (rows) =>
        rows.map((r) => `${r.getAttribute("data-image")}:${r.querySelector("th a")!.textContent}`),
      );
    await page.getByLabel("Search").fill("analysts");
    expect(await visible()).toEqual(["shop-analysts:v1"]);
    expect(await page.locator("[data-filter-count]").textContent()).toBe("Showing 1 of 6");
    await page.getByLabel("Search").fill("");
    await page.getByLabel("Masking").selectOption("unmasked");
    expect(await visible()).toEqual(["billing:2026.11.01"]);
    await page.getByLabel("Masking").selectOption("");
    await page.getByLabel("Image").selectOption("shop");
    expect(await visible()).toEqual(["shop:v1", "shop:v2", "shop:v3", "shop:v4"]);
    // Keyboard only: tab into the search box and type.
    await page.getByLabel("Image").selectOption("");
    await page.getByLabel("Search").focus();
    await page.keyboard.type("stable");
    expect(await visible()).toEqual(["shop:v2"]);
  });

  it("draws the lineage graph with the promoted chain's edges", async () => {
    const { page } = browser;
    await page.goto(url("lineage.html"));
    const edges = await page.$$eval("svg.lineage path.edge", (ps) =>
      ps.map((p) => `${p.getAttribute("data-from")} -> ${p.getAttribute("data-to")} (${p.getAttribute("data-kind")})`),
    );
    expect(edges.sort()).toEqual(["shop:v2 -> shop:v3 (layer)", "shop:v3 -> shop:v4 (promoted)"]);
    const nodes = await page.$$eval("svg.lineage a.node", (as) => as.map((a) => a.getAttribute("data-version")));
    expect(nodes.sort()).toEqual([...ALL_VERSIONS].sort());
    // Every edge points down the page: children sit below their parents.
    const downward = await page.$$eval("svg.lineage path.edge", (ps) =>
      ps.every((p) => {
        const nums = (p.getAttribute("d") ?? "").match(/-?\d+(\.\d+)?/g)!.map(Number);
        return nums[nums.length - 1]! > nums[1]!;
      }),
    );
    expect(downward).toBe(true);
    expect(await page.locator("svg.lineage a.node-unmasked").getAttribute("data-version")).toBe("billing:2026.11.01");
    await page.screenshot({ path: path.join(SCREENSHOTS, "lineage.png"), fullPage: true });
    // A node is a link to its version page.
    await page.locator("svg.lineage a.node[data-version='shop:v3']").click();
    expect(page.url()).toBe(url(versionPagePath("shop", "v3")));
    // And reachable from the keyboard.
    await page.goto(url("lineage.html"));
    await page.locator("svg.lineage a.node[data-version='shop-analysts:v1']").focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(url(versionPagePath("shop-analysts", "v1")));
  });

  it("shows a version's masking evidence: leak-scan figures, rules, PII findings and access lists", async () => {
    const { page } = browser;
    await page.goto(url(versionPagePath("shop-analysts", "v1")));
    const figure = (key: string) => page.locator(`tr[data-leak-field='${key}'] td`).textContent();
    expect(await figure("probes")).toBe("6,180");
    expect(await figure("hits")).toBe("0");
    expect(await figure("bytesScanned")).toBe("73,400,320");
    expect(await page.locator("tr[data-leak-field='probes'] th").textContent()).toBe("Values searched");
    const access = await page.locator("#s-access + dl").textContent();
    expect(access).toContain("dpo-dana");
    expect(access).toContain("acme/analytics");
    expect(await page.locator("#s-rules + table").textContent()).toContain("last-name");
    expect(await page.locator("#s-pii + table").textContent()).toContain("notes");
    expect(await page.textContent("main")).not.toContain(SAMPLED_VALUE);
    await page.screenshot({ path: path.join(SCREENSHOTS, "version.png"), fullPage: true });
    // A promoted layer says its leak scan was not run rather than showing nothing.
    await page.goto(url(versionPagePath("shop", "v3")));
    expect(await page.locator("#s-leak + p").textContent()).toContain("not-run (promoted layer)");
  });

  it("renders hostile manifest strings as text and never shows a password or a sampled value", async () => {
    const { page } = browser;
    await page.goto(url(versionPagePath("billing", "2026.11.01")));
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    const main = (await page.textContent("main"))!;
    expect(main).toContain(HOSTILE); // shown literally, as text
    expect(main).toContain("postgres://admin:***@db.internal:5432/billing");
    expect(await page.locator("a[href^='javascript:']").count()).toBe(0);
    expect(await page.locator("main script, main img, main svg[onload]").count()).toBe(0);
    expect(await page.locator(".alert[role=alert]").first().textContent()).toContain("This version is not masked");
    for (const file of siteFiles(site)) {
      const text = readFileSync(path.join(site, file), "utf8");
      expect(text, file).not.toContain(SECRET_PASSWORD);
      expect(text, file).not.toContain(SAMPLED_VALUE);
    }
  });

  it("shows the audit trail verified and filters it by actor, action, image and date", async () => {
    const { page } = browser;
    await page.goto(url("audit.html"));
    const lines = readFileSync(world.repository.audit.filePath, "utf8").trim().split("\n").length;
    expect(await page.locator("header .chain").getAttribute("data-chain")).toBe("ok");
    expect(await page.locator("header .chain").textContent()).toBe(`Audit chain verified up to event ${lines}`);
    const visible = () => page.locator("#audit-table tbody tr:not([hidden])").count();
    expect(await visible()).toBe(lines);
    await page.getByLabel("Actor").selectOption("mallory");
    expect(await visible()).toBe(1);
    expect(await page.locator("#audit-table tbody tr:not([hidden])").getAttribute("data-action")).toBe("denied");
    await page.getByLabel("Actor").selectOption("");
    await page.getByLabel("Action").selectOption("tag");
    expect(await visible()).toBe(2);
    await page.getByLabel("Action").selectOption("");
    await page.getByLabel("Image").selectOption("shop-analysts");
    expect(await visible()).toBe(3); // publish, pull, denied
    await page.getByLabel("Image").selectOption("");
    const today = new Date().toISOString().slice(0, 10);
    await page.getByLabel("From", { exact: true }).fill("2000-01-01");
    await page.getByLabel("To", { exact: true }).fill("2000-12-31");
    expect(await visible()).toBe(0);
    await page.getByLabel("To", { exact: true }).fill(today);
    expect(await visible()).toBe(lines);
    // The version page links to its own events.
    await page.goto(url(versionPagePath("shop", "v4")));
    await page.getByRole("link", { name: "Audit events of shop:v4" }).click();
    expect(await visible()).toBe(4); // publish, tag latest, clone, teardown
    await page.screenshot({ path: path.join(SCREENSHOTS, "audit.png"), fullPage: true });
  });

  it("flags a tampered audit log at the exact line, on the audit page and in every page's header", async () => {
    const { page } = browser;
    const log = world.repository.audit.filePath;
    const original = readFileSync(log, "utf8");
    const lines = original.trim().split("\n");
    const edited = JSON.parse(lines[2]!) as { actor: string };
    edited.actor = "someone-else";
    lines[2] = JSON.stringify(edited);
    writeFileSync(log, `${lines.join("\n")}\n`);
    const tampered = path.join(world.root, "site-tampered");
    const result = await writeCatalog(world.repository, tampered);
    expect(result.auditVerified).toBe(false);
    await page.goto(url("audit.html", tampered));
    const status = page.locator("header .chain");
    expect(await status.getAttribute("data-chain")).toBe("broken");
    expect(await status.getAttribute("data-broken-line")).toBe("3");
    expect(await status.textContent()).toMatch(/BROKEN at line 3: line 3 does not match its own hash.*Verified up to event 2/);
    const statusOf = (line: number) => page.locator(`#audit-table tr[data-line='${line}']`).getAttribute("class");
    expect(await statusOf(2)).toBe("status-verified");
    expect(await statusOf(3)).toBe("status-breaks");
    expect(await statusOf(4)).toBe("status-unverified");
    await page.goto(url("index.html", tampered));
    expect(await page.locator("header .chain[role=alert]").textContent()).toContain("BROKEN at line 3");
    await page.screenshot({ path: path.join(SCREENSHOTS, "audit-tampered.png") });
  });

  it("loads every page with its own assets only: no request leaves file:// and no script or CSP error", async () => {
    const { page, requests, pageErrors } = browser;
    for (const file of siteFiles(site).filter((f) => f.endsWith(".html"))) await page.goto(url(file));
    const outside = requests.filter((r) => !r.startsWith("file://"));
    expect(outside).toEqual([]);
    expect(requests.length).toBeGreaterThan(siteFiles(site).filter((f) => f.endsWith(".html")).length);
    expect(requests.some((r) => r.endsWith("/assets/catalog.js"))).toBe(true);
    expect(requests.some((r) => r.endsWith("/assets/catalog.css"))).toBe(true);
    expect(pageErrors).toEqual([]);
    // The stylesheet applied (CSP allows our own files from file://): unmasked rows are tinted.
    await page.goto(url("index.html"));
    const tint = await page
      .locator("tr.row-unmasked")
      .evaluate((r) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(r).backgroundColor);
    expect(tint).toBe("rgb(255, 241, 240)");
    for (const shot of ["library.png", "lineage.png", "version.png", "audit.png"]) {
      expect(statSync(path.join(SCREENSHOTS, shot)).size).toBeGreaterThan(10_000);
    }
  });
});

function siteFiles(dir: string, prefix = ""): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? siteFiles(dir, path.join(prefix, e.name)) : [path.join(prefix, e.name)],
  );
}
