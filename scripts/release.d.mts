export class ReleaseError extends Error {}
export function parseTag(tag: string): { version: string; major: string; prerelease: boolean };
export function checkVersions(version: string, root?: string): void;
export function releaseNotes(changelog: string, version: string): string;
export function releaseCommands(tag: string, notesFile: string): string[][];
export function release(options: { tag: string; dryRun?: boolean; root?: string; log?: (line: string) => void }): {
  version: string;
  notes: string;
  commands: string[][];
};
