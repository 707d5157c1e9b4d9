// The one containment check behind gc's, teardown's and the stray-server scan's scope and an
// image's link check: lexical, after resolving both paths.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isWithin } from "../../../packages/core/src/util/within.js";

describe("isWithin", () => {
  it("holds for the directory itself and what lies below it", () => {
    expect(isWithin("/a/b", "/a/b")).toBe(true);
    expect(isWithin("/a/b/", "/a/b")).toBe(true);
    expect(isWithin("/a/b/c/d", "/a/b")).toBe(true);
    expect(isWithin("/a/b/..x", "/a/b")).toBe(true);
  });

  it("fails for a sibling sharing the prefix, a parent, and a way out through ..", () => {
    expect(isWithin("/a/bc", "/a/b")).toBe(false);
    expect(isWithin("/a", "/a/b")).toBe(false);
    expect(isWithin("/a/b/../c", "/a/b")).toBe(false);
    expect(isWithin("/a/b/c/../../c", "/a/b")).toBe(false);
    expect(isWithin("/", "/a/b")).toBe(false);
  });

  it("resolves relative paths against the working directory", () => {
    expect(isWithin("x/y", process.cwd())).toBe(true);
    expect(isWithin("..", process.cwd())).toBe(path.resolve("..") === process.cwd());
  });
});
