// The masking step of a build (masking/build-step.ts maskForBuild, guardUnmaskedBuild) against an
// engine's side of masking held in memory (fake-masking-target.ts): the accidents that must stop a
// build before anything is published, and what the step hands on to the leak scan.
import { describe, expect, it } from "vitest";
import { guardUnmaskedBuild, maskForBuild, policyDigest, skippedLeakScan, type MaskingOptions } from "../../../packages/core/src/masking/build-step.js";
import { NothingToScanError, UnmaskedPiiError, UnmaskedPublishError } from "../../../packages/core/src/masking/errors.js";
import { parsePolicy } from "../../../packages/core/src/masking/index.js";
import type { PiiCandidate } from "../../../packages/core/src/masking/pii/detect.js";
import { silentReporter, type Reporter } from "../../../packages/core/src/reporter.js";
import { FakeMaskingTarget, type FakeTable } from "./fake-masking-target.js";

const EMAILS = ["mellie.kozey@example.org", "ann.lee@example.org"];
function shop(extra: FakeTable[] = []): FakeTable[] {
  return [
    {
      schema: "public",
      name: "customers",
      columns: { id: "integer", email: "text", name: "text", note: "text", code: "text" },
      rows: EMAILS.map((email, i) => ({ id: String(i + 1), email, name: i ? "Annabel Lee" : "Mellie Kozey", note: "prefers mornings", code: `A${i}` })),
    },
    { schema: "public", name: "sessions", columns: { token: "text" }, rows: [{ token: "tok-4f9a2c81" }] },
    { schema: "public", name: "audit_log", columns: { who: "text" }, rows: [{ who: "nightly-job" }] },
    ...extra,
  ];
}
const CUSTOMERS = "databases:\n  shop:\n    tables:\n      customers:\n        columns: { email: email, name: fullName }\n";
const pii = (table: string, column: string): PiiCandidate => ({
  database: "shop",
  schema: "public",
  table,
  column,
  type: "text",
  kinds: ["email"],
  reasons: ["2 of 2 sampled values look like email"],
});

/** A reporter that keeps what it was told, by level. */
function recording(): Reporter & { said: string[] } {
  const said: string[] = [];
  return { ...silentReporter, said, info: (m: string) => said.push(`info ${m}`), warn: (m: string) => said.push(`warn ${m}`) };
}

function step(yaml: string, target = new FakeMaskingTarget("shop", shop()), over: Partial<MaskingOptions> = {}, reporter = recording()) {
  const opts: MaskingOptions = { policy: parsePolicy(yaml, "dbclone.yml"), key: { bytes: Buffer.alloc(32, 7), insecure: false }, ...over };
  return { target, reporter, result: maskForBuild(target, target.databases(), opts, reporter) };
}

describe("maskForBuild: personal data the policy leaves unmasked", () => {
  it("stops the build by default (onUnmaskedPii: fail), naming the column and why, before anything is masked", async () => {
    const { target, result } = step(CUSTOMERS);
    target.pii = [pii("customers", "note")];
    const e = await result.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnmaskedPiiError);
    expect((e as Error).message).toBe(
      "unmasked columns look like personal data: shop.public.customers.note (2 of 2 sampled values look like email). " +
        "Mask them in the policy, declare them under the table's notPersonal with a reason, or set onUnmaskedPii: warn.",
    );
    expect(target.calls).not.toContain("mask");
  });

  it("with onUnmaskedPii: warn, warns with the same list and masks", async () => {
    const { target, reporter, result } = step(`onUnmaskedPii: warn\n${CUSTOMERS}`);
    target.pii = [pii("customers", "note"), pii("customers", "code")];
    const r = await result;
    expect(r.piiCandidates.map((c) => c.column)).toEqual(["note", "code"]);
    expect(reporter.said).toContain(
      "warn Unmasked columns look like personal data: shop.public.customers.note (2 of 2 sampled values look like email), shop.public.customers.code (2 of 2 sampled values look like email)",
    );
    expect(target.calls).toContain("mask");
  });

  it("a column declared notPersonal with a reason is not reported", async () => {
    const { target, result } = step(`${CUSTOMERS}        notPersonal: { note: delivery preferences }\n`);
    target.pii = [pii("customers", "note")];
    expect((await result).piiCandidates).toEqual([]);
  });

  it("an excluded or truncated table is not scanned for unmasked personal data (nothing of it is published)", async () => {
    const { target, result } = step(`${CUSTOMERS}    truncate: [sessions]\n    exclude: [audit_log]\n`);
    target.pii = [pii("audit_log", "who"), pii("sessions", "token")];
    expect((await result).piiCandidates).toEqual([]);
    expect(target.calls.find((c) => c.startsWith("scanUnmaskedPii"))).toBe("scanUnmaskedPii shop.public.customers");
  });
});

describe("maskForBuild: the policy's SQL against the restored schema", () => {
  it("a where clause the engine cannot plan stops the build at the policy's line, before anything is masked", async () => {
    const { target, result } = step(
      `databases:\n  shop:\n    tables:\n      customers:\n        where: "country <> 'Internal'"\n        columns: { email: email }\n`,
    );
    target.complaint = 'column "country" does not exist';
    await expect(result).rejects.toThrow(/the where of public\.customers does not work on the restored schema: column "country" does not exist/);
    expect(target.calls).toContain("explainSql where customers");
    expect(target.calls).not.toContain("mask");
  });

  it("every reason a column looks personal is named", async () => {
    const { target, result } = step(CUSTOMERS);
    target.pii = [{ ...pii("customers", "note"), reasons: ["its name", "2 of 2 sampled values look like email"] }];
    await expect(result).rejects.toThrow("shop.public.customers.note (its name; 2 of 2 sampled values look like email)");
  });
});

