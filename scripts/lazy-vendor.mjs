// Heavy npm trees few runs need (faker when masking, dockerode for --runtime docker, octokit/jose with
// GitHub features, ajv/yaml for masking policies, pg, proper-lockfile, cli-progress) are bundled apart,
// one CJS file each in vendor/ beside the bundle (dist/cli/vendor, dist/<action>/vendor), and loaded
// on first use.
//
// Why not esbuild splitting: it splits only ESM output, and our bundles must stay CJS (build.mjs).
// Why at the package boundary: the CLI's own code and packages/core stay one bundle, so one copy of
// every class (DbcloneError's instanceof in the CLI's failure report must see core's errors); a
// package's classes live only in its own vendor file, since every import of it resolves to the shim.
//
// The shim the main bundle gets instead of the package has the package's export names (read from the
// built vendor file) as getters that require the vendor file on first access; esbuild's __toESM copies
// them as getters, so `import { Octokit } from "@octokit/rest"` loads nothing until Octokit is used.
// A package whose export is a function (dockerode) gets a function shim that constructs/calls the real one.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { build } from "esbuild";
import { pgLazyWebCryptoPlugin } from "./pg-lazy-webcrypto.mjs";

export const lazyPackages = ["@faker-js/faker", "dockerode", "@octokit/rest", "jose", "ajv", "yaml", "pg", "proper-lockfile", "cli-progress"];

// pg asks `typeof Response === "function"` (then builds one) to detect Cloudflare Workers on every
// load: on Node that loads the whole of undici (fetch), ~15 ms of a clone's start for nothing.
// Node is never Cloudflare: the test folds to false at build time.
const vendorDefines = { pg: { Response: "undefined" } };

// proper-lockfile reaches the file system through graceful-fs, which queues calls that fail with
// EMFILE and patches fs.close on load (~2.5 ms of every clone's first registry lock). A lock makes
// a few calls at a time and retries on its own: node:fs does. Its signal-exit loads node:assert
// for one type check (2-8 ms of a clone's start): a shim with that check stands in.
const vendorAliases = {
  "proper-lockfile": { "graceful-fs": "node:fs", assert: path.join(import.meta.dirname, "vendor-shims/assert-equal.cjs") },
};

/** The aliases a bundle that inlines `packages` (instead of loading their vendor files) builds them with. */
export const inlineAliases = (packages) => Object.assign({}, ...packages.map((pkg) => vendorAliases[pkg] ?? {}));

/** The defines a bundle that inlines `packages` builds with: their vendor files' (pg: `Response` folded away). */
export const inlineDefines = (packages) => Object.assign({}, ...packages.map((pkg) => vendorDefines[pkg] ?? {}));

/** The esbuild plugins a bundle that inlines `packages` builds with: their vendor files' (pg: WebCrypto loaded lazily). */
export const inlinePlugins = (packages) => packages.flatMap((pkg) => vendorPlugins(pkg));

const vendorPlugins = (pkg) => (pkg === "pg" ? [pgLazyWebCryptoPlugin()] : []);

const vendorFile = (pkg) => `vendor/${pkg.replace(/^@/, "").replace(/\//g, "-")}.cjs`;

/**
 * Build one vendor file per lazy package into `dir`/vendor (dir: where the bundle goes) with `options` (build.mjs's
 * bundle options minus the entry); returns { shapes, inputs } for the shims and (per package) the licenses.
 */
export async function buildVendorChunks(dir, options, repoRoot) {
  const shapes = new Map();
  const inputs = new Map();
  const sources = sourceFiles(repoRoot);
  for (const pkg of lazyPackages) {
    const outfile = path.join(dir, vendorFile(pkg));
    // Only named imports: re-export just those, so esbuild drops the rest (the faker locales we do not import).
    const names = namedImports(sources, pkg);
    const contents = names ? `export { ${names.join(", ")} } from ${JSON.stringify(pkg)};\n` : `module.exports = require(${JSON.stringify(pkg)});\n`;
    const define = { ...options.define, ...vendorDefines[pkg] };
    const plugins = vendorPlugins(pkg);
    const alias = vendorAliases[pkg] ?? {};
    const result = await build({
      ...options,
      define,
      alias,
      plugins,
      stdin: { contents, resolveDir: repoRoot, sourcefile: `vendor:${pkg}`, loader: "js" },
      outfile,
    });
    inputs.set(pkg, Object.keys(result.metafile.inputs));
    // Read the export names from the file we ship (not from node_modules), so shim and file agree.
    const real = createRequire(outfile)(outfile);
    shapes.set(pkg, { callable: typeof real === "function", esModule: real?.__esModule === true, keys: Object.keys(real).sort() });
  }
  return { shapes, inputs };
}

