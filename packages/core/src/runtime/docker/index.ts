// Public surface of the docker runtime.
export { DockerRuntime, removeContainer, containerLog, type DockerRuntimeConfig } from "./runtime.js";
export { dockerClient, dockerEndpoint, dockerConfigured, assertDockerReachable } from "./client.js";
export { containerCreateOptions, demuxLog, parseMemory, parseCpus, LABEL_CLONE, LABEL_HOME, LABEL_MANAGED } from "./container-spec.js";
export { listCloneContainers, removeOrphanContainers, cloneLabels, type CloneContainer } from "./gc.js";
export { ensureImage } from "./image.js";