describe("maskForBuild: masking and what it hands on to the leak scan", () => {
  it("masks with the build's preview, jobs and originals budget, and says which key and variant", async () => {
    const preview = { database: "shop", schema: "public", table: "customers" };
    const variant = `${CUSTOMERS}variants:\n  contractor: {}\n`;
    const a = step(variant, undefined, {
      preview,
      jobs: 3,
      originalsBudget: 1 << 20,
      variant: "contractor",
      key: { bytes: Buffer.alloc(32, 1), insecure: true },
    });
    await a.result;
    expect(a.target.maskOptions).toEqual({ preview, jobs: 3, originalsBudget: 1 << 20 });
    expect(a.reporter.said).toContain("info Masking 2 column(s) with a throw-away key for variant contractor");
    const b = step(CUSTOMERS);
    await b.result;
    expect(b.reporter.said).toContain("info Masking 2 column(s)");
  });

  it("leakScan mode none: no scan is prepared, the originals go at once, and the warning gives the reason", async () => {
    const { target, reporter, result } = step(`leakScan: { mode: none, reason: synthetic data only }\n${CUSTOMERS}`);
    const r = await result;
    expect(r.leak).toBeUndefined();
    expect(r.leakUnprepared).toBeUndefined();
    expect(target.disposed).toBe(1);
    expect(target.calls).not.toContain("readPublished");
    expect(reporter.said).toContain("warn Leak scan skipped by the policy: synthetic data only");
    expect(skippedLeakScan(r.resolved, r.run)).toMatchObject({
      mode: "none",
      reason: "synthetic data only",
      valuesSearched: 0,
      probes: 0,
      seconds: 0,
      mbPerSecond: 0,
      copies: [],
      copiesFailed: 0,
    });
  });

  it("a policy that masks no value long enough to search stops the build: nothing would prove the image clean", async () => {
    const { target, result } = step("databases:\n  shop:\n    tables:\n      customers:\n        columns: { code: text }\n");
    const e = await result.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NothingToScanError);
    expect((e as Error).message).toMatch(/no original value to search for .*leakScan: \{ mode: none, reason: "…" \}\.$/);
    expect(target.disposed).toBe(1);
  });

  it("an engine that cannot read its published data back leaves the whole disk to the scan (leakUnprepared), keeping the originals", async () => {
    const target = new FakeMaskingTarget("shop", shop(), { canReadPublished: false });
    const r = await step(CUSTOMERS, target).result;
    expect(r.leakUnprepared).toBe(true);
    expect(r.leak).toBeUndefined();
    expect(target.disposed).toBe(0);
    expect(r.run.originals.searched).toBe(4);
  });

  it("a prepared scan holds the published data's figures and the originals", async () => {
    const { target, reporter, result } = step(CUSTOMERS);
    const r = await result;
    expect(r.leak?.originals).toBe(r.run.originals);
    expect(r.leak?.publishedValuesRead).toBe(12); // 2 rows × 5 customer columns, a session, an audit row
    expect(r.leak?.copies).toEqual([]);
    expect(target.disposed).toBe(0);
    // One batch of originals, no copies: nothing more to say.
    expect(reporter.said.filter((m) => m.startsWith("info Leak scan"))).toEqual([]);
  });
});

describe("guardUnmaskedBuild: a build without a policy", () => {
  it("personal data stops it unless publishing it unmasked is intended, with a reason (recorded)", async () => {
    const target = new FakeMaskingTarget("shop", shop());
    target.pii = [pii("customers", "email")];
    const e = await guardUnmaskedBuild(target, target.databases(), undefined, silentReporter).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnmaskedPublishError);
    expect((e as Error).message).toContain('say so with --unmasked "<reason>" (action input unmasked: true and unmasked-reason)');
    expect(target.lastPiiRules).toEqual([]); // every column is scanned
    expect((e as Error).message).toMatch(
      /^this build has no masking policy and these columns look like personal data: shop\.public\.customers\.email \(2 of 2/,
    );
    const reporter = recording();
    const ok = await guardUnmaskedBuild(target, target.databases(), { reason: "synthetic fixtures" }, reporter);
    expect(ok).toEqual({ reason: "synthetic fixtures", piiCandidates: target.pii });
    expect(reporter.said).toEqual([
      `warn Publishing UNMASKED personal data (synthetic fixtures): shop.public.customers.email (2 of 2 sampled values look like email)`,
    ]);
  });

  it("no personal data found: nothing to record", async () => {
    const target = new FakeMaskingTarget("shop", shop());
    expect(await guardUnmaskedBuild(target, target.databases(), undefined, silentReporter)).toBeUndefined();
  });
});

describe("policyDigest", () => {
  it("is the policy's content and variant, not where the file was", () => {
    const a = parsePolicy(CUSTOMERS, "a/dbclone.yml");
    const b = parsePolicy(`\n\n${CUSTOMERS}`, "b/other.yml");
    expect(policyDigest(a)).toBe(policyDigest(b));
    expect(policyDigest(a, "contractor")).not.toBe(policyDigest(a));
    expect(policyDigest(a, "contractor")).not.toBe(policyDigest(a, "analyst"));
    expect(policyDigest(a)).not.toBe(policyDigest(parsePolicy(CUSTOMERS.replace("fullName", "firstName"), "a/dbclone.yml")));
    expect(policyDigest(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
