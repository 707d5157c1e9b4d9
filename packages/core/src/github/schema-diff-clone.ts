// The schema difference between a live clone and the image it came from. The image's side comes
// from a fresh, short-lived clone of the same digest (sub-second, no manifest change needed, and it
// sees indexes and constraints exactly as the engine reports them), removed right after.
import { createClone, teardownClones, type CloneRecord } from "../clones/index.js";
import type { Reporter } from "../reporter.js";
import type { Repository } from "../repository/types.js";
import { diffSchemas, type SchemaDiff } from "./schema-diff.js";
import { engineConnection } from "../platform/index.js";
import { NotSupportedError } from "../errors.js";

export interface CloneSchemaDiffOptions {
  clone: CloneRecord;
  repository: Repository;
  home: string;
  reporter: Reporter;
}

export async function diffCloneSchema(opts: CloneSchemaDiffOptions): Promise<SchemaDiff> {
  const { clone } = opts;
  const engine = engineConnection(clone.engine);
  if (!engine.schemaSnapshot) throw new NotSupportedError(`schema diffs of ${clone.engine} clones are not supported yet`);
  const after = await engine.schemaSnapshot(clone, clone.databases);
  const baseline = await createClone({
    repository: opts.repository,
    ref: `${clone.image.name}@${clone.image.manifestDigest}`,
    home: opts.home,
    reporter: opts.reporter,
    ttlSeconds: 600,
    labels: { purpose: "schema-diff", of: clone.id },
  });
  try {
    const before = await engine.schemaSnapshot(baseline.clone, baseline.clone.databases);
    return diffSchemas(before, after, { from: `${clone.image.name}:${clone.image.version}`, to: `clone ${clone.id}` });
  } finally {
    await teardownClones({ home: opts.home, reporter: opts.reporter, id: baseline.clone.id, repository: opts.repository });
  }
}
