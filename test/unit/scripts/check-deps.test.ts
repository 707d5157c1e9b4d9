// The dependency gate's rules, run on small synthetic graphs (no esbuild, no files, no processes).
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { applyBaseline, areaOf, checkGraph, fileCycles, importStatements, LAYERS, parseBaseline, type Edge } from "../../../scripts/check-deps.mjs";

const core = (p: string) => `packages/core/src/${p}`;
const edge = (from: string, to: string, line = 1, kind = "import-statement"): Edge => ({ from, to, line, kind });

// A small well-layered graph: cli → clones index → build → engine → disk → runtime → util → errors.
const clean: Edge[] = [
  edge("packages/cli/src/commands/clone.ts", core("clones/index.ts"), 3),
  edge("actions/clone-db/src/main.ts", core("errors.ts"), 2),
  edge("bench/clone.ts", core("index.ts"), 4),
  edge(core("clones/index.ts"), core("clones/session.ts")),
  edge(core("clones/session.ts"), core("clones/record.ts")), // within an area: always fine
  edge(core("clones/record.ts"), core("clones/session.ts"), 2, "type"),
  edge(core("clones/session.ts"), core("platform/registry.ts")),
  edge(core("platform/registry.ts"), core("engine/postgres/engine.ts")),
  edge(core("engine/postgres/engine.ts"), core("masking/plan.ts")),
  edge(core("engine/postgres/engine.ts"), core("disk/qcow2.ts")),
  edge(core("disk/qcow2.ts"), core("runtime/exec.ts")), // same line, allowed by the table
  edge(core("runtime/exec.ts"), core("util/cleanup.ts")),
  edge(core("util/cleanup.ts"), core("errors.ts")),
];

describe("check-deps rules", () => {
  it("passes a clean, layered graph", () => {
    expect(checkGraph(clean)).toEqual([]);
  });

  it("fails a planted cycle between areas and names one import per step with file:line", () => {
    const planted = [...clean, edge(core("errors.ts"), core("clones/record.ts"), 42, "type")];
    const cycles = checkGraph(planted).filter((v) => v.rule === "cycle");
    expect(cycles.length).toBeGreaterThan(0);
    const viaErrors = cycles.find((v) => v.key === "cycle:clones>platform>engine>disk>runtime>util>errors>clones");
    expect(viaErrors?.chain).toContain(`${core("errors.ts")}:42 → ${core("clones/record.ts")}`);
    expect(viaErrors?.chain?.length).toBe(7);
  });

  it("fails an import that climbs the layer order, type-only included", () => {
    const climbing = [...clean, edge(core("masking/plan.ts"), core("engine/types.ts"), 7, "type")];
    const v = checkGraph(climbing);
    expect(v.map((x) => x.key)).toContain(`layer:${core("masking/plan.ts")}->${core("engine/types.ts")}`);
    expect(v.find((x) => x.rule === "layer")?.message).toMatch(/masking\/plan\.ts:7 .*climbs.*type-only/);
  });

  it("fails an import between peers of one layer line unless the table allows it", () => {
    const peers = [...clean, edge(core("clones/gc.ts"), core("build/platform.ts"), 5)];
    expect(checkGraph(peers).map((x) => x.key)).toEqual([`layer:${core("clones/gc.ts")}->${core("build/platform.ts")}`]);
  });

  it("fails a non-index core import from the CLI, actions or bench", () => {
    const leaky = [
      ...clean,
      edge("packages/cli/src/context.ts", core("clones/registry.ts"), 5),
      edge("actions/shared/github.ts", core("repository/types.ts"), 7, "type"),
      edge("bench/oci.ts", core("repository/oci/index.ts"), 12), // a sub-area index is not the area's index
    ];
    expect(checkGraph(leaky).map((x) => x.key)).toEqual([
      `surface:actions/shared/github.ts->${core("repository/types.ts")}`,
      `surface:bench/oci.ts->${core("repository/oci/index.ts")}`,
      `surface:packages/cli/src/context.ts->${core("clones/registry.ts")}`,
    ]);
  });

  it("reports an area missing from the layer table instead of letting it through", () => {
    const v = checkGraph([edge(core("newthing/a.ts"), core("util/paths.ts"))]);
    expect(v.map((x) => x.key)).toEqual(["unknown-area:newthing"]);
  });

  it("maps files to areas: first directory, top-level files are their own area", () => {
    expect(areaOf(core("engine/postgres/probe.ts"))).toBe("engine");
    expect(areaOf(core("errors.ts"))).toBe("errors");
    expect(areaOf(core("index.ts"))).toBe("core-index");
    expect(areaOf("actions/shared/inputs.ts")).toBe("actions");
    expect(areaOf("test/unit/x.test.ts")).toBeUndefined();
  });

  it("splits violations against a baseline: new ones fail, known ones pass, vanished ones are fixed", () => {
    const planted = [...clean, edge(core("util/time.ts"), core("image/manifest.ts")), edge("packages/cli/src/a.ts", core("util/paths.ts"))];
    const violations = checkGraph(planted);
    const known = `layer:${core("util/time.ts")}->${core("image/manifest.ts")}`;
    const baseline = parseBaseline(`# known before the refactor\n${known}\n\ncycle:gone>away>gone  # fixed already\n`);
    const split = applyBaseline(violations, baseline);
    expect(split.allowed.map((v) => v.key)).toEqual([known]);
    expect(split.failing.map((v) => v.key)).toEqual([`surface:packages/cli/src/a.ts->${core("util/paths.ts")}`]);
    expect(split.fixed).toEqual(["cycle:gone>away>gone"]);
  });

  it("finds type-only imports esbuild drops: import type, export type, inline types, multi-line", () => {
    const text = [
      'import fs from "node:fs";',
      'import type { A } from "./a.js";',
      "import {",
      "  type B,",
      "  type C,",
      '} from "./bc.js";',
      'import { d, type D } from "./d.js";',
      'export type { E } from "./e.js";',
      '// import type { F } from "./f.js";',
    ].join("\n");
    const found = importStatements(text).map((s) => [s.specifier, s.line, s.typeOnly]);
    expect(found).toEqual([
      ["node:fs", 1, false],
      ["./a.js", 2, true],
      ["./bc.js", 6, true],
      ["./d.js", 7, false],
      ["./e.js", 8, true],
    ]);
  });

  it("lists file-level cycles inside core for information", () => {
    const edges = [edge(core("engine/postgres/a.ts"), core("engine/postgres/b.ts")), edge(core("engine/postgres/b.ts"), core("engine/postgres/a.ts"))];
    expect(fileCycles(edges)).toEqual([[core("engine/postgres/a.ts"), core("engine/postgres/b.ts")]]);
  });
});

describe("the layer table", () => {
  it("is the layer line of docs/dev/layers.md, line by line", () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, "../../../docs/dev/layers.md"), "utf8");
    const line = /```layers\n(.+)\n```/.exec(doc)?.[1];
    expect(line, "docs/dev/layers.md has a ```layers block").toBeDefined();
    const documented = line!.split("→").map((group) => group.split(",").map((area) => area.trim()));
    expect(documented).toEqual(LAYERS);
  });
});
