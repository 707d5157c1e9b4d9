import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { findCredentials } from "../../../packages/core/src/repository/oci/credentials.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-creds-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const none = path.join(dir, "missing.json");

describe("findCredentials", () => {
  it("takes DBCLONE_REGISTRY_USER/PASSWORD, then GITHUB_TOKEN for ghcr.io only", async () => {
    const env = { DBCLONE_REGISTRY_USER: "u", DBCLONE_REGISTRY_PASSWORD: "p" };
    expect(await findCredentials("reg.example", { env, dockerConfig: none }, silentReporter)).toEqual({ username: "u", password: "p" });
    const gh = { GITHUB_TOKEN: "ghs_x", GITHUB_ACTOR: "octocat" };
    expect(await findCredentials("ghcr.io", { env: gh, dockerConfig: none }, silentReporter)).toEqual({ username: "octocat", password: "ghs_x" });
    expect(await findCredentials("reg.example", { env: gh, dockerConfig: none }, silentReporter)).toBeUndefined();
  });

  it("reads ~/.docker/config.json auths (base64 user:password) and registers the secret", async () => {
    const file = path.join(dir, "config.json");
    writeFileSync(file, JSON.stringify({ auths: { "https://myregistry.azurecr.io": { auth: Buffer.from("sp:pa:ss").toString("base64") } } }));
    const secrets: string[] = [];
    const found = await findCredentials("myregistry.azurecr.io", { env: {}, dockerConfig: file }, { ...silentReporter, secret: (s) => void secrets.push(s) });
    expect(found).toEqual({ username: "sp", password: "pa:ss" });
    expect(secrets).toContain("pa:ss");
    expect(await findCredentials("other.io", { env: {}, dockerConfig: file }, silentReporter)).toBeUndefined();
  });
});
