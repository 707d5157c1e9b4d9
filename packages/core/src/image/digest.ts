// sha256 of files (streamed, never loaded in memory) and of canonical JSON documents.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { ImageManifest } from "./manifest.js";

export type ProgressCallback = (done: number, total: number) => void;

/** `sha256:<hex>` of a file, read in 1 MiB chunks. */
export async function sha256File(file: string, onProgress?: ProgressCallback): Promise<string> {
  const total = (await stat(file)).size;
  const hash = createHash("sha256");
  let done = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    onProgress?.(done, total);
  }
  return `sha256:${hash.digest("hex")}`;
}

/** `sha256:<hex>` of a string or bytes. */
export function sha256Of(data: string | Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/**
 * JSON with object keys sorted (by UTF-16 code unit, like Array.prototype.sort) and no whitespace,
 * so the same value always gives the same bytes. Follows JSON.stringify for the rest: undefined
 * object members are dropped, toJSON is honoured, non-finite numbers become null.
 */
export function canonicalJson(value: unknown): string {
  const out = encode(value);
  if (out === undefined) throw new TypeError("canonicalJson: value is not representable as JSON");
  return out;
}

function encode(value: unknown): string | undefined {
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "bigint":
      throw new TypeError("canonicalJson: BigInt is not JSON");
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v) => encode(v) ?? "null").join(",")}]`;
      const parts: string[] = [];
      for (const key of Object.keys(value as object).sort()) {
        const encoded = encode((value as Record<string, unknown>)[key]);
        if (encoded !== undefined) parts.push(`${JSON.stringify(key)}:${encoded}`);
      }
      return `{${parts.join(",")}}`;
    }
    default:
      return undefined; // undefined, functions, symbols: dropped like JSON.stringify does
  }
}

/** The image id: sha256 of the manifest's canonical JSON. */
export function manifestDigest(manifest: ImageManifest): string {
  return sha256Of(canonicalJson(manifest));
}
