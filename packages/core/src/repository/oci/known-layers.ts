// What this runner learned about disk layers: disk digest → compressed layer digest, and the
// OCI repositories that hold it. Lets a later push skip compression and uploading (HEAD or a
// cross-repository mount) when the same disk is published again, e.g. as another variant.
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { withFileLock } from "../../util/file-lock.js";
import { writeFileAtomic } from "../../util/durable-write.js";
import type { OciDescriptor } from "./media-types.js";

export interface KnownLayer {
  layer: OciDescriptor;
  /** `host[:port]/repository` entries known to hold the layer blob. */
  repositories: string[];
}

export class KnownLayers {
  readonly file: string;

  constructor(cacheDir: string) {
    this.file = path.join(cacheDir, "known-layers.json");
  }

  async get(diskDigest: string): Promise<KnownLayer | undefined> {
    return (await this.load())[diskDigest];
  }

  async remember(diskDigest: string, layer: OciDescriptor, repository: string): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    await withFileLock(this.file, async () => {
      const all = await this.load();
      const known = all[diskDigest]?.layer.digest === layer.digest ? all[diskDigest]! : { layer, repositories: [] };
      known.repositories = [...new Set([repository, ...known.repositories])].slice(0, 20);
      all[diskDigest] = known;
      await writeFileAtomic(this.file, JSON.stringify(all), 0o644);
    });
  }

  private async load(): Promise<Record<string, KnownLayer>> {
    try {
      return JSON.parse(await readFile(this.file, "utf8")) as Record<string, KnownLayer>;
    } catch {
      return {};
    }
  }
}
