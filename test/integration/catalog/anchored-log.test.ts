// A directory repository's audit log anchored in a git tag (the real `anchorAudit`), then rewritten
// with every hash and the head recomputed: the chain alone verifies, so only the anchor can tell.
// The catalog shows "verified up to event N, anchored at <git tag>, <time>" before, and the break
// at the anchored event's line after, on the audit page and in every page's header (Chromium).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCatalog } from "../../../packages/core/src/catalog/index.js";
import { anchorAudit } from "../../../packages/core/src/repository/index.js";
import { requireOrSkip } from "../required.js";
import { jsonl, rewriteWithRecomputedHashes } from "./audit-forgery.js";
import { CHROMIUM, openBrowser, type CatalogBrowser } from "./browser.js";
import { makeCatalogWorld, type CatalogWorld } from "./fixture.js";

const SCREENSHOTS = path.resolve("test-output/catalog");
const noChromium = requireOrSkip(existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium)`);

describe.skipIf(noChromium)("catalog of an anchored audit log", () => {
  let world: CatalogWorld;
  let browser: CatalogBrowser;
  let anchors: string;
  let noAnchors: string;
  let anchored: { seq: number; hash: string };
  const url = (dir: string, file: string): string => pathToFileURL(path.join(dir, file)).href;

  beforeAll(async () => {
    world = await makeCatalogWorld();
    anchors = path.join(world.root, "anchors");
    noAnchors = path.join(world.root, "no-anchors");
    for (const dir of [anchors, noAnchors]) {
      mkdirSync(dir);
      execFileSync("git", ["init", "-q", dir]);
    }
    anchored = (await anchorAudit(world.repository, { gitDir: anchors })).anchor;
    // One more event after the anchor: verified by the chain, vouched for by no anchor yet.
    await world.repository.audit.append({ action: "pull", outcome: "success", actor: "dave", image: "shop:v1" });
    browser = await openBrowser();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    world?.cleanup();
  });

  it("shows the chain verified up to its head and anchored at the git tag, with the anchor's time", async () => {
    const site = path.join(world.root, "site");
    const result = await writeCatalog(world.repository, site, { anchorsGitDir: anchors });
    expect(result.auditVerified).toBe(true);
    const { page } = browser;
    await page.goto(url(site, "index.html"));
    const header = page.locator("header .chain");
    expect(await header.getAttribute("data-chain")).toBe("ok");
    const time = anchoredTime(anchors);
    expect(await header.textContent()).toBe(
      `Audit chain verified up to event ${anchored.seq + 1}, anchored at git tag dbclone-audit/${/[0-9a-f]{16}/.exec(time.tag)![0]}/${anchored.seq} (event ${anchored.seq}) on ${time.shown}`,
    );
  });

  it("flags the log rewritten with a recomputed head at the anchored event, though the chain alone verifies", async () => {
    const log = world.repository.audit.filePath;
    const forged = rewriteWithRecomputedHashes(readFileSync(log, "utf8").split("\n"), 2, (e) => ({ ...e, actor: "someone-else" }));
    writeFileSync(log, jsonl(forged));
    writeFileSync(world.repository.audit.headPath, `${JSON.stringify({ seq: forged.at(-1)!.seq, hash: forged.at(-1)!.hash })}\n`);
    expect((await world.repository.audit.verify()).ok).toBe(true);

    // Without the anchor, nothing can tell.
    const blind = await writeCatalog(world.repository, path.join(world.root, "site-blind"), { anchorsGitDir: noAnchors });
    expect(blind.auditVerified).toBe(true);

    const site = path.join(world.root, "site-rewritten");
    const result = await writeCatalog(world.repository, site, { anchorsGitDir: anchors });
    expect(result.auditVerified).toBe(false);
    const { page } = browser;
    for (const file of ["index.html", "lineage.html", "audit.html"]) {
      await page.goto(url(site, file));
      const header = page.locator("header .chain[role=alert]");
      expect(await header.getAttribute("data-broken-line"), file).toBe(String(anchored.seq));
      expect(await header.textContent(), file).toMatch(
        new RegExp(
          `BROKEN at line ${anchored.seq}: event ${anchored.seq} hashes to sha256:[0-9a-f]{64}, but git tag dbclone-audit/[0-9a-f]{16}/${anchored.seq} anchored ${anchored.hash}: the log was rewritten after it was anchored\\. Verified up to event 0\\.`,
        ),
      );
    }
    const statusOf = (line: number) => page.locator(`#audit-table tr[data-line='${line}']`).getAttribute("class");
    expect(await statusOf(1)).toBe("status-unverified");
    expect(await statusOf(anchored.seq)).toBe("status-breaks");
    expect(await statusOf(anchored.seq + 1)).toBe("status-unverified");
    expect(await page.locator("#chain-table tr[data-chain-id='local'] td").last().textContent()).toContain(`git tag dbclone-audit/`);
    await page.screenshot({ path: path.join(SCREENSHOTS, "audit-anchor-contradicted.png"), fullPage: true });
  });
});

/** The anchor tag's name and its time as the pages show it (read back from git, not from our code). */
function anchoredTime(dir: string): { tag: string; shown: string } {
  const tag = execFileSync("git", ["-C", dir, "tag", "--list", "dbclone-audit/*"], { encoding: "utf8" }).trim();
  const anchor = JSON.parse(execFileSync("git", ["-C", dir, "cat-file", "blob", `refs/tags/${tag}`], { encoding: "utf8" })) as { time: string };
  return { tag, shown: anchor.time.replace("T", " ").replace(/\.\d+Z$/, "Z") };
}
