// Bundle the actions and the CLI into dist/ with esbuild: one self-contained CommonJS file per entry,
// plus, beside the bundles that use them, vendor/*.cjs: heavy npm trees loaded on first use
// (lazy-vendor.mjs), so that starting `dbclone` or an action parses only what the run needs.
//
// Why dist/<name>/ at the top and `main: ../../dist/<name>/index.cjs` in actions/<name>/action.yml:
// the runner resolves runs.main/post with Path.Combine(<action dir>, main) and only checks that the
// file exists (actions/runner src/Runner.Worker/Handlers/NodeScriptActionHandler.cs); for
// `uses: owner/repo/actions/clone-db@v0` it downloads the whole repository, so ../../dist is inside it.
// github/codeql-action relies on the same thing (init/action.yml: `main: '../lib/init-action.js'`).
//
// Why CJS: @actions/* are ESM packages that require('net') etc. at run time; an ESM bundle of them fails
// with "Dynamic require of 'net' is not supported". CJS has require, and esbuild converts ESM to CJS.
// Why no minify / sourcemap / timestamps: dist/ is committed; diffs must be readable and builds
// byte-identical (check-dist.mjs rebuilds and compares).
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { asciiOnly } from "./ascii-bundle.mjs";
import { buildVendorChunks, dropUnusedVendorChunks, inlineAliases, inlineDefines, inlinePlugins, lazyVendorPlugin } from "./lazy-vendor.mjs";
import { zodNoLocalesPlugin } from "./zod-no-locales.mjs";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Entry point → bundle path under dist/. The CLI is optional while it is being written. */
export const bundles = [
  { entry: "actions/build-image/src/main.ts", out: "build-image/index.cjs", lazyVendor: true },
  { entry: "actions/clone-db/src/main.ts", out: "clone-db/index.cjs", lazyVendor: true },
  { entry: "actions/clone-db/src/post.ts", out: "clone-db/post.cjs", lazyVendor: true },
  { entry: "actions/teardown/src/main.ts", out: "teardown/index.cjs", lazyVendor: true },
  // The CLI: a tiny bin (answers --version) that requires main.cjs beside it, whose heavy dependencies
  // are in vendor/*.cjs, loaded on first use (lazy-vendor.mjs). Both start `dbclone` fast.
  { entry: "packages/cli/src/bin.ts", out: "cli/index.cjs", cli: true, optional: true },
  { entry: "packages/cli/src/index.ts", out: "cli/main.cjs", lazyVendor: true, optional: true },
  // `dbclone clone` alone (clone-main.ts), loaded by the bin instead of main.cjs for that command.
  // inline: lazy packages every clone loads (proper-lockfile for its first registry lock, pg for its
  // ready check), bundled in so that the bin's V8 code cache covers them too (a vendor file is
  // compiled each run: pg's took 5–7 ms of every clone's CPU while its server started).
  // ascii: its comments' few non-ASCII characters rewritten (ascii-bundle.mjs), read and hashed faster.
  { entry: "packages/cli/src/clone-main.ts", out: "cli/clone.cjs", lazyVendor: true, inline: ["proper-lockfile", "pg"], ascii: true, optional: true },
  // The masking worker threads, started from beside the bundle that masks (masking/transformers/mapping-pool.ts).
  { entry: "packages/core/src/masking/transformers/mapping-worker.ts", out: "build-image/mapping-worker.cjs", lazyVendor: true },
  { entry: "packages/core/src/masking/transformers/mapping-worker.ts", out: "cli/mapping-worker.cjs", lazyVendor: true },
  // The SQL Server driver, loaded at run time from beside the bundles (engine/sqlserver/mssql-executor.ts).
  { entry: "packages/core/src/engine/sqlserver/mssql-driver.ts", out: "mssql/index.cjs" },
];

/** The esbuild options every bundle is built with (tests bundle their own probes with them too). */
export function bundleOptions(entry, outfile, { cli = false } = {}) {
  const hasHashbang = cli && fs.readFileSync(entry, "utf8").startsWith("#!");
  return {
    absWorkingDir: repoRoot,
    ...(entry ? { entryPoints: [entry] } : {}),
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    // pg loads pg-native only when asked for `pg.native`; we never ask, so leave it out of the bundle.
    // dockerode → docker-modem → ssh2 loads cpu-features and its own *.node addon inside try/catch
    // (optional speed-ups for SSH transports, which we never use): left out, they fail soft at run time.
    external: ["pg-native", "cpu-features", "*.node"],
    // CJS has no import.meta: import.meta.url becomes the bundle's own file URL (see import-meta-url.mjs).
    inject: [path.join(repoRoot, "scripts/import-meta-url.mjs")],
    define: { "import.meta.url": "importMetaUrl" },
    // Set as a banner so it stays the first line, before "use strict".
    ...(cli && !hasHashbang ? { banner: { js: "#!/usr/bin/env node" } } : {}),
    legalComments: "none",
    minify: false,
    sourcemap: false,
    metafile: true,
    logLevel: "warning",
  };
}

