// `oci://host[:port]/namespace` → where the registry is and which repository prefix we use.
import { UsageError } from "../../errors.js";

export interface OciLocation {
  /** host[:port] as written (the key for credentials). */
  registry: string;
  /** http://… or https://… with no trailing slash. */
  baseUrl: string;
  /** Repository prefix; an image `name` lives in `<namespace>/<name>` (empty: `<name>`). */
  namespace: string;
  /** The location without credentials, for messages and the manifest. */
  display: string;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/;
const NAMESPACE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

/**
 * Parse an oci:// location. Loopback registries are spoken to over plain HTTP (like docker does);
 * every other host over HTTPS unless `plainHttp` is set.
 */
export function parseOciLocation(location: string, plainHttp = false): OciLocation {
  const s = location.trim();
  if (!s.startsWith("oci://")) throw new UsageError(`'${location}' is not an OCI location; write oci://host[:port]/namespace`);
  const rest = s.slice("oci://".length).replace(/\/+$/, "");
  if (rest.includes("@"))
    throw new UsageError(`'${location}' holds credentials; pass them in DBCLONE_REGISTRY_USER / DBCLONE_REGISTRY_PASSWORD or ~/.docker/config.json instead`);
  const slash = rest.indexOf("/");
  const registry = slash < 0 ? rest : rest.slice(0, slash);
  const namespace = slash < 0 ? "" : rest.slice(slash + 1);
  if (!/^(\[[0-9a-f:]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(registry)) {
    throw new UsageError(`'${location}': registry host '${registry}' is not a host[:port]; write oci://ghcr.io/my-org`);
  }
  if (namespace && !NAMESPACE.test(namespace)) {
    throw new UsageError(`'${location}': namespace '${namespace}' must be lowercase letters, digits, '.', '_', '-' in '/'-separated segments`);
  }
  const scheme = plainHttp || LOOPBACK.test(registry) ? "http" : "https";
  return { registry, baseUrl: `${scheme}://${registry}`, namespace, display: `oci://${registry}${namespace ? `/${namespace}` : ""}` };
}

/** The OCI repository that holds image `name`. */
export function repositoryOf(loc: OciLocation, name: string): string {
  return loc.namespace ? `${loc.namespace}/${name}` : name;
}
