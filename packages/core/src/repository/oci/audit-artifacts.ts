// The audit log's presence in an OCI registry (repository `<namespace>/dbclone-audit`):
// - each runner's chain as segments, `seg-<runner>-<toSeq>` (immutable), each naming the one
//   before it, with the moving tag `runner-<runner>` on the newest;
// - anchors of a log's head, `anchor-<logId>-<seq>`, the newest of which `audit --verify` checks.
// Everything read back is data: tags, annotations and configs are validated before use.
import { parseAnchor, type AuditAnchor } from "../../audit/anchor.js";
import { RepositoryError } from "../../errors.js";
import { canonicalJson } from "../../image/digest.js";
import { uploadSmallBlob } from "./blob-upload.js";
import type { RegistryClient } from "./client.js";
import { getManifest, getSmallBlob, listTags, putManifest, sha256 } from "./manifests.js";
import { OCI_MANIFEST_MEDIA_TYPE, type OciImageManifest } from "./media-types.js";

export const AUDIT_REPOSITORY = "dbclone-audit";
const SEGMENT_TYPE = "application/vnd.dbclone.audit.segment.v1+json";
const EVENTS_TYPE = "application/vnd.dbclone.audit.events.v1+jsonl";
const ANCHOR_TYPE = "application/vnd.dbclone.audit.anchor.v1+json";
const ID = /^[0-9a-f]{12,16}$/;
/** A runner's chain may not be longer than this many segments (a loop in `previous` is refused). */
const MAX_SEGMENTS = 100_000;

export interface SegmentInfo {
  runner: string;
  fromSeq: number;
  toSeq: number;
  /** Hash of the segment's last event. */
  headHash: string;
  /** Tag of the segment before this one (absent for the first). */
  previous?: string;
  publishedAt: string;
}

export class OciAuditArtifacts {
  constructor(
    private readonly client: RegistryClient,
    private readonly repo: string,
  ) {}

  async publishSegment(info: Omit<SegmentInfo, "publishedAt">, events: Buffer): Promise<string> {
    checkId(info.runner, "runner id");
    const tag = `seg-${info.runner}-${info.toSeq}`;
    const config: SegmentInfo = { ...info, publishedAt: new Date().toISOString() };
    await this.putArtifact(tag, SEGMENT_TYPE, config, EVENTS_TYPE, events);
    await this.putArtifact(`runner-${info.runner}`, SEGMENT_TYPE, config, EVENTS_TYPE, events);
    return tag;
  }

  /** Runner ids with a chain in the registry. */
  async runners(): Promise<string[]> {
    return (await listTags(this.client, this.repo))
      .map((t) => /^runner-([0-9a-f]{12,16})$/.exec(t)?.[1])
      .filter((r): r is string => !!r)
      .sort();
  }

  /** A runner's segments, oldest first, and their event lines in order. */
  async readChain(runner: string): Promise<{ segments: SegmentInfo[]; lines: string[] }> {
    checkId(runner, "runner id");
    const segments: Array<{ info: SegmentInfo; lines: string[] }> = [];
    let tag: string | undefined = `runner-${runner}`;
    while (tag) {
      if (segments.length >= MAX_SEGMENTS)
        throw new RepositoryError(`the audit chain of runner ${runner} in ${this.where()} has more than ${MAX_SEGMENTS} segments or a loop`);
      const read = await this.readArtifact(tag, SEGMENT_TYPE);
      if (!read) throw new RepositoryError(`segment ${tag} of runner ${runner} is missing from ${this.where()}: the chain is broken`);
      const info = parseSegment(read.config, tag);
      if (info.runner !== runner) throw new RepositoryError(`segment ${tag} in ${this.where()} names runner ${info.runner}, not ${runner}`);
      segments.unshift({
        info,
        lines: read.layer
          .toString("utf8")
          .split("\n")
          .filter((l) => l.length > 0),
      });
      tag = info.previous;
    }
    return { segments: segments.map((s) => s.info), lines: segments.flatMap((s) => s.lines) };
  }

