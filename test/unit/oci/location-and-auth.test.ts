import { describe, expect, it } from "vitest";
import { RepositoryError, UsageError } from "../../../packages/core/src/errors.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { parseChallenge } from "../../../packages/core/src/repository/oci/auth.js";
import { RegistryClient } from "../../../packages/core/src/repository/oci/client.js";
import { parseOciLocation, repositoryOf } from "../../../packages/core/src/repository/oci/location.js";
import { listTags } from "../../../packages/core/src/repository/oci/manifests.js";

describe("parseOciLocation", () => {
  it("speaks HTTPS to remote registries and plain HTTP to the loopback", () => {
    const ghcr = parseOciLocation("oci://ghcr.io/acme/images");
    expect(ghcr).toMatchObject({ registry: "ghcr.io", baseUrl: "https://ghcr.io", namespace: "acme/images", display: "oci://ghcr.io/acme/images" });
    expect(repositoryOf(ghcr, "orders-db")).toBe("acme/images/orders-db");
    expect(parseOciLocation("oci://127.0.0.1:5000/team").baseUrl).toBe("http://127.0.0.1:5000");
    expect(repositoryOf(parseOciLocation("oci://localhost:5000"), "x")).toBe("x");
  });

  it("refuses credentials in the URL and bad namespaces", () => {
    expect(() => parseOciLocation("oci://user:pw@ghcr.io/acme")).toThrow(/holds credentials/);
    expect(() => parseOciLocation("oci://ghcr.io/Acme")).toThrow(UsageError);
    expect(() => parseOciLocation("https://ghcr.io/acme")).toThrow(/not an OCI location/);
  });
});

describe("parseChallenge", () => {
  it("reads a bearer challenge with quoted, comma-holding values", () => {
    expect(parseChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/x:pull,push"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://ghcr.io/token", service: "ghcr.io", scope: "repository:acme/x:pull,push" },
    });
    expect(parseChallenge('Basic realm="registry"')?.scheme).toBe("basic");
    expect(parseChallenge(null)).toBeUndefined();
  });
});

/** A fake registry that wants a bearer token, issued for basic credentials bot:pw. */
function bearerRegistry(calls: string[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const auth = new Headers(init?.headers).get("authorization") ?? "";
    calls.push(`${init?.method ?? "GET"} ${url.pathname}${url.search} ${auth.split(" ")[0] ?? ""}`);
    if (url.host === "auth.example") {
      if (auth !== `Basic ${Buffer.from("bot:pw").toString("base64")}`) return new Response("no", { status: 401 });
      return Response.json({ token: `tok-${url.searchParams.getAll("scope").join("+")}` });
    }
    if (!auth.startsWith("Bearer tok-")) {
      return new Response(null, {
        status: 401,
        headers: { "www-authenticate": `Bearer realm="https://auth.example/token",service="reg",scope="repository:acme/x:pull"` },
      });
    }
    if (url.pathname === "/v2/acme/x/tags/list") {
      const last = url.searchParams.get("last");
      const page = last ? ["c"] : ["a", "b"];
      const headers: Record<string, string> = last ? {} : { link: '</v2/acme/x/tags/list?n=2&last=b>; rel="next"' };
      return Response.json({ name: "acme/x", tags: page }, { headers });
    }
    return new Response(null, { status: 404 });
  }) as typeof fetch;
}

describe("RegistryClient", () => {
  const loc = parseOciLocation("oci://reg.example/acme");

  it("answers a bearer challenge with a token got with basic credentials, and follows Link pagination", async () => {
    const calls: string[] = [];
    const secrets: string[] = [];
    const reporter = { ...silentReporter, secret: (s: string) => void secrets.push(s) };
    const client = new RegistryClient(loc, { username: "bot", password: "pw" }, bearerRegistry(calls), reporter);
    expect(await listTags(client, "acme/x", 2)).toEqual(["a", "b", "c"]);
    expect(calls[0]).toBe("GET /v2/acme/x/tags/list?n=2 ");
    expect(calls[1]).toMatch(/^GET \/token\?service=reg&scope=repository%3Aacme%2Fx%3Apull Basic$/);
    expect(calls.slice(2)).toEqual(["GET /v2/acme/x/tags/list?n=2 Bearer", "GET /v2/acme/x/tags/list?n=2&last=b Bearer"]);
    expect(secrets).toContain("tok-repository:acme/x:pull");
  });

  it("says which credentials to set when the token service refuses", async () => {
    const client = new RegistryClient(loc, { username: "bot", password: "wrong" }, bearerRegistry([]), silentReporter);
    const err = await listTags(client, "acme/x").catch((e: Error) => e);
    expect(err).toBeInstanceOf(RepositoryError);
    expect((err as Error).message).toMatch(/refused user 'bot'.*DBCLONE_REGISTRY_PASSWORD/);
    expect((err as Error).message).not.toContain("wrong");
  });
});
