// Dependency gate: no import cycle between areas of packages/core/src, imports only go down the layer
// order of shared/DESIGN.md, and the CLI, actions and bench import only an area's index.ts.
//
// Why esbuild's metafile: it resolves every import exactly as the bundles do (same resolver, same
// `.js` → `.ts` mapping), with no extra dependency; `packages: "external"` keeps node_modules out of the
// graph. esbuild drops type-only imports, so a second pass reads `import type … from`, `export type …
// from` and `import { type A, type B } from` statements of our own files with a regex (anchored at the
// start of a line, so comments and strings rarely match) and resolves their relative specifiers the
// same way. Files reached only through a type import are read with the regex for all their imports.
//
// Usage: node scripts/check-deps.mjs [--json | --print-keys] [--allow-file baseline.txt] [--root DIR]
//   --print-keys prints the failing violations' keys, one a line: a new baseline file.
//   The baseline file holds one violation key per line (# comments allowed); those are reported as
//   "allowed", keys no longer seen as "fixed", and only new violations fail the run.
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The layer order of shared/DESIGN.md, top first; an import may only go to a strictly lower line.
 * platform/ picks the engine and the disk driver, so it sits just above engine (engine is above disk);
 * catalog/ (the static site of a repository) goes with lineage, and doctor/ (the prerequisites check
 * the CLI runs) with them: both are features on top that only read lower areas. "core-index" is
 * packages/core/src/index.ts, the library's public root. docs/dev/layers.md states the same order
 * (test/unit/scripts/check-deps.test.ts keeps the two equal).
 */
export const LAYERS = [
  ["actions", "cli", "bench"],
  ["core-index"],
  ["demo", "github", "lineage", "catalog", "doctor", "promote"],
  ["build", "clones"],
  ["repository", "access"],
  ["platform"],
  ["engine"],
  ["masking", "disk", "runtime", "audit"],
  ["image"],
  ["util", "errors", "reporter"],
];

/**
 * Same-line imports the design intends (peers on one line are otherwise independent).
 * Each entry: [from, to, why]. Edit together with DESIGN.md.
 */
export const SAME_LINE_ALLOWED = [
  ["disk", "runtime", "external commands go through the one runner, runtime/exec.ts (STYLE/brief rule)"],
  ["masking", "runtime", "masking runs external commands through the one runner"],
  ["audit", "runtime", "the audit log's file lock runs through the runner"],
  ["util", "errors", "the typed error tree is used by every layer, util included"],
  ["reporter", "errors", "the typed error tree is used by every layer"],
  ["util", "reporter", "util/cleanup.ts warns through the Reporter interface (a type-only import)"],
];

/** Outside packages/core: the areas whose files must import core only through an index.ts. */
export const OUTSIDE_ROOTS = ["packages/cli/", "actions/", "bench/"];
const CORE = "packages/core/src/";

/** Area of a repository-relative file path, or undefined for files outside the checked tree. */
export function areaOf(file) {
  if (file.startsWith(CORE)) {
    const rest = file.slice(CORE.length);
    if (rest === "index.ts") return "core-index";
    const slash = rest.indexOf("/");
    return slash < 0 ? rest.replace(/\.ts$/, "") : rest.slice(0, slash);
  }
  if (file.startsWith("packages/cli/")) return "cli";
  if (file.startsWith("actions/")) return "actions";
  if (file.startsWith("bench/")) return "bench";
  return undefined;
}

/** Line index (0 = top) of an area, or undefined when the table does not list it. */
export function layerOf(area, layers = LAYERS) {
  const i = layers.findIndex((line) => line.includes(area));
  return i < 0 ? undefined : i;
}

const loc = (e) => `${e.from}:${e.line}`;

