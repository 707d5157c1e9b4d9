/** Seconds since `start` (from performance.now()), rounded to milliseconds. */
export const secondsSince = (start: number): number => Math.round(performance.now() - start) / 1000;

/** A version made from the current UTC time: 20261127-051500. */
export function timestampVersion(date = new Date()): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10).replace(/-/g, "")}-${iso.slice(11, 19).replace(/:/g, "")}`;
}
