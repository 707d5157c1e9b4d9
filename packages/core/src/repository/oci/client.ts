// HTTP to one registry: auth (anonymous, basic, bearer challenge), retries and readable errors.
// Request bodies are Buffers or empty, so a request can be replayed after an auth challenge or a
// transient failure (5xx, 429, a dropped connection: see retry-policy.ts).
import { RepositoryError, UnreachableError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { basicHeader, fetchBearerToken, parseChallenge } from "./auth.js";
import type { RegistryCredentials } from "./credentials.js";
import type { OciLocation } from "./location.js";
import { currentOperation, retryAfterMs, retrySettingsFrom, TransientRegistryError, withRetries, type RetrySettings } from "./retry-policy.js";

export interface RegistryRequest {
  method: string;
  /** Path under the registry (`/v2/...`) or an absolute URL (an upload Location). */
  path: string;
  /** Auth scope, e.g. `repository:team/orders:pull,push`. */
  scope: string;
  headers?: Record<string, string>;
  body?: Buffer;
  signal?: AbortSignal;
  /**
   * Retry transient failures of this request (default true). A chunk PATCH sets false: whether a
   * failed chunk reached the registry must be asked before it is sent again (blob-upload.ts).
   */
  retry?: boolean;
}

export class RegistryClient {
  private authScheme: "none" | "basic" | "bearer" = "none";
  private readonly tokens = new Map<string, string>();

  constructor(
    readonly location: OciLocation,
    private readonly creds: RegistryCredentials | undefined,
    private readonly doFetch: typeof fetch,
    readonly reporter: Reporter,
    readonly retry: RetrySettings = retrySettingsFrom(),
  ) {}

  url(pathOrUrl: string): string {
    return /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : new URL(pathOrUrl, this.location.baseUrl).toString();
  }

  /**
   * Send a request, answering one auth challenge; the caller checks the status. 5xx/429 answers
   * and dropped connections are retried (unless req.retry is false) within the operation's deadline.
   */
  async send(req: RegistryRequest): Promise<Response> {
    if (req.retry === false) return this.sendOnce(req);
    return withRetries(`${req.method} ${shortPath(req.path)}`, this.retry, this.reporter, async () => {
      const res = await this.sendOnce(req);
      if (res.status >= 500 || res.status === 429) {
        await res.body?.cancel().catch(() => undefined);
        throw new TransientRegistryError(
          `${this.location.display} answered HTTP ${res.status}`,
          `HTTP ${res.status}`,
          retryAfterMs(res.headers.get("retry-after")),
        );
      }
      return res;
    });
  }

  private async sendOnce(req: RegistryRequest): Promise<Response> {
    let res = await this.attempt(req);
    if (res.status !== 401) return res;
    const challenge = parseChallenge(res.headers.get("www-authenticate"));
    await res.body?.cancel();
    if (!challenge) throw this.denied(req, 401);
    if (challenge.scheme === "basic") {
      if (!this.creds) throw this.denied(req, 401);
      this.authScheme = "basic";
    } else {
      this.authScheme = "bearer";
      this.tokens.set(req.scope, await fetchBearerToken(challenge, req.scope, this.creds, this.doFetch, this.reporter));
    }
    res = await this.attempt(req);
    if (res.status === 401) {
      await res.body?.cancel();
      throw this.denied(req, 401);
    }
    return res;
  }

  /** send(), then fail with a RepositoryError unless the status is one of `expected`. */
  async expect(req: RegistryRequest, expected: number[], what: string): Promise<Response> {
    const res = await this.send(req);
    if (expected.includes(res.status)) return res;
    const detail = await errorText(res);
    if (res.status === 403) throw this.denied(req, 403, detail);
    throw new RepositoryError(`${what} failed: ${req.method} ${this.location.display} answered HTTP ${res.status}${detail ? ` (${detail})` : ""}`);
  }

  private async attempt(req: RegistryRequest): Promise<Response> {
    const headers: Record<string, string> = { ...req.headers };
    const auth = this.authorization(req.scope);
    if (auth) headers.authorization = auth;
    // Abandon a request whose answer does not start in time; the operation's deadline also ends a slow body.
    const headersTimer = new AbortController();
    const timer = setTimeout(
      () => headersTimer.abort(new DOMException(`no answer within ${this.retry.headersTimeoutMs} ms`, "TimeoutError")),
      this.retry.headersTimeoutMs,
    );
    const op = currentOperation();
    const signals = [headersTimer.signal, ...(req.signal ? [req.signal] : [])];
    if (op) signals.push(AbortSignal.timeout(Math.max(1, Math.round(op.deadlineAt - performance.now()))));
    try {
      return await this.doFetch(this.url(req.path), { method: req.method, headers, body: req.body, signal: AbortSignal.any(signals), redirect: "follow" });
    } catch (e) {
      if (req.signal?.aborted) throw e;
      const message = `could not reach ${new URL(this.location.baseUrl).host}: ${networkCause(e)}; check the host, port and network`;
      // Nothing listens there or the name does not resolve: a wrong location, not a passing fault.
      if (NOT_TRANSIENT.has(networkCode(e))) throw new UnreachableError(message, { cause: e });
      throw new TransientRegistryError(message, reasonFor(e), undefined, { cause: e });
    } finally {
      clearTimeout(timer);
    }
  }

  private authorization(scope: string): string | undefined {
    if (this.authScheme === "basic" && this.creds) return basicHeader(this.creds);
    if (this.authScheme === "bearer") {
      const token = this.tokens.get(scope);
      return token ? `Bearer ${token}` : undefined;
    }
    return undefined;
  }

  private denied(req: RegistryRequest, status: number, detail = ""): RepositoryError {
    const who = this.creds ? `user '${this.creds.username}'` : "anonymous access";
    return new RepositoryError(
      `${this.location.display} refused ${who} for ${req.scope} (HTTP ${status}${detail ? `: ${detail}` : ""}); ` +
        "set DBCLONE_REGISTRY_USER / DBCLONE_REGISTRY_PASSWORD (or GITHUB_TOKEN for ghcr.io, or docker login) to credentials allowed to do this",
    );
  }
}

/** fetch's "fetch failed" hides the reason in .cause: ECONNREFUSED 127.0.0.1:5000, ENOTFOUND host, … */
const NOT_TRANSIENT = new Set(["ECONNREFUSED", "ENOTFOUND"]);

function networkCode(e: unknown): string {
  return (e as { cause?: { code?: string } })?.cause?.code ?? "";
}

export function networkCause(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.message || cause?.code || (e as Error)?.message || String(e);
}

/** The registry's own words from an OCI error body ({errors:[{code,message}]}), short. */
export async function errorText(res: Response): Promise<string> {
  try {
    const text = (await res.text()).slice(0, 2000);
    const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    return (parsed.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(": ")).join("; ") || text.slice(0, 200);
  } catch {
    return "";
  }
}

function shortPath(p: string): string {
  const path = /^https?:/.test(p) ? new URL(p).pathname : p.split("?")[0]!;
  return path.replace(/sha256:([0-9a-f]{12})[0-9a-f]+/g, "sha256:$1…").replace(/\/uploads\/[^/]+$/, "/uploads/…");
}

function reasonFor(e: unknown): string {
  for (let err = e as { code?: string; name?: string; cause?: unknown } | undefined, depth = 0; err && depth < 4; err = err.cause as typeof err, depth++) {
    if (err.name === "TimeoutError") return "timeout";
    if (typeof err.code === "string") return err.code;
  }
  return "connection failed";
}

export function scopeFor(repository: string, actions: "pull" | "pull,push" | "delete" | "*"): string {
  return `repository:${repository}:${actions}`;
}
