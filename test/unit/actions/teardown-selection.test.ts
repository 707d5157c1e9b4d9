import { afterEach, describe, expect, it, vi } from "vitest";
import { savedStateSource, selectionFromInputs } from "../../../actions/shared/teardown-sources.js";

describe("teardown action: which clones", () => {
  it("chooses by clone id or by name", () => {
    expect(selectionFromInputs({ id: "c-1" })).toEqual({ id: "c-1" });
    expect(selectionFromInputs({ name: "shop-main" })).toEqual({ name: "shop-main" });
  });

  it("combines branch, pr (with or without #) and labels into one label match", () => {
    expect(selectionFromInputs({ branch: "feature-x", pr: "#42", labels: "team=data" })).toEqual({
      labels: { team: "data", branch: "feature-x", pr: "42" },
    });
  });

  it("refuses to guess when nothing is given, naming every input it could take", () => {
    expect(() => selectionFromInputs({})).toThrowError(/'clone-id', 'name', 'branch', 'pr' or 'labels'/);
  });

  it("refuses two ways of choosing at once", () => {
    expect(() => selectionFromInputs({ id: "c-1", pr: "42" })).toThrowError(/clone-id and branch\/pr\/labels both given/);
  });
});

describe("clone-db post step: the saved clone", () => {
  afterEach(() => {
    delete process.env["STATE_clone-id"];
    delete process.env.STATE_keep;
    vi.restoreAllMocks();
  });
  const quiet = () => vi.spyOn(process.stdout, "write").mockImplementation(() => true);

  it("tears down the clone id the main step saved", () => {
    quiet();
    process.env["STATE_clone-id"] = "c-7";
    process.env.STATE_keep = "false";
    expect(savedStateSource.selection()).toEqual({ id: "c-7" });
  });

  it("does nothing when keep was true or no clone was made", () => {
    quiet();
    process.env.STATE_keep = "true";
    expect(savedStateSource.selection()).toBeUndefined();
    process.env["STATE_clone-id"] = "c-7";
    expect(savedStateSource.selection()).toBeUndefined();
    process.env.STATE_keep = "false";
    delete process.env["STATE_clone-id"];
    expect(savedStateSource.selection()).toBeUndefined();
  });
});
