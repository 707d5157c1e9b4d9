// TPS cells measured in several interleaved rounds: medians, and each round's ratio to the native
// run of the same round, summarised as median, min and max (one run of the bench can then decide).
import { percentile, round } from "./stats.js";

export interface RatioSpread {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

/** Median TPS per cell. */
export function medians(cells: Record<string, number[]>): Record<string, number> {
  return Object.fromEntries(Object.entries(cells).map(([k, xs]) => [k, round(percentile(xs, 50), 1)]));
}

/** A driver's cells against native's: round i of the driver is divided by round i of native. */
export function tpsSummary(driver: Record<string, number[]>, native: Record<string, number[]>) {
  const tpsRatioSpread: Record<string, RatioSpread> = {};
  for (const [key, xs] of Object.entries(driver)) {
    const ratios = xs.map((x, i) => round(x / native[key]![i]!, 3));
    tpsRatioSpread[key] = { median: round(percentile(ratios, 50), 3), min: Math.min(...ratios), max: Math.max(...ratios), samples: ratios };
  }
  return {
    tps: medians(driver),
    tpsRatio: Object.fromEntries(Object.entries(tpsRatioSpread).map(([k, s]) => [k, s.median])),
    tpsRatioSpread,
  };
}