/**
 * Build every bundle (or those whose `out` is in `only`) into `outDir`; returns the files written,
 * relative to outDir.
 */
export async function buildAll(outDir, { log = console, only } = {}) {
  // Start clean so a removed entry leaves no stale bundle behind.
  fs.rmSync(outDir, { recursive: true, force: true });
  const written = [];
  const licensesByDir = new Map();
  // Lazy packages the bundles of each dir import: the other vendor files are dropped at the end.
  const vendorUsedByDir = new Map();
  for (const b of bundles.filter((b) => !only || only.includes(b.out))) {
    const entry = path.join(repoRoot, b.entry);
    if (!fs.existsSync(entry)) {
      if (!b.optional) throw new Error(`${b.entry} is missing`);
      log.warn(`warning: ${b.entry} does not exist yet; skipping dist/${b.out}. Re-run the build once it exists.`);
      continue;
    }
    const outfile = path.join(outDir, b.out);
    const dir = path.dirname(b.out);
    const inputs = [];
    const options = bundleOptions(entry, outfile, { cli: b.cli });
    // Filled by the lazy-vendor plugin during build(): the lazy packages this bundle imports.
    const used = new Set();
    const vendor = b.lazyVendor ? await buildVendorChunks(path.dirname(outfile), bundleOptions(null, null), repoRoot) : undefined;
    if (vendor) {
      const inline = b.inline ?? [];
      const shapes = new Map([...vendor.shapes].filter(([pkg]) => !inline.includes(pkg)));
      options.plugins = [lazyVendorPlugin(shapes, used), zodNoLocalesPlugin(repoRoot), ...inlinePlugins(inline)];
      options.alias = inlineAliases(inline);
      options.define = { ...options.define, ...inlineDefines(inline) };
    }
    const result = await build(options);
    if (vendor) {
      vendorUsedByDir.set(dir, new Set([...(vendorUsedByDir.get(dir) ?? []), ...used]));
      // Only the vendor files this bundle loads count for its licenses.
      for (const pkg of used) inputs.push(...vendor.inputs.get(pkg));
    }
    if (b.ascii) await asciiOnly(outfile);
    if (b.cli) fs.chmodSync(outfile, 0o755);
    written.push(b.out);
    const packages = licensesByDir.get(dir) ?? new Map();
    for (const input of [...inputs, ...Object.keys(result.metafile.inputs)]) collectPackage(input, packages);
    licensesByDir.set(dir, packages);
  }
  for (const [dir, used] of vendorUsedByDir) {
    const vendorDir = path.join(outDir, dir, "vendor");
    dropUnusedVendorChunks(vendorDir, used);
    for (const f of fs.readdirSync(vendorDir).sort()) written.push(`${dir}/vendor/${f}`);
  }
  for (const [dir, packages] of licensesByDir) {
    const file = path.join(dir, "licenses.txt");
    fs.writeFileSync(path.join(outDir, file), licensesText(packages));
    written.push(file);
  }
  return written.sort();
}

/** node_modules/<pkg>/… or node_modules/@scope/pkg/… → that package's root, once. */
function collectPackage(input, packages) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.replace(/\\/g, "/"));
  if (!m || packages.has(m[1])) return;
  packages.set(m[1], path.join(repoRoot, m[1]));
}

function licensesText(packages) {
  const entries = [...packages.values()]
    .map((dir) => {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
      const licenseFile = fs
        .readdirSync(dir)
        .sort()
        .find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
      const text = licenseFile ? fs.readFileSync(path.join(dir, licenseFile), "utf8").trim() : "(no license file in the package)";
      return { id: `${pkg.name}@${pkg.version}`, license: pkg.license ?? "unknown", text };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
  const unique = entries.filter((e, i) => i === 0 || e.id !== entries[i - 1].id);
  return unique.map((e) => `${e.id}\nlicense: ${e.license}\n\n${e.text}\n`).join("\n-----\n\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const outDir = path.join(repoRoot, "dist");
  // Build beside dist/ and swap only on success: a failed build must not leave dist/ missing.
  const staging = fs.mkdtempSync(path.join(repoRoot, ".dist-build-"));
  try {
    const files = await buildAll(staging);
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.renameSync(staging, outDir);
    fs.chmodSync(outDir, 0o755);
    for (const f of files) console.log(`dist/${f}`);
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    // esbuild has already printed each error with its file and line.
    console.error(`build failed: ${e.errors ? `${e.errors.length} error(s) above` : e.message}`);
    process.exit(1);
  }
}
