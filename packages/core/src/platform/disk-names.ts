// The clone disk drivers by the name a clone record keeps (`record.disk`) and --disk takes, with
// the file format each writes. Kept apart from registry.ts so the clone registry can name a
// child's file without loading any driver or engine.
export const CLONE_DISK_FORMATS = { qcow2: "qcow2", reflink: "qcow2", vhdx: "vhdx" } as const;

export type CloneDiskName = keyof typeof CLONE_DISK_FORMATS;
export type DiskFormat = (typeof CLONE_DISK_FORMATS)[CloneDiskName];
