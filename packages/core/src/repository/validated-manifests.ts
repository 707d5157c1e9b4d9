// Manifests this dbclone has validated, by digest, in a local private file beside the verified-blob
// stamps (<cacheDir>/validated-manifests.json): every clone resolves its image and so reads its
// manifest again, and validating it means building the manifest schema first (5–25 ms of a clone's
// start). A manifest whose canonical digest is recorded here under this schema revision holds the
// same bytes as one that passed validation, and is used as parsed; any other (edited, another
// version, another schema revision) is validated as always. Losing the file only costs a validation.
import path from "node:path";
import { manifestDigest } from "../image/digest.js";
import { MANIFEST_SCHEMA_REVISION, parseManifestJson, validateManifest, type ImageManifest } from "../image/manifest.js";
import { writeFileAtomic } from "../util/durable-write.js";
import { readOwnFile } from "../util/own-file.js";
import { makeDir, PRIVATE_DIR } from "../util/paths.js";

/** Enough for every version a runner clones; the oldest are dropped past it. */
const MAX_DIGESTS = 256;

interface StampFile {
  revision: number;
  digests: string[];
}

export class ValidatedManifests {
  constructor(readonly file: string) {}

  /**
   * The manifest in `text` and its digest: used as parsed when its digest is recorded as validated,
   * else validated (an invalid one throws, naming `source` and the field) and then recorded when
   * validation left it as it was (no defaults filled in, so the parsed value is the validated one).
   */
  async read(text: string, source: string): Promise<{ manifest: ImageManifest; digest: string }> {
    const value = parseManifestJson(text, source);
    const digest = isObject(value) ? manifestDigest(value as ImageManifest) : undefined;
    const known = await this.load();
    if (digest && known.includes(digest)) return { manifest: value as ImageManifest, digest };
    const manifest = validateManifest(value, source);
    const validated = manifestDigest(manifest);
    if (validated === digest) await this.save([...known.filter((d) => d !== digest), digest].slice(-MAX_DIGESTS)).catch(() => undefined);
    return { manifest, digest: validated };
  }

  private async load(): Promise<string[]> {
    try {
      const text = await readOwnFile(this.file); // a record someone else wrote, or a link, counts as none
      if (text === undefined) return [];
      const parsed = JSON.parse(text) as Partial<StampFile>;
      if (parsed.revision !== MANIFEST_SCHEMA_REVISION || !Array.isArray(parsed.digests)) return [];
      return parsed.digests.filter((d): d is string => typeof d === "string");
    } catch {
      return []; // absent or damaged: every manifest is validated
    }
  }

  private async save(digests: string[]): Promise<void> {
    await makeDir(path.dirname(this.file), PRIVATE_DIR);
    await writeFileAtomic(this.file, JSON.stringify({ revision: MANIFEST_SCHEMA_REVISION, digests } satisfies StampFile), 0o600);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function validatedManifests(cacheDir: string): ValidatedManifests {
  return new ValidatedManifests(path.join(cacheDir, "validated-manifests.json"));
}
