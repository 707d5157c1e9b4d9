// The image manifest: schema, types and parsing. The sha256 of its canonical JSON is the image id.
// A namespace import: the bundles keep only the zod this file calls (`import { z }` keeps all of it).
import * as z from "zod";
import { ValidationError } from "../errors.js";

/** Image names: lowercase path segments like OCI repository names. */
export const IMAGE_NAME_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
/** Versions and tags: OCI tag grammar. */
export const VERSION_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Bumped with every change to the schema: a manifest stamped as validated by another revision is
 * validated again (repository/validated-manifests.ts). test/unit/image/manifest.test.ts fails when
 * the schema changes and this does not.
 */
export const MANIFEST_SCHEMA_REVISION = 1;

function buildManifestSchema() {
  const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 lowercase hex>");

  const column = z.object({ name: z.string(), type: z.string(), nullable: z.boolean() }).strict();
  const table = z
    .object({
      schema: z.string(),
      name: z.string(),
      rowEstimate: z.number().int().nonnegative(),
      sizeBytes: z.number().int().nonnegative(),
      columns: z.array(column),
    })
    .strict();

  const count = z.number().int().nonnegative();

  /** The leak scan's record (masking.leakScan). Fields after `hits` came later: old manifests lack them. */
  const leakScanRecord = z.object({
    bytesScanned: count,
    probes: count,
    hits: count,
    mode: z.enum(["exhaustive", "none"]).optional(),
    reason: z.string().optional(),
    valuesSearched: count.optional(),
    valuesTotal: count.optional(),
    publishedValuesRead: count.optional(),
    matches: count.optional(),
    explained: z.record(z.string(), count).optional(),
    copies: z.array(z.record(z.string(), z.unknown())).optional(),
    copiesFailed: count.optional(),
    highCardinalityRatio: z.number().optional(),
  });

  return z
    .object({
      schemaVersion: z.literal(1),
      name: z.string().regex(IMAGE_NAME_PATTERN, "must be lowercase letters, digits, '.', '_', '-' and '/' segments"),
      version: z.string().regex(VERSION_PATTERN, "must be 1-128 of A-Z a-z 0-9 _ . - and not start with . or -"),
      created: z.iso.datetime(),
      engine: z.object({ kind: z.enum(["postgres", "sqlserver"]), version: z.string().min(1) }).strict(),
      platform: z.object({ os: z.enum(["linux", "windows"]), diskFormat: z.enum(["qcow2", "vhdx"]), filesystem: z.string().optional() }).strict(),
      databases: z
        .array(z.object({ name: z.string().min(1), sizeBytes: z.number().int().nonnegative(), tables: z.array(table) }).strict())
        .min(1, "an image holds at least one database"),
      disk: z
        .object({
          digest,
          sizeBytes: z.number().int().nonnegative(),
          virtualSizeBytes: z.number().int().nonnegative(),
          /** Digest of the uncompressed bytes where a transport compresses the blob. */
          uncompressedDigest: digest.optional(),
        })
        .strict(),
      /** Manifest digest of the version this one layers on (promoted/layered versions). */
      parent: digest.optional(),
      source: z
        .object({
          kind: z.enum(["dump", "datadir", "server", "backup-chain", "basebackup", "clone"]),
          /** What the source was, by file or directory basename: never a builder's absolute path. */
          description: z.string(),
          /** Source files by basename and sha256 (dump files), so a rebuild can be matched to its inputs. */
          files: z.array(z.object({ name: z.string(), digest }).strict()).optional(),
          capturedAt: z.iso.datetime(),
          backupChain: z.record(z.string(), z.unknown()).optional(),
          /** Every role's password (the bootstrap superuser's included) was removed at build. Absent in older manifests. */
          rolePasswordsStripped: z.boolean().optional(),
        })
        .strict(),
      masking: z
        .object({
          policyDigest: digest,
          variant: z.string().optional(),
          rules: z.array(z.record(z.string(), z.unknown())),
          rowsChanged: z.number().int().nonnegative(),
          scan: z.object({ piiCandidates: z.array(z.record(z.string(), z.unknown())) }).optional(),
          /** Unmasked columns the policy declares not personal, with the reason. */
          notPersonal: z.array(z.object({ column: z.string(), reason: z.string() })).optional(),
          leakScan: leakScanRecord.optional(),
        })
        .optional(),
      /** Published without masking although the PII scan found personal data: who said so and why. */
      unmasked: z
        .object({ reason: z.string().min(1), piiCandidates: z.array(z.record(z.string(), z.unknown())) })
        .strict()
        .optional(),
      git: z
        .object({ repository: z.string().optional(), commit: z.string().optional(), ref: z.string().optional(), tag: z.string().optional() })
        .strict()
        .optional(),
      build: z
        .object({
          runUrl: z.string().optional(),
          actor: z.string().optional(),
          startedAt: z.iso.datetime(),
          finishedAt: z.iso.datetime(),
          toolVersion: z.string(),
        })
        .strict(),
      access: z
        .object({ users: z.array(z.string()).default([]), teams: z.array(z.string()).default([]) })
        .strict()
        .optional(),
      labels: z.record(z.string(), z.string()).default({}),
    })
    .strict();
}

let built: ReturnType<typeof buildManifestSchema> | undefined;

/**
 * The schema, built on first use: its ~40 zod schemas take 5–25 ms to make, a large part of a
 * `dbclone clone`'s start, and a clone whose manifest was validated before never needs them.
 */
export const manifestSchema = (): ReturnType<typeof buildManifestSchema> => {
  built ??= buildManifestSchema();
  return built;
};

export type ImageManifest = z.infer<ReturnType<typeof buildManifestSchema>>;
export type DatabaseEntry = ImageManifest["databases"][number];

/** Validate a manifest object; `source` names the file or origin in the error. */
export function validateManifest(value: unknown, source: string): ImageManifest {
  // jitless: zod's fast path compiles a parser with new Function on first use (~5 ms), more than a
  // one-shot process (a CLI command, an action step) spends parsing its few manifests.
  const result = manifestSchema().safeParse(value, { jitless: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.map(String).join(".") : "(root)";
  throw new ValidationError(`${source}: invalid manifest field '${field}': ${issue.message}`, source, field);
}

/** Parse manifest JSON text; a syntax error names the source too. */
export function parseManifest(text: string, source: string): ImageManifest {
  return validateManifest(parseManifestJson(text, source), source);
}

/** The JSON value of manifest text, not validated yet; a syntax error names the source. */
export function parseManifestJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`${source}: not valid JSON (${(e as Error).message})`, source);
  }
}
