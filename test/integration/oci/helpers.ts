// Shared bits of the OCI tests: a fetch that records requests, and mixed compressible disk data.
import { randomBytes } from "node:crypto";

export interface SeenRequest {
  method: string;
  url: string;
  range?: string;
  status: number;
}

/** Node's fetch, recording every request (method, URL, Range header, status). */
export function recordingFetch(seen: SeenRequest[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const res = await fetch(input, init);
    const headers = new Headers(init?.headers);
    seen.push({ method: init?.method ?? "GET", url: String(input), range: headers.get("range") ?? undefined, status: res.status });
    return res;
  }) as typeof fetch;
}

/** Half random, half repeated text: compresses to roughly half, like a database disk. */
export function mixedData(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  const block = 64 * 1024;
  const text = Buffer.from("INSERT INTO orders VALUES (42, 'alice@example.com', 'paid');\n".repeat(1200));
  for (let off = 0, i = 0; off < bytes; off += block, i++) {
    const piece = i % 2 === 0 ? randomBytes(block) : text.subarray(0, block);
    piece.copy(out, off, 0, Math.min(block, bytes - off));
  }
  return out;
}

export const isBlobGet = (r: SeenRequest, digest: string) => r.method === "GET" && r.url.includes(`/blobs/${digest}`);
