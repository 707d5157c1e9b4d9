import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildInfo, defaultCloneLabels, gitInfo } from "../../../actions/shared/github-context.js";

const tmpDirs: string[] = [];
afterEach(() => {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function eventFile(payload: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-event-"));
  tmpDirs.push(dir);
  const file = path.join(dir, "event.json");
  fs.writeFileSync(file, JSON.stringify(payload));
  return file;
}

describe("run context", () => {
  it("labels a pull_request run with the head branch, the PR number and the run id", () => {
    const env = {
      GITHUB_HEAD_REF: "feature-x",
      GITHUB_REF_NAME: "42/merge",
      GITHUB_RUN_ID: "991",
      GITHUB_EVENT_PATH: eventFile({ number: 42, pull_request: { number: 42 } }),
    };
    expect(defaultCloneLabels(env)).toEqual({ branch: "feature-x", pr: "42", run: "991" });
  });

  it("labels a push run with the ref name and no pr", () => {
    const env = { GITHUB_HEAD_REF: "", GITHUB_REF_NAME: "main", GITHUB_RUN_ID: "5", GITHUB_EVENT_PATH: eventFile({ ref: "refs/heads/main" }) };
    expect(defaultCloneLabels(env)).toEqual({ branch: "main", run: "5" });
  });

  it("survives a missing or unreadable event file", () => {
    expect(defaultCloneLabels({ GITHUB_EVENT_PATH: "/nonexistent/event.json", GITHUB_RUN_ID: "1" })).toEqual({ run: "1" });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-event-"));
    tmpDirs.push(dir);
    fs.writeFileSync(path.join(dir, "e.json"), "{not json");
    expect(defaultCloneLabels({ GITHUB_EVENT_PATH: path.join(dir, "e.json") })).toEqual({});
  });

  it("builds git and build info for the manifest from the runner's variables", () => {
    const env = {
      GITHUB_REPOSITORY: "acme/shop",
      GITHUB_SHA: "abc123",
      GITHUB_REF: "refs/heads/main",
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_RUN_ID: "77",
      GITHUB_ACTOR: "octocat",
    };
    expect(gitInfo(env)).toEqual({ repository: "acme/shop", commit: "abc123", ref: "refs/heads/main" });
    expect(buildInfo(env)).toEqual({ runUrl: "https://github.com/acme/shop/actions/runs/77", actor: "octocat" });
    expect(buildInfo({})).toEqual({});
  });
});
