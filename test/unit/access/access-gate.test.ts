// The access gate as an intruder or a careless owner meets it: spoofed logins and team names, a
// member admitted through a team, denials that are audited in full but bounded, and lookups that
// stop as soon as the answer is known. Each test pins a line of access/policy.ts or enforce.ts
// that mutation testing showed no other test depended on.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AccessDeniedError, decideAccess, enforceAccess, isRestricted, parseTeam, teamsToCheck } from "../../../packages/core/src/access/index.js";
import { AuditLog } from "../../../packages/core/src/audit/index.js";

describe("the access list as data", () => {
  it("a list naming only users (no teams field) restricts; one with neither does not", () => {
    expect(isRestricted({ users: ["alice"] })).toBe(true);
    expect(isRestricted({ teams: ["acme/dba"] })).toBe(true);
    expect(isRestricted({})).toBe(false);
    expect(decideAccess({ users: ["alice"] }, "bob").allowed).toBe(false);
  });

  it("a team name with anything before or after org/slug is refused, not partly matched", () => {
    expect(() => parseTeam("evil acme/dba")).toThrow(/not org\/team-slug/);
    expect(() => parseTeam("!acme/dba")).toThrow(/not org\/team-slug/);
    expect(() => parseTeam("acme/dba other")).toThrow(/not org\/team-slug/);
    expect(() => parseTeam("acme/dba/x")).toThrow(/not org\/team-slug/);
  });

  it("a team typed with spaces around it or a leading @ still names the team (lower-cased)", () => {
    expect(parseTeam("  @Acme/Data-Eng \n")).toEqual({ org: "acme", slug: "data-eng" });
  });

  it("a listed login that merely contains @ does not admit the login without it", () => {
    expect(decideAccess({ users: ["al@ice"] }, "alice").allowed).toBe(false);
    expect(decideAccess({ users: ["@alice"] }, "alice").allowed).toBe(true);
  });

  it("nothing is looked up when there is no list, or when the actor is unknown", () => {
    expect(teamsToCheck(undefined, "alice")).toEqual([]);
    expect(teamsToCheck({ users: [], teams: [] }, "alice")).toEqual([]);
    expect(teamsToCheck({ teams: ["acme/dba"] }, undefined)).toEqual([]);
    expect(teamsToCheck({ teams: ["acme/dba"] }, "")).toEqual([]);
    expect(teamsToCheck({ teams: ["acme/dba"] }, "bob")).toEqual([{ org: "acme", slug: "dba" }]);
  });

  it("each decision says why, in words an auditor can read", () => {
    expect(decideAccess(undefined, "bob")).toEqual({ allowed: true, reason: "the image has no access list: anyone in the repository may use it" });
    expect(decideAccess({ users: ["alice"] }, undefined)).toEqual({
      allowed: false,
      reason: "the image has an access list and the actor is unknown (GITHUB_ACTOR is not set)",
    });
    expect(decideAccess({ teams: ["Acme/DBA"] }, "bob", { "acme/dba": true })).toEqual({ allowed: true, reason: "bob is a member of acme/dba" });
    expect(decideAccess({ teams: ["acme/dba"] }, "bob", {})).toEqual({ allowed: false, reason: "bob is not among the image's access list (team acme/dba)" });
  });
});

describe("enforcing the list before a clone or a publish", () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));
  const auditLog = () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-access-gate-"));
    return new AuditLog(path.join(dir, "events.jsonl"));
  };

  it("admits a member of a listed team, stops asking GitHub once one team says yes, and audits nothing", async () => {
    const audit = auditLog();
    const lookups: string[] = [];
    const lookupTeam = async (org: string, slug: string, user: string) => {
      lookups.push(`${org}/${slug}/${user}`);
      return slug === "data-eng";
    };
    const decision = await enforceAccess({
      access: { teams: ["acme/data-eng", "acme/dba", "acme/ops"] },
      actor: "bob",
      operation: "clone",
      image: "shop:v1",
      lookupTeam,
      audit,
    });
    expect(decision).toEqual({ allowed: true, reason: "bob is a member of acme/data-eng" });
    expect(lookups).toEqual(["acme/data-eng/bob"]);
    expect(await audit.read()).toEqual([]);
  });

  it("a denial without teams says exactly who, what and how to get access, and the audit detail carries the reason", async () => {
    const audit = auditLog();
    const err = await enforceAccess({ access: { users: ["alice"] }, actor: "mallory", operation: "publish", image: "shop", audit }).catch((e) => e);
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect(err.message).toBe(
      "access denied: mallory may not publish shop: mallory is not among the image's access list (user alice). " +
        "Ask an owner of the image to add you to its access list (build-image inputs access-users / access-teams).",
    );
    const [event] = await audit.read();
    expect(event?.detail).toBe("publish: mallory is not among the image's access list (user alice)");
  });

  it("an unknown actor is named as such in the denial", async () => {
    const err = await enforceAccess({ access: { users: ["alice"] }, actor: undefined, operation: "clone", image: "shop:v1", audit: auditLog() }).catch(
      (e) => e,
    );
    expect(err.message).toMatch(/^access denied: an unknown actor may not clone shop:v1: /);
  });

  it("a huge access list cannot blow up the audit entry: the detail is cut at 500 characters", async () => {
    const audit = auditLog();
    const users = Array.from({ length: 100 }, (_, i) => `user-with-a-long-login-${i}`);
    await expect(enforceAccess({ access: { users }, actor: "mallory", operation: "clone", image: "shop:v1", audit })).rejects.toThrow(AccessDeniedError);
    const [event] = await audit.read();
    expect(event?.detail).toHaveLength(500);
    expect(event?.detail?.startsWith("clone: mallory is not among")).toBe(true);
  });
});