/** Delete the vendor files of `dir` whose package the bundles built beside them did not import. */
export function dropUnusedVendorChunks(dir, used) {
  for (const pkg of lazyPackages) if (!used.has(pkg)) fs.rmSync(path.join(dir, vendorFile(pkg)), { force: true });
}

/** The sources of every bundle built with the lazy packages: core, the CLI and the actions. */
function sourceFiles(repoRoot) {
  const files = [];
  for (const dir of ["packages/core/src", "packages/cli/src", "actions"]) {
    for (const f of fs.readdirSync(path.join(repoRoot, dir), { recursive: true }).map(String).sort()) {
      if (/\.ts$/.test(f) && !f.includes("node_modules")) files.push(fs.readFileSync(path.join(repoRoot, dir, f), "utf8"));
    }
  }
  return files;
}

/**
 * Names imported (or re-exported) from `pkg` as `import { a, b as c, type T }`; null if any import takes
 * the default or the namespace, or is a dynamic import().
 */
function namedImports(sources, pkg) {
  const names = new Set();
  const quoted = `["']${pkg.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}["']`;
  const re = new RegExp(`(?:import|export)\\s+(type\\s+)?([^;]*?)\\s+from\\s+${quoted}`, "g");
  const dynamic = new RegExp(`import\\(\\s*${quoted}\\s*\\)`);
  for (const text of sources) {
    if (dynamic.test(text)) return null;
    for (const m of text.matchAll(re)) {
      if (m[1]) continue;
      const clause = m[2].trim();
      if (!clause.startsWith("{")) return null;
      for (const part of clause.slice(1, -1).split(",")) {
        const name = part
          .trim()
          .split(/\s+as\s+/)[0]
          .trim();
        if (name && !name.startsWith("type ")) names.add(name);
      }
    }
  }
  return names.size ? [...names].sort() : null;
}

/** esbuild plugin: every import of a lazy package resolves to its shim. */
export function lazyVendorPlugin(shapes, used = new Set()) {
  const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const filter = new RegExp(`^(${[...shapes.keys()].map(escapeRegex).join("|")})$`);
  return {
    name: "lazy-vendor",
    setup(b) {
      b.onResolve({ filter }, (a) => {
        // A name the vendor file does not export would read as undefined at run time: fail the build.
        const wanted = a.importer ? (namedImports([fs.readFileSync(a.importer, "utf8")], a.path) ?? []) : [];
        const missing = wanted.filter((n) => !shapes.get(a.path).keys.includes(n));
        if (missing.length)
          return {
            errors: [
              {
                text: `${a.path}: ${missing.join(", ")} not in its vendor file (scripts/lazy-vendor.mjs scans packages/core/src, packages/cli/src and actions)`,
              },
            ],
          };
        used.add(a.path);
        return { path: a.path, namespace: "lazy-vendor" };
      });
      b.onResolve({ filter: /^\.\/vendor\//, namespace: "lazy-vendor" }, (a) => ({ path: a.path, external: true }));
      b.onLoad({ filter: /.*/, namespace: "lazy-vendor" }, (a) => ({ contents: shimSource(a.path, shapes.get(a.path)), loader: "js" }));
    },
  };
}

function shimSource(pkg, { callable, esModule, keys }) {
  const lines = [
    `// ${pkg}: loaded from ./${vendorFile(pkg)} on first use (scripts/lazy-vendor.mjs).`,
    "let real;",
    `const load = () => (real ??= require(${JSON.stringify(`./${vendorFile(pkg)}`)}));`,
    callable
      ? "module.exports = function (...args) { return new.target ? Reflect.construct(load(), args) : load().apply(this, args); };"
      : "module.exports = {};",
  ];
  if (esModule) lines.push('Object.defineProperty(module.exports, "__esModule", { value: true });');
  for (const key of keys) {
    lines.push(
      `Object.defineProperty(module.exports, ${JSON.stringify(key)}, { enumerable: true, configurable: true, get: () => load()[${JSON.stringify(key)}] });`,
    );
  }
  return `${lines.join("\n")}\n`;
}
