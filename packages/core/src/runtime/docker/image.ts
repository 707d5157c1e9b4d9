// The server image: there already, or pulled once (the official postgres:<major> by default).
import type Docker from "dockerode";
import { DbcloneError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { apiStatus } from "./client.js";

export async function ensureImage(docker: Docker, image: string, opts: { pull: boolean; reporter?: Reporter }): Promise<void> {
  try {
    await docker.getImage(image).inspect();
    return;
  } catch (e) {
    if (apiStatus(e) !== 404) throw e;
  }
  if (!opts.pull) {
    throw new DbcloneError(`The Docker image ${image} is not on this engine and pulling is off. Pull or build it first, or choose another image.`);
  }
  opts.reporter?.info(`Pulling ${image} (once per runner) …`);
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
    });
  } catch (e) {
    throw new DbcloneError(
      `Could not pull the Docker image ${image}: ${(e as Error).message}. Check the name and the registry's reachability, or set docker-image.`,
      { cause: e },
    );
  }
}
