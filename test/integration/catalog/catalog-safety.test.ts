// The catalog's guards without a browser: secrets cut from every connection-string form, data
// values withheld by field name, a foreign --out folder refused untouched, the lineage layout
// of 50 versions, and the CLI's usage error.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildLineage,
  CATALOG_MARKER,
  collectCatalog,
  redactSecrets,
  writeCatalog,
  writeSite,
  type CatalogVersion,
} from "../../../packages/core/src/catalog/index.js";
import { runCli } from "../../unit/cli/helpers.js";
import { HOSTILE, makeCatalogWorld, SAMPLED_VALUE, type CatalogWorld } from "./fixture.js";

describe("redactSecrets", () => {
  it.each([
    ["postgres://app:s3cr3t@db:5432/shop", "postgres://app:***@db:5432/shop"],
    ["from postgresql://u:p%40ss@h/db (nightly)", "from postgresql://u:***@h/db (nightly)"],
    ["postgres://db/shop?user=app&password=s3cr3t&sslmode=require", "postgres://db/shop?user=app&password=***&sslmode=require"],
    ["host=db user=app password=s3cr3t dbname=shop", "host=db user=app password=*** dbname=shop"],
    ["Server=db;User Id=sa;Password=s3cr3t;Database=orders", "Server=db;User Id=sa;Password=***;Database=orders"],
    ["Server=db;PWD='s3;cr3t';Database=orders", "Server=db;PWD=***;Database=orders"],
    ["token: ghp_s3cr3t", "token: ***"],
  ])("%s", (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
    expect(redactSecrets(input)).not.toMatch(/s3cr3t|p%40ss|s3;cr3t/);
  });

  it("leaves text without secrets alone", () => {
    expect(redactSecrets("pg_dump of shop, 3 databases")).toBe("pg_dump of shop, 3 databases");
  });
});

describe("writeCatalog", () => {
  let world: CatalogWorld;
  beforeAll(async () => {
    world = await makeCatalogWorld();
  });
  afterAll(() => world?.cleanup());

  it("refuses a non-empty folder that is not a catalog and changes nothing in it", async () => {
    const out = path.join(world.root, "docs");
    mkdirSync(out);
    writeFileSync(path.join(out, "notes.md"), "mine");
    await expect(writeCatalog(world.repository, out)).rejects.toThrow(/non-empty folder that holds no dbclone catalog/);
    expect(readdirSync(out)).toEqual(["notes.md"]);
    expect(readFileSync(path.join(out, "notes.md"), "utf8")).toBe("mine");
  });

  it("replaces a previous catalog, leaving no stale page and no temporary folder", async () => {
    const out = path.join(world.root, "site");
    await writeCatalog(world.repository, out);
    writeFileSync(path.join(out, "versions", "stale@v0.html"), "old");
    const result = await writeCatalog(world.repository, out);
    expect(readdirSync(path.join(out, "versions"))).not.toContain("stale@v0.html");
    expect(readdirSync(out)).toContain(CATALOG_MARKER);
    expect(readdirSync(world.root).filter((f) => f.includes(".tmp-"))).toEqual([]);
    expect(result.pages).toHaveLength(3 + 6);
  });

  it("renders leak-scan fields a newer build adds, withholding any that may hold a data value", async () => {
    const data = await collectCatalog(world.repository);
    const v = data.versions.find((x) => x.image.name === "shop-analysts")!;
    // Fields the strict schema does not know yet (a newer build, or the leak-scan work in flight).
    Object.assign(v.image.manifest.masking!.leakScan!, {
      valuesSearched: 6180,
      excluded: 12,
      explained: 3,
      copies: [{ column: "public.notes.body", values: 2, highCardinality: true, originals: [SAMPLED_VALUE] }],
      note: HOSTILE,
    });
    const dir = path.join(world.root, "future");
    await writeSite(dir, data);
    const page = readFileSync(path.join(dir, v.page), "utf8");
    expect(page).toMatch(/data-leak-field="excluded"><th scope="row">Values excluded<\/th><td>12<\/td>/);
    expect(page).toMatch(/data-leak-field="explained"><th scope="row">Hits explained by published data<\/th><td>3<\/td>/);
    expect(page).toMatch(
      /data-leak-field="copies"><th scope="row">Copies in unmasked columns<\/th><td>column: public.notes.body; values: 2; highCardinality: true; originals: \(withheld/,
    );
    expect(page).not.toContain(SAMPLED_VALUE);
    expect(page).not.toContain(HOSTILE);
    expect(page).toContain("&lt;script&gt;window.__pwned=1&lt;/script&gt;");
  });

  it("never writes a page outside the site folder, whatever the repository answered", async () => {
    const data = await collectCatalog(world.repository);
    data.versions[0]!.page = "../escaped.html";
    await expect(writeSite(path.join(world.root, "contained"), data)).rejects.toThrow(/outside the site folder/);
    expect(readdirSync(world.root)).not.toContain("escaped.html");
  });

  it("needs --out on the command line", async () => {
    const run = await runCli(["--repo", world.repoDir, "--home", path.join(world.root, "home"), "catalog"], { PATH: process.env.PATH });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/catalog needs --out <dir>/);
  });
});

describe("lineage layout", () => {
  it("places 50 versions in lanes with every edge pointing down and no two nodes on one spot", () => {
    const versions: CatalogVersion[] = [];
    const digest = (i: number) => `sha256:${i.toString(16).padStart(64, "0")}`;
    for (let i = 0; i < 50; i++) {
      const name = ["orders", "billing", "crm"][i % 3]!;
      // Every third version of an image layers on the one before it; one crosses images.
      const parent = i >= 3 && i % 2 === 0 ? digest(i - 3) : i === 49 ? digest(0) : undefined;
      const manifest = { created: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), labels: {}, ...(parent ? { parent } : {}) };
      versions.push({
        image: { name, version: `v${i}`, manifestDigest: digest(i), manifest },
        tags: [],
        masking: "masked",
        page: "",
      } as unknown as CatalogVersion);
    }
    const g = buildLineage(versions);
    expect(g.lanes).toEqual(["orders", "billing", "crm"]);
    expect(g.nodes).toHaveLength(50);
    const spots = new Set(g.nodes.map((n) => `${n.lane}/${n.row}`));
    expect(spots.size).toBe(50);
    expect(g.edges.length).toBe(versions.filter((v) => v.image.manifest.parent).length);
    for (const e of g.edges) expect(e.to.row).toBeGreaterThan(e.from.row);
    expect(g.edges.some((e) => e.from.lane !== e.to.lane)).toBe(true);
    expect(g.rows).toBeLessThanOrEqual(25);
  });
});
