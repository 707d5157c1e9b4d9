// One disk layer from a registry that lies or breaks, answer by answer: a valid gzip of another
// disk, a re-packed layer (same disk, other bytes), a gzip that does not decompress, a layer
// missing, a body cut short and resumed, a Range it ignores or answers wrongly, no body, a
// compression this build cannot read. Each refusal names what was wrong and caches nothing; the
// honest answers still download (a check that refused everything would fail here too).
// The registry is a fetch function (RegistryClient takes one): a hostile registry cannot be the
// real docker-registry, which answers honestly.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DigestMismatchError, NotSupportedError, RepositoryError } from "../../../packages/core/src/errors.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { downloadLayer, type LayerDownload } from "../../../packages/core/src/repository/oci/blob-download.js";
import { RegistryClient } from "../../../packages/core/src/repository/oci/client.js";
import { parseOciLocation } from "../../../packages/core/src/repository/oci/location.js";
import { TransientRegistryError } from "../../../packages/core/src/repository/oci/retry-policy.js";

const GZIP = "application/vnd.dbclone.disk.qcow2.v1+gzip";
const PLAIN = "application/vnd.dbclone.disk.qcow2.v1";
const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const loc = parseOciLocation("oci://reg.example/acme");

let dir: string;
let n = 0;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-hostile-blob-"));
  await mkdir(path.join(dir, "partial"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body?: Buffer | null;
  headers?: Record<string, string>;
}
/** A registry answering each blob GET with the next answer (the last one repeats); records the Range asked for. */
function registry(answers: ((range: string | null) => Answer)[]) {
  const ranges: (string | null)[] = [];
  const requests: string[] = [];
  const doFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const range = new Headers(init?.headers).get("range");
    ranges.push(range);
    requests.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname}`);
    const a = answers[Math.min(ranges.length - 1, answers.length - 1)]!(range);
    return new Response(a.body === undefined ? null : a.body === null ? null : new Uint8Array(a.body), { status: a.status, headers: a.headers });
  }) as typeof fetch;
  return { client: new RegistryClient(loc, undefined, doFetch, silentReporter), ranges, requests };
}

function download(client: RegistryClient, layer: Buffer, disk: Buffer, over: Partial<LayerDownload> = {}): LayerDownload {
  return {
    client,
    repo: "acme/shop",
    layer: { mediaType: GZIP, digest: sha(layer), size: layer.length },
    expected: { digest: sha(disk), sizeBytes: disk.length },
    tempFile: path.join(dir, `disk-${++n}.tmp`),
    partialDir: path.join(dir, "partial"),
    ...over,
  };
}
const partials = () => readdir(path.join(dir, "partial"));
const exists = (f: string) =>
  stat(f).then(
    () => true,
    () => false,
  );

const disk = randomBytes(200_000);
const layer = gzipSync(disk);

describe("an honest registry", () => {
  it("downloads the layer, writes the disk, reports progress up to the layer size and keeps no partial", async () => {
    const { client, ranges, requests } = registry([() => ({ status: 200, body: layer })]);
    const progress: [number, number][] = [];
    const d = download(client, layer, disk, { onProgress: (done, total) => progress.push([done, total]) });
    expect(await downloadLayer(d)).toEqual({ resumedFrom: 0, received: layer.length });
    expect((await readFile(d.tempFile)).equals(disk)).toBe(true);
    expect(progress.at(-1)).toEqual([layer.length, layer.length]);
    expect(ranges).toEqual([null]);
    expect(requests).toEqual([`GET /v2/acme/shop/blobs/${sha(layer)}`]);
    expect(await partials()).toEqual([]);
  });

  it("an uncompressed layer is the disk itself", async () => {
    const { client } = registry([() => ({ status: 200, body: disk })]);
    const d = download(client, disk, disk, { layer: { mediaType: PLAIN, digest: sha(disk), size: disk.length } });
    await downloadLayer(d);
    expect((await readFile(d.tempFile)).equals(disk)).toBe(true);
  });
});

describe("a registry that serves the wrong bytes", () => {
  it("a valid gzip of another disk of the same size under the right layer digest is refused by the disk digest", async () => {
    const other = gzipSync(randomBytes(disk.length));
    const { client } = registry([() => ({ status: 200, body: other })]);
    // The manifest was re-pointed: the layer digest is the other layer's, the disk digest still ours.
    const d = download(client, other, disk);
    const error = await downloadLayer(d).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect((error as Error).message).toBe(
      `the disk in layer ${sha(other)} of acme/shop hashes to ${sha(gunzipSync(other))} (${disk.length} bytes), but the manifest says ${sha(disk)} (${disk.length} bytes); nothing was cached: publish the image again`,
    );
  });

  it("the right disk but a size the manifest does not record is refused", async () => {
    const { client } = registry([() => ({ status: 200, body: layer })]);
    const d = download(client, layer, disk, { expected: { digest: sha(disk), sizeBytes: disk.length + 1 } });
    await expect(downloadLayer(d)).rejects.toThrow(/\(200000 bytes\), but the manifest says .* \(200001 bytes\)/);
  });

  it("a layer re-packed in place (valid gzip, same disk, other header bytes) is refused by the layer digest", async () => {
    const repacked = gzipSync(disk, { level: 1 });
    expect(repacked.equals(layer)).toBe(false);
    const { client } = registry([() => ({ status: 200, body: repacked })]);
    const d = download(client, layer, disk, { layer: { mediaType: GZIP, digest: sha(layer), size: repacked.length } });
    const error = await downloadLayer(d).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect((error as Error).message).toBe(
      `layer ${sha(layer)} of acme/shop from oci://reg.example/acme hashes to ${sha(repacked)}: the registry copy is corrupt; nothing was cached: publish the image again`,
    );
    expect(await partials()).toEqual([]);
  });

  it("a layer that does not decompress is corrupt, and its partial is dropped", async () => {
    const broken = Buffer.from(layer);
    broken.fill(0x41, 100, 400);
    const { client } = registry([() => ({ status: 200, body: broken })]);
    const d = download(client, broken, disk);
    const error = await downloadLayer(d).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect((error as Error).message).toMatch(new RegExp(`^layer ${sha(broken)} of acme/shop from oci://reg.example/acme is corrupt: it does not decompress`));
    expect(await partials()).toEqual([]);
  });

  it("a missing layer is named as missing", async () => {
    const { client } = registry([() => ({ status: 404 })]);
    const error = await downloadLayer(download(client, layer, disk)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RepositoryError);
    expect((error as Error).message).toBe(`layer ${sha(layer)} of acme/shop is missing from oci://reg.example/acme; the image is damaged: publish it again`);
  });

  it("an answer without a body is refused", async () => {
    const { client } = registry([() => ({ status: 200, body: null })]);
    await expect(downloadLayer(download(client, layer, disk))).rejects.toThrow(`the registry sent no body for ${sha(layer)}; pull again`);
  });
});

