// What the Marketplace and the runner read from each action.yml: a short description, branding,
// and the node24 runner requirement stated where users look (action.yml, README, docs).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { MIN_RUNNER_VERSION } from "../../../scripts/readme-actions.mjs";

const repoRoot = path.resolve(import.meta.dirname, "../../..");
const actions = ["build-image", "clone-db", "teardown"];
// The Feather icons and colours GitHub's Marketplace accepts for branding (a subset is enough here).
const COLORS = ["white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"];

describe.each(actions)("actions/%s/action.yml", (name) => {
  const text = fs.readFileSync(path.join(repoRoot, "actions", name, "action.yml"), "utf8");
  const action = YAML.parse(text);

  it("has a description of at most 125 characters (the Marketplace limit)", () => {
    expect(action.description.length).toBeLessThanOrEqual(125);
  });

  it("has branding with an icon and a Marketplace colour", () => {
    expect(action.branding.icon).toMatch(/^[a-z0-9-]+$/);
    expect(COLORS).toContain(action.branding.color);
  });

  it("states the runner version node24 needs", () => {
    expect(action.runs.using).toBe("node24");
    expect(text).toContain(`runner ${MIN_RUNNER_VERSION} or newer`);
  });
});

it("README and docs/versioning.md state the runner requirement", () => {
  for (const file of ["README.md", "docs/versioning.md"]) {
    expect(fs.readFileSync(path.join(repoRoot, file), "utf8")).toMatch(new RegExp(`runner ${MIN_RUNNER_VERSION.replace(/\./g, "\\.")} or newer`));
  }
});
