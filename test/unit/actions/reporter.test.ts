import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { actionsReporter } from "../../../actions/shared/reporter.js";

let lines: string[];
beforeEach(() => {
  lines = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split(/\r?\n/).filter(Boolean));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("actionsReporter", () => {
  it("writes info as plain lines, debug and warn as workflow commands", () => {
    const r = actionsReporter();
    r.info("restoring");
    r.debug("argv: qemu-img create");
    r.warn("column email looks like PII");
    expect(lines).toEqual(["restoring", "::debug::argv: qemu-img create", "::warning::column email looks like PII"]);
  });

  it("registers secrets with ::add-mask:: and ignores empty ones", () => {
    const r = actionsReporter();
    r.secret("s3cr3t");
    r.secret("");
    expect(lines).toEqual(["::add-mask::s3cr3t"]);
  });

  it("prints progress at most once per interval, with a percentage, and a final line", () => {
    let t = 0;
    const r = actionsReporter({ now: () => t, intervalMs: 10_000 });
    const p = r.progress("copying disk", 200);
    t = 1000;
    p.update(10);
    t = 10_500;
    p.update(100);
    t = 12_000;
    p.update(150);
    t = 21_000;
    p.finish("200 bytes");
    expect(lines).toEqual(["copying disk…", "copying disk: 100 of 200 (50%) (11 s)", "copying disk: 200 bytes in 21.0 s"]);
  });
});