describe("a body cut short, and the pull that resumes it", () => {
  const half = Math.floor(layer.length / 2);
  const cut = (): Answer => ({ status: 200, body: layer.subarray(0, half) });
  const honestRange = (range: string | null): Answer => {
    const from = Number(/^bytes=(\d+)-$/.exec(range ?? "")?.[1] ?? 0);
    return from > 0
      ? { status: 206, body: layer.subarray(from), headers: { "content-range": `bytes ${from}-${layer.length - 1}/${layer.length}` } }
      : { status: 200, body: layer };
  };

  it("keeps the bytes received and resumes with a Range request from exactly there", async () => {
    const { client, ranges } = registry([cut, honestRange]);
    const d = download(client, layer, disk);
    const error = await downloadLayer(d).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientRegistryError);
    expect((error as TransientRegistryError).reason).toBe("short body");
    expect((error as Error).message).toBe(`oci://reg.example/acme sent ${half} of ${layer.length} bytes of ${sha(layer)}`);
    const [kept] = await partials();
    expect((await stat(path.join(dir, "partial", kept!))).size).toBe(half);
    await rm(d.tempFile, { force: true });
    expect(await downloadLayer(d)).toEqual({ resumedFrom: half, received: layer.length - half });
    expect(ranges).toEqual([null, `bytes=${half}-`]);
    expect((await readFile(d.tempFile)).equals(disk)).toBe(true);
    expect(await partials()).toEqual([]);
  });

  it("a registry that ignores the Range and sends the whole layer: the pull starts over", async () => {
    const { client } = registry([cut, () => ({ status: 200, body: layer })]);
    const d = download(client, layer, disk);
    await downloadLayer(d).catch(() => undefined);
    await rm(d.tempFile, { force: true });
    expect(await downloadLayer(d)).toEqual({ resumedFrom: 0, received: layer.length });
    expect((await readFile(d.tempFile)).equals(disk)).toBe(true);
  });

  for (const [what, wrong] of [
    [
      "a 206 from another offset",
      (): Answer => ({ status: 206, body: layer.subarray(10), headers: { "content-range": `bytes 10-${layer.length - 1}/${layer.length}` } }),
    ],
    ["a 206 without a Content-Range", (): Answer => ({ status: 206, body: layer.subarray(half) })],
    ["416 (range not satisfiable)", (): Answer => ({ status: 416 })],
  ] as const) {
    it(`${what}: the partial is dropped and the pull starts over once`, async () => {
      const { client, ranges } = registry([cut, wrong, () => ({ status: 200, body: layer })]);
      const d = download(client, layer, disk);
      await downloadLayer(d).catch(() => undefined);
      await rm(d.tempFile, { force: true });
      expect(await downloadLayer(d)).toEqual({ resumedFrom: 0, received: layer.length });
      expect(ranges).toEqual([null, `bytes=${half}-`, null]);
      expect((await readFile(d.tempFile)).equals(disk)).toBe(true);
    });
  }

  it("a partial longer than the layer (not this layer's bytes) is dropped before asking", async () => {
    const { client, ranges } = registry([() => ({ status: 200, body: layer })]);
    const d = download(client, layer, disk);
    const me = `${sha(layer).slice(7)}.${process.pid}-`;
    // A partial of this process (its name carries the pid and, where known, the start time).
    const name = (await readdir(path.join(dir, "partial"))).find((f) => f.startsWith(me)) ?? (await partialNameFor(d));
    await writeFile(path.join(dir, "partial", name), Buffer.alloc(layer.length + 5, 1));
    expect(await downloadLayer(d)).toEqual({ resumedFrom: 0, received: layer.length });
    expect(ranges).toEqual([null]);
  });
});

