// Public surface of doctor: what this machine still needs for dbclone, and apt to install it.
export { runDoctor, type DoctorCheck, type DoctorOptions, type DoctorReport } from "./run-doctor.js";
export { machineProbe, type MachineProbe } from "./probe.js";
export { REQUIREMENTS, type DoctorFeature } from "./requirements.js";
