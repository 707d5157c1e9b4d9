export { OciRepository, type OciRepositoryOptions, type OciPullOptions } from "./oci-repository.js";
export { parseOciLocation, repositoryOf, type OciLocation } from "./location.js";
export { findCredentials, fromDockerConfig, type RegistryCredentials, type CredentialSources } from "./credentials.js";
export { parseChallenge, type Challenge } from "./auth.js";
export * from "./media-types.js";