describe("answers and files that are not what they claim", () => {
  it("a layer descriptor with a hostile digest is refused before any request, naming the image and registry", async () => {
    const { client, ranges } = registry([() => ({ status: 200, body: layer })]);
    const d = download(client, layer, disk, { layer: { mediaType: GZIP, digest: "sha256:../../../etc/passwd", size: layer.length } });
    await expect(downloadLayer(d)).rejects.toThrow(
      /^layer of acme\/shop in oci:\/\/reg\.example\/acme: the layer digest "sha256:..\/..\/..\/etc\/passwd" is not sha256:<64 lowercase hex>/,
    );
    expect(ranges).toEqual([]);
  });

  it("an unexpected answer is named with what was being done", async () => {
    const { client } = registry([() => ({ status: 400 })]);
    await expect(downloadLayer(download(client, layer, disk))).rejects.toThrow(
      `downloading ${sha(layer)} failed: GET oci://reg.example/acme answered HTTP 400`,
    );
  });

  it("a file already where the disk goes (another puller's, or planted) is not written through", async () => {
    const { client } = registry([() => ({ status: 200, body: layer })]);
    const d = download(client, layer, disk);
    await writeFile(d.tempFile, "someone else's");
    await expect(downloadLayer(d)).rejects.toThrow(/EEXIST/);
    expect(await readFile(d.tempFile, "utf8")).toBe("someone else's");
  });

  it("a pull cancelled mid-layer stops, is not called corrupt, and keeps its partial for the next pull", async () => {
    const { client } = registry([() => ({ status: 200, body: layer })]);
    const stop = new AbortController();
    const d = download(client, layer, disk, { signal: stop.signal, onProgress: () => stop.abort() });
    const error = await downloadLayer(d).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(DigestMismatchError);
    expect((error as Error).name).toBe("AbortError");
    expect(await partials()).toHaveLength(1);
  });

  it("an uncompressed layer cut short is a short body to resume, not a disk", async () => {
    const { client } = registry([() => ({ status: 200, body: disk.subarray(0, 1000) })]);
    const d = download(client, disk, disk, { layer: { mediaType: PLAIN, digest: sha(disk), size: disk.length } });
    const error = await downloadLayer(d).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientRegistryError);
    expect((error as Error).message).toBe(`oci://reg.example/acme sent 1000 of ${disk.length} bytes of ${sha(disk)}`);
    expect((error as TransientRegistryError).reason).toBe("short body");
    const [kept] = await partials();
    expect((await stat(path.join(dir, "partial", kept!))).size).toBe(1000);
  });

  it("a partial of exactly the layer's size is resumed from its end (the registry then says 416 and the pull starts over)", async () => {
    const { client, ranges } = registry([(range) => (range ? { status: 416 } : { status: 200, body: layer })]);
    const d = download(client, layer, disk);
    await writeFile(path.join(dir, "partial", await partialNameFor(d)), layer);
    expect(await downloadLayer(d)).toEqual({ resumedFrom: 0, received: layer.length });
    expect(ranges).toEqual([`bytes=${layer.length}-`, null]);
  });
});

describe("layers this build cannot read", () => {
  it("a zstd layer is refused before any request", async () => {
    const { client, ranges } = registry([() => ({ status: 200, body: layer })]);
    await expect(
      downloadLayer(download(client, layer, disk, { layer: { mediaType: `${PLAIN}+zstd`, digest: sha(layer), size: layer.length } })),
    ).rejects.toThrow(new NotSupportedError("zstd disk layers are not supported by this build (Node 20 has no zstd); push the image again with gzip"));
    expect(ranges).toEqual([]);
    expect(await exists(path.join(dir, `disk-${n}.tmp`))).toBe(false);
  });
});

/** The name claimPartial gives this process's partial of the layer: found by letting it create one. */
async function partialNameFor(d: LayerDownload): Promise<string> {
  const { claimPartial } = await import("../../../packages/core/src/repository/oci/partial-files.js");
  return path.basename(await claimPartial(d.partialDir, d.layer.digest));
}
