// OIDC claims: tokens signed by the fake's key verify; a wrong audience, issuer, expiry or key does not.
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectedIssuer, OidcVerificationError, verifyActionsIdToken } from "../../../packages/core/src/github/index.js";
import { startFakeGitHub, type FakeGitHub } from "../../fixtures/github-api/server.js";

let gh: FakeGitHub;
beforeEach(async () => {
  gh = await startFakeGitHub();
});
afterEach(async () => {
  await gh.stop();
});

const claims = { repository: "acme/shop", workflow: "ci", run_id: "77", actor: "octocat", sha: "a".repeat(40), ref: "refs/heads/main", extra: "dropped" };

describe("verifyActionsIdToken", () => {
  it("verifies the signature against the issuer's JWKS and keeps the audited claims", async () => {
    const token = await gh.sign(claims);
    const verified = await verifyActionsIdToken(token, { issuer: gh.issuer });
    expect(verified).toEqual({
      iss: gh.issuer,
      repository: "acme/shop",
      workflow: "ci",
      run_id: "77",
      actor: "octocat",
      sha: "a".repeat(40),
      ref: "refs/heads/main",
    });
    expect(gh.callsTo("GET", /openid-configuration$/)).toHaveLength(1);
    expect(gh.callsTo("GET", /jwks$/)).toHaveLength(1);
  });

  it("refuses a wrong audience, another issuer, an expired token and a foreign key", async () => {
    const reject = (t: string) => expect(verifyActionsIdToken(t, { issuer: gh.issuer })).rejects.toThrow(OidcVerificationError);
    await reject(await gh.sign(claims, { audience: "someone-else" }));
    await reject(await gh.sign(claims, { issuer: "https://evil.example" }));
    await reject(await gh.sign(claims, { expiresIn: "-5m" }));
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    void (await exportJWK(publicKey));
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: "fake-key-1" })
      .setIssuer(gh.issuer)
      .setAudience("dbclone")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    await expect(verifyActionsIdToken(forged, { issuer: gh.issuer })).rejects.toThrow(/signature verification failed/);
  });

  it("pins the issuer from the server URL, not from the token", () => {
    expect(expectedIssuer({ GITHUB_SERVER_URL: "https://github.com" })).toBe("https://token.actions.githubusercontent.com");
    expect(expectedIssuer({ GITHUB_SERVER_URL: "https://ghes.example.com/" })).toBe("https://ghes.example.com/_services/token");
  });
});
