// Headless Debian Chromium driven by playwright-core, for the catalog's pages opened from file://.
// Every request the pages make is recorded, so a test can prove that nothing leaves file://.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface CatalogBrowser {
  page: Page;
  /** Every URL the pages requested, in order. */
  requests: string[];
  /** Script errors and CSP violations reported by the pages. */
  pageErrors: string[];
  close(): Promise<void>;
}

export async function openBrowser(): Promise<CatalogBrowser> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), "dbclone-chromium-"));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    const requests: string[] = [];
    const pageErrors: string[] = [];
    context.on("request", (r) => requests.push(r.url()));
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(m.text());
    });
    const ctx = context;
    return {
      page,
      requests,
      pageErrors,
      close: async () => {
        await ctx.close();
        rmSync(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await context?.close().catch(() => undefined);
    rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
}
