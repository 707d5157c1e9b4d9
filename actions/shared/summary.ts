// Job summary tables (core.summary) shared by the actions. Outside a runner there is no summary file:
// then the summary is skipped rather than failing a step that otherwise worked.
import * as core from "@actions/core";

export async function writeSummary(heading: string, rows: [string, string][]): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary
    .addHeading(heading, 3)
    .addTable([
      [
        { data: "Item", header: true },
        { data: "Value", header: true },
      ],
      ...rows.map(([k, v]) => [k, v]),
    ])
    .write();
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
