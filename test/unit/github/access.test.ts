// The access decision (pure) and its enforcement with an audited denial.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AccessDeniedError, decideAccess, enforceAccess, parseTeam, teamsToCheck } from "../../../packages/core/src/access/index.js";
import { AuditLog } from "../../../packages/core/src/audit/index.js";

const access = { users: ["Alice"], teams: ["acme/data-eng", "acme/dba"] };

describe("decideAccess", () => {
  it("lets anyone in when the image has no (or an empty) access list", () => {
    expect(decideAccess(undefined, "bob").allowed).toBe(true);
    expect(decideAccess({ users: [], teams: [] }, undefined).allowed).toBe(true);
  });

  it("allows a listed user, case-insensitively, without looking up teams", () => {
    expect(decideAccess(access, "alice")).toEqual({ allowed: true, reason: "alice is listed in access.users" });
    expect(teamsToCheck(access, "alice")).toEqual([]);
  });

  it("allows a member of a listed team and denies everyone else, failing closed on unknown answers", () => {
    expect(teamsToCheck(access, "bob")).toEqual([
      { org: "acme", slug: "data-eng" },
      { org: "acme", slug: "dba" },
    ]);
    expect(decideAccess(access, "bob", { "acme/dba": true }).allowed).toBe(true);
    const denied = decideAccess(access, "bob", { "acme/data-eng": false });
    expect(denied).toEqual({ allowed: false, reason: "bob is not among the image's access list (user Alice, team acme/data-eng, team acme/dba)" });
    expect(decideAccess(access, undefined).allowed).toBe(false);
  });

  it("rejects a team that is not org/slug", () => {
    expect(() => parseTeam("data-eng")).toThrow(/not org\/team-slug/);
  });
});

describe("enforceAccess", () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it("audits a denial and throws an error that says who may not do what", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-access-"));
    const audit = new AuditLog(path.join(dir, "events.jsonl"));
    const lookups: string[] = [];
    const lookupTeam = async (org: string, slug: string, user: string) => {
      lookups.push(`${org}/${slug}/${user}`);
      return false;
    };
    const err = await enforceAccess({
      access,
      actor: "mallory",
      operation: "clone",
      image: "shop:v1",
      digest: `sha256:${"1".repeat(64)}`,
      lookupTeam,
      audit,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect(err.message).toMatch(/^access denied: mallory may not clone shop:v1: mallory is not among/);
    expect(lookups).toEqual(["acme/data-eng/mallory", "acme/dba/mallory"]);
    const [event] = await audit.read();
    expect(event).toMatchObject({ action: "denied", outcome: "denied", actor: "mallory", image: "shop:v1" });
    expect((await audit.verify()).ok).toBe(true);
  });

  it("denies a team-only list without a token, saying why", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-access-"));
    const audit = new AuditLog(path.join(dir, "events.jsonl"));
    await expect(enforceAccess({ access: { teams: ["acme/dba"] }, actor: "bob", operation: "publish", image: "shop", audit })).rejects.toThrow(
      /team membership could not be checked without a GitHub token/,
    );
  });
});