  async putAnchor(anchor: AuditAnchor): Promise<string> {
    checkId(anchor.logId, "log id");
    const tag = `anchor-${anchor.logId}-${anchor.seq}`;
    await this.putArtifact(tag, ANCHOR_TYPE, anchor, ANCHOR_TYPE, Buffer.from(canonicalJson(anchor)));
    return tag;
  }

  async newestAnchor(logId: string): Promise<{ tag: string; anchor: AuditAnchor } | undefined> {
    checkId(logId, "log id");
    const prefix = `anchor-${logId}-`;
    const seqs = (await listTags(this.client, this.repo))
      .filter((t) => t.startsWith(prefix) && /^\d{1,15}$/.test(t.slice(prefix.length)))
      .map((t) => Number(t.slice(prefix.length)));
    if (seqs.length === 0) return undefined;
    const tag = `${prefix}${Math.max(...seqs)}`;
    const read = await this.readArtifact(tag, ANCHOR_TYPE);
    if (!read) return undefined;
    return { tag, anchor: parseAnchor(read.config, `${this.where()}:${tag}`) };
  }

  private async putArtifact(tag: string, configType: string, config: object, layerType: string, layer: Buffer): Promise<void> {
    const configBytes = Buffer.from(canonicalJson(config));
    const configDigest = sha256(configBytes);
    const layerDigest = sha256(layer);
    await uploadSmallBlob(this.client, this.repo, configBytes, configDigest);
    await uploadSmallBlob(this.client, this.repo, layer, layerDigest);
    const manifest: OciImageManifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST_MEDIA_TYPE,
      artifactType: configType,
      config: { mediaType: configType, digest: configDigest, size: configBytes.length },
      layers: [{ mediaType: layerType, digest: layerDigest, size: layer.length }],
    };
    await putManifest(this.client, this.repo, tag, Buffer.from(canonicalJson(manifest)));
  }

  private async readArtifact(tag: string, configType: string): Promise<{ config: unknown; layer: Buffer } | undefined> {
    const fetched = await getManifest(this.client, this.repo, tag);
    if (!fetched) return undefined;
    const m = fetched.manifest;
    if (m.config?.mediaType !== configType || !Array.isArray(m.layers) || m.layers.length !== 1) {
      throw new RepositoryError(`${this.where()}:${tag} is not a dbclone audit artifact`);
    }
    const config = JSON.parse((await getSmallBlob(this.client, this.repo, m.config.digest, 64 << 10)).toString("utf8")) as unknown;
    const layer = await getSmallBlob(this.client, this.repo, m.layers[0]!.digest, 64 << 20);
    return { config, layer };
  }

  private where(): string {
    return `${this.client.location.display}/${AUDIT_REPOSITORY}`;
  }
}

function checkId(id: string, what: string): void {
  if (!ID.test(id)) throw new RepositoryError(`${what} '${id.slice(0, 40)}' must be 12-16 lowercase hex characters`);
}

const isHash = (v: unknown): v is string => typeof v === "string" && /^sha256:[0-9a-f]{64}$/.test(v);
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function parseSegment(raw: unknown, tag: string): SegmentInfo {
  const s = raw as Partial<SegmentInfo> | null;
  const ok =
    s &&
    typeof s.runner === "string" &&
    ID.test(s.runner) &&
    isSeq(s.fromSeq) &&
    isSeq(s.toSeq) &&
    s.fromSeq <= s.toSeq &&
    isHash(s.headHash) &&
    (s.previous === undefined || (typeof s.previous === "string" && /^seg-[0-9a-f]{12,16}-\d{1,15}$/.test(s.previous)));
  if (!ok) throw new RepositoryError(`audit segment ${tag} has an invalid description (runner, fromSeq, toSeq, headHash, previous)`);
  return s as SegmentInfo;
}