/** Strongly connected components of a directed graph given as Map<node, Set<node>> (Tarjan). */
export function stronglyConnected(adj) {
  let index = 0;
  const idx = new Map(),
    low = new Map(),
    onStack = new Set(),
    stack = [],
    out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of adj.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      out.push(comp.sort());
    }
  };
  for (const v of [...adj.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** Elementary cycles of a small graph (areas: ~20 nodes), each rotated to start at its least node. */
export function elementaryCycles(adj, limit = 200) {
  const nodes = [...adj.keys()].sort();
  const cycles = [];
  for (const start of nodes) {
    // Only cycles whose least node is `start`: each cycle is found once.
    const walk = (v, pathNodes, seen) => {
      for (const w of [...(adj.get(v) ?? [])].sort()) {
        if (cycles.length >= limit) return;
        if (w === start) cycles.push([...pathNodes]);
        else if (w > start && !seen.has(w)) {
          seen.add(w);
          pathNodes.push(w);
          walk(w, pathNodes, seen);
          pathNodes.pop();
          seen.delete(w);
        }
      }
    };
    walk(start, [start], new Set([start]));
  }
  return cycles;
}

/**
 * Check a graph. `edges`: [{from, to, line, kind}] with repository-relative paths (kind is esbuild's
 * import kind or "type"). Returns violations [{key, rule, message, chain?}], sorted by key.
 */
export function checkGraph(edges, { layers = LAYERS, sameLineAllowed = SAME_LINE_ALLOWED } = {}) {
  const violations = [];
  const allowed = new Set(sameLineAllowed.map(([a, b]) => `${a}>${b}`));
  // (a) area cycles inside packages/core/src.
  const areaAdj = new Map();
  const sample = new Map(); // "a>b" → first edge (sorted, so the report is stable)
  for (const e of [...edges].sort((x, y) => loc(x).localeCompare(loc(y)) || x.to.localeCompare(y.to))) {
    if (!e.from.startsWith(CORE) || !e.to.startsWith(CORE)) continue;
    const a = areaOf(e.from),
      b = areaOf(e.to);
    if (a === b) continue;
    if (!areaAdj.has(a)) areaAdj.set(a, new Set());
    if (!areaAdj.has(b)) areaAdj.set(b, new Set());
    areaAdj.get(a).add(b);
    if (!sample.has(`${a}>${b}`)) sample.set(`${a}>${b}`, e);
  }
  for (const comp of stronglyConnected(areaAdj)) {
    if (comp.length < 2) continue;
    const members = new Set(comp);
    const sub = new Map(comp.map((v) => [v, new Set([...areaAdj.get(v)].filter((w) => members.has(w)))]));
    for (const cycle of elementaryCycles(sub)) {
      const chain = cycle.map((a, i) => {
        const e = sample.get(`${a}>${cycle[(i + 1) % cycle.length]}`);
        return `${loc(e)} → ${e.to}`;
      });
      violations.push({
        key: `cycle:${[...cycle, cycle[0]].join(">")}`,
        rule: "cycle",
        message: `import cycle between areas ${[...cycle, cycle[0]].join(" → ")}`,
        chain,
      });
    }
  }
  // (b) layer order and (c) public surface, per import.
  for (const e of edges) {
    const a = areaOf(e.from),
      b = areaOf(e.to);
    if (a === undefined || b === undefined || a === b) continue;
    const outside = OUTSIDE_ROOTS.some((r) => e.from.startsWith(r));
    if (outside && e.to.startsWith(CORE)) {
      const rest = e.to.slice(CORE.length);
      const isIndex = rest === "index.ts" || /^[^/]+\/index\.ts$/.test(rest) || !rest.includes("/");
      if (!isIndex) {
        violations.push({
          key: `surface:${e.from}->${e.to}`,
          rule: "surface",
          message: `${loc(e)} imports ${e.to}, not an area index.ts${e.kind === "type" ? " (type-only)" : ""}`,
        });
      }
      continue;
    }
    if (outside) continue; // cli ↔ actions ↔ bench are not layered against each other here
    const la = layerOf(a, layers),
      lb = layerOf(b, layers);
    if (la === undefined || lb === undefined) {
      violations.push({
        key: `unknown-area:${la === undefined ? a : b}`,
        rule: "layer",
        message: `area "${la === undefined ? a : b}" is not in the LAYERS table (${loc(e)})`,
      });
      continue;
    }
    if (lb < la || (lb === la && !allowed.has(`${a}>${b}`))) {
      violations.push({
        key: `layer:${e.from}->${e.to}`,
        rule: "layer",
        message: `${loc(e)} (${a}) imports ${e.to} (${b}): ${lb < la ? "climbs the layer order" : "peer on the same layer line"}${e.kind === "type" ? " (type-only)" : ""}`,
      });
    }
  }
  const byKey = new Map();
  for (const v of violations) if (!byKey.has(v.key)) byKey.set(v.key, v);
  return [...byKey.values()].sort((x, y) => x.key.localeCompare(y.key));
}

/** Split violations against a baseline of keys: new ones fail, allowed ones pass, missing keys are fixed. */
export function applyBaseline(violations, baselineKeys) {
  const base = new Set(baselineKeys);
  const seen = new Set(violations.map((v) => v.key));
  return {
    failing: violations.filter((v) => !base.has(v.key)),
    allowed: violations.filter((v) => base.has(v.key)),
    fixed: [...base].filter((k) => !seen.has(k)).sort(),
  };
}

/** Baseline file text → keys (blank lines and # comments ignored). */
export function parseBaseline(text) {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter(Boolean);
}

/** Type-only import/export statements of a source text: [{specifier, line}]. */
export function typeOnlyImports(text) {
  return importStatements(text).filter((s) => s.typeOnly);
}

/** Static import/export-from statements of a source text: [{specifier, line, typeOnly}]. */
export function importStatements(text) {
  const out = [];
  const lineAt = (i) => text.slice(0, i).split("\n").length;
  const stmt = /^[ \t]*(import|export)\s+(type\s+)?([^;"'`]*?)\s*from\s*["']([^"']+)["']/gm;
  for (const m of text.matchAll(stmt)) {
    const braces = /^\{([^}]*)\}$/.exec(m[3].trim());
    const inlineTypes =
      braces?.[1]
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
        .every((s) => /^type\s/.test(s)) ?? false;
    out.push({ specifier: m[4], line: lineAt(m.index + m[0].length - m[4].length), typeOnly: Boolean(m[2]) || inlineTypes });
  }
  for (const m of text.matchAll(/^[ \t]*import\s*["']([^"']+)["']/gm)) out.push({ specifier: m[1], line: lineAt(m.index), typeOnly: false });
  return out;
}

/** Resolve a relative specifier from a repository-relative file to a repository-relative .ts file. */
function resolveRelative(root, fromFile, spec) {
  if (!spec.startsWith(".")) return undefined;
  const base = path.join(path.dirname(fromFile), spec);
  const candidates = [base.replace(/\.js$/, ".ts"), base.replace(/\.mjs$/, ".mts"), base, `${base}.ts`, path.join(base, "index.ts")];
  const hit = candidates.find((c) => fs.existsSync(path.join(root, c)) && fs.statSync(path.join(root, c)).isFile());
  return hit?.split(path.sep).join("/");
}

const listTs = (root, dir) =>
  fs.existsSync(path.join(root, dir))
    ? fs
        .readdirSync(path.join(root, dir), { recursive: true })
        .map((f) => path.join(dir, String(f)).split(path.sep).join("/"))
        .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    : [];

/** Entry points: every bundle entry, bench scripts, and every core file (so dead files are checked too). */
export function entryPoints(root) {
  const glob1 = (dir, re) =>
    fs.existsSync(path.join(root, dir))
      ? fs
          .readdirSync(path.join(root, dir))
          .filter((f) => re.test(f))
          .map((f) => `${dir}/${f}`)
      : [];
  const actions = fs.readdirSync(path.join(root, "actions")).flatMap((a) => glob1(`actions/${a}/src`, /\.ts$/));
  return [
    "packages/core/src/index.ts",
    "packages/cli/src/index.ts",
    "packages/cli/src/clone-main.ts",
    ...actions,
    ...glob1("actions/shared", /\.ts$/),
    ...glob1("bench", /\.ts$/),
    ...listTs(root, "packages/core/src"),
  ].filter((f, i, all) => all.indexOf(f) === i && fs.existsSync(path.join(root, f)));
}

/** Build the import graph of our own files: esbuild's metafile plus the type-only pass. */
export async function collectGraph(root) {
  const entries = entryPoints(root);
  const result = await build({
    absWorkingDir: root,
    entryPoints: entries,
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    format: "esm",
    packages: "external",
    outdir: "/dev/null/out",
    logLevel: "silent",
  });
  const ours = (p) => !p.startsWith("node_modules/") && !p.includes(":") && /\.(ts|mts|js|mjs)$/.test(p);
  const edges = [];
  const texts = new Map();
  const textOf = (f) => {
    if (!texts.has(f)) texts.set(f, fs.readFileSync(path.join(root, f), "utf8"));
    return texts.get(f);
  };
  // The line of an import: find the statement quoting its original specifier.
  const lineOf = (file, original) => {
    const lines = textOf(file).split("\n");
    const i = lines.findIndex((l) => l.includes(`"${original}"`) || l.includes(`'${original}'`));
    return i + 1;
  };
  const inMeta = new Set();
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    if (!ours(file)) continue;
    inMeta.add(file);
    for (const imp of input.imports) {
      if (imp.external || !ours(imp.path)) continue;
      edges.push({ from: file, to: imp.path, line: lineOf(file, imp.original ?? ""), kind: imp.kind });
    }
  }
  // Type-only imports (and every import of files reached only through one).
  const queue = [...inMeta];
  const done = new Set();
  while (queue.length) {
    const file = queue.shift();
    if (done.has(file)) continue;
    done.add(file);
    const stmts = importStatements(textOf(file)).filter((s) => s.typeOnly || !inMeta.has(file));
    for (const s of stmts) {
      const to = resolveRelative(root, file, s.specifier);
      if (!to) continue;
      edges.push({ from: file, to, line: s.line, kind: s.typeOnly ? "type" : "import-statement" });
      if (!done.has(to)) queue.push(to);
    }
  }
  return { edges, files: done.size };
}

/** File-level import cycles in packages/core/src (informational: rule (a) is about areas). */
export function fileCycles(edges) {
  const adj = new Map();
  for (const e of edges) {
    if (!e.from.startsWith(CORE) || !e.to.startsWith(CORE)) continue;
    if (!adj.has(e.from)) adj.set(e.from, new Set());
    if (!adj.has(e.to)) adj.set(e.to, new Set());
    adj.get(e.from).add(e.to);
  }
  return stronglyConnected(adj).filter((c) => c.length > 1);
}

function report({ failing, allowed, fixed }, cycles, files) {
  const lines = [
    `check-deps: ${files} files, ${failing.length} violation(s)${allowed.length ? `, ${allowed.length} allowed by baseline` : ""}${fixed.length ? `, ${fixed.length} fixed` : ""}`,
  ];
  const section = (title, list) => {
    if (!list.length) return;
    lines.push("", `${title}:`);
    for (const v of list) {
      lines.push(`  [${v.rule}] ${v.message}`);
      for (const c of v.chain ?? []) lines.push(`      ${c}`);
      lines.push(`      key: ${v.key}`);
    }
  };
  section("Violations", failing);
  section("Allowed by baseline", allowed);
  if (fixed.length) lines.push("", "Fixed (remove from the baseline):", ...fixed.map((k) => `  ${k}`));
  if (cycles.length) lines.push("", "File-level cycles inside core (info):", ...cycles.map((c) => `  ${c.join(" ↔ ")}`));
  return lines.join("\n");
}

async function main(argv) {
  const ri = argv.indexOf("--root"); // another checkout (e.g. to compare branches); default: this one
  const root = ri >= 0 ? path.resolve(argv[ri + 1] ?? ".") : path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const json = argv.includes("--json");
  const ai = argv.indexOf("--allow-file");
  let baseline = [];
  if (ai >= 0) {
    const file = argv[ai + 1];
    if (!file) throw new Error("--allow-file needs a path to a baseline file (one violation key per line)");
    baseline = parseBaseline(fs.readFileSync(path.resolve(file), "utf8"));
  }
  const { edges, files } = await collectGraph(root);
  const split = applyBaseline(checkGraph(edges), baseline);
  const cycles = fileCycles(edges);
  if (argv.includes("--print-keys")) process.stdout.write(split.failing.map((v) => `${v.key}\n`).join(""));
  else if (json) process.stdout.write(`${JSON.stringify({ files, ...split, fileCycles: cycles }, null, 2)}\n`);
  else process.stdout.write(`${report(split, cycles, files)}\n`);
  return split.failing.length ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`check-deps: ${err.message}`);
      process.exitCode = 2;
    },
  );
}
