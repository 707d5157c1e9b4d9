// README.md is the user's first stop: its set-up commands and action tables must stay true.
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { renderReadme } from "../../../scripts/readme-actions.mjs";

const readme = fs.readFileSync("README.md", "utf8");

describe("README.md", () => {
  it("shows the two set-up commands, and package.json defines them", () => {
    expect(readme).toContain("npm ci && npm run demo");
    expect(readme).toContain("npm test");
    const scripts = JSON.parse(fs.readFileSync("package.json", "utf8")).scripts;
    expect(scripts.demo).toBeTruthy();
    expect(scripts.test).toBeTruthy();
  });

  it("documents every action input and output exactly as action.yml does (run node scripts/readme-actions.mjs)", () => {
    expect(renderReadme(readme)).toBe(readme);
  });

  it("is what .ci/run tests: it calls README's test command", () => {
    expect(fs.readFileSync(".ci/run", "utf8")).toMatch(/^npm test$/m);
  });
});
