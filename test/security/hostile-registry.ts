// A real HTTP server impersonating an OCI registry that lies: descriptors and tags are whatever
// the test says, any layer request gets a few bytes and then a dropped connection.
import { createHash, randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { canonicalJson, manifestDigest } from "../../packages/core/src/image/digest.js";
import type { ImageManifest } from "../../packages/core/src/image/manifest.js";
import { IMAGE_ARTIFACT_TYPE, IMAGE_CONFIG_MEDIA_TYPE, OCI_MANIFEST_MEDIA_TYPE } from "../../packages/core/src/repository/oci/media-types.js";

const LAYER_START = gzipSync(randomBytes(1 << 20)).subarray(0, 64 * 1024);

export const sha256 = (b: Buffer | string): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

export interface Answer {
  status?: number;
  body: Buffer | string;
  /** Send no content-length (chunked), so only a streaming cap can stop it. */
  chunked?: boolean;
}

export interface HostileRegistry {
  port: number;
  location: string;
  /** Every request path seen, in order. */
  seen: string[];
  /** path → answer; unknown blob paths get bytes then a dropped connection. */
  answers: Map<string, Answer>;
  /** An image whose config is `manifest` and whose layers/config descriptors the test chose. */
  serveImage(name: string, tag: string, manifest: ImageManifest, descriptors: { config?: Record<string, unknown>; layers: Record<string, unknown>[] }): void;
  close(): Promise<void>;
}

export async function startHostileRegistry(namespace = "team"): Promise<HostileRegistry> {
  const seen: string[] = [];
  const answers = new Map<string, Answer>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    seen.push(url);
    const path = url.split("?")[0]!;
    const answer = path === "/v2/" ? { body: "{}" } : answers.get(path);
    if (answer) {
      const body = Buffer.from(answer.body);
      res.writeHead(answer.status ?? 200, { "content-type": "application/json", ...(answer.chunked ? {} : { "content-length": String(body.length) }) });
      if (answer.chunked) {
        for (let i = 0; i < body.length; i += 64 * 1024) res.write(body.subarray(i, i + 64 * 1024));
        res.end();
      } else res.end(body);
      return;
    }
    if (path.includes("/blobs/")) {
      // A layer: the start of a valid gzip stream, then the connection drops (a client keeps the
      // bytes received in a "partial" file, to resume).
      res.writeHead(200, { "content-length": String(LAYER_START.length * 4) });
      res.write(LAYER_START, () => setTimeout(() => req.socket.destroy(), 100));
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    location: `oci://127.0.0.1:${port}/${namespace}`,
    seen,
    answers,
    serveImage(name, tag, manifest, descriptors) {
      const config = Buffer.from(canonicalJson(manifest));
      const configDigest = sha256(config);
      answers.set(`/v2/${namespace}/${name}/blobs/${configDigest}`, { body: config });
      const oci = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST_MEDIA_TYPE,
        artifactType: IMAGE_ARTIFACT_TYPE,
        config: descriptors.config ?? { mediaType: IMAGE_CONFIG_MEDIA_TYPE, digest: configDigest, size: config.length },
        layers: descriptors.layers,
        annotations: { "vnd.dbclone.image.id": manifestDigest(manifest), "vnd.dbclone.image.version": manifest.version },
      };
      answers.set(`/v2/${namespace}/${name}/manifests/${tag}`, { body: JSON.stringify(oci) });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
