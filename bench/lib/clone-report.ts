// The clone bench's tables and the targets, every ratio from the same run.
import type { ScaleResult } from "../clone.js";
import { round, table } from "./stats.js";

const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;

interface Target {
  what: string;
  value: number;
  limit: number;
  /** "max": the value must stay at or under the limit; "min": at or over it. */
  kind: "max" | "min";
}

export function printReport(results: ScaleResult[], drivers: string[], load: { min: number; mean: number; max: number }) {
  const rows: (string | number)[][] = [
    [
      "scale",
      "db size",
      "base disk",
      "driver",
      "1st clone s",
      "ready p50 s",
      "ready p95 s",
      "cli wall p50 ms",
      "own bytes",
      "x pg_restore",
      "x template",
      "eph cold",
      "eph warm",
      "dur cold",
      "dur warm",
    ],
  ];
  for (const r of results) {
    const { pgRestoreSeconds: restore, templateCopySeconds: template } = r.baselines;
    const n = r.nativeTps;
    const floor = `floor ${r.wall.floorP50Ms}`;
    rows.push([
      r.scale,
      mb(r.databaseBytes),
      mb(r.baseDiskBytes),
      "native",
      "",
      "",
      "",
      floor,
      "",
      `${restore} s`,
      `${template} s`,
      n.ephemeral_cold!,
      n.ephemeral!,
      n.durable_cold!,
      n.durable!,
    ]);
    for (const d of drivers) {
      const x = r.drivers[d]!;
      const spread = (k: string) => (x.tpsRatioSpread?.[k] ? ` [${x.tpsRatioSpread[k].min}–${x.tpsRatioSpread[k].max}]` : "");
      const t = (k: string) => `${x.tps[k]} (${x.tpsRatio![k]}x${spread(k)})`;
      const p50 = x.cloneReady.p50;
      rows.push([
        "",
        "",
        "",
        d,
        x.firstCloneSeconds,
        p50,
        x.cloneReady.p95,
        x.cliWall?.p50Ms ?? "",
        mb(x.childDiskBytesP50),
        round(restore / p50, 1),
        round(template / p50, 1),
        t("ephemeral_cold"),
        t("ephemeral"),
        t("durable_cold"),
        t("durable"),
      ]);
    }
  }
  const walls = results.map(
    (r) =>
      `scale ${r.scale}: node -e 0 ${r.wall.node.p50Ms} ms, PostgreSQL on a copy ${r.wall.pgStartOnCopy.p50Ms} ms, --version ${r.wall.version.p50Ms} ms` +
      (r.wall.baselineCli
        ? `; baseline CLI ${r.wall.baselineCli.path} (${r.wall.baselineCli.disk}) clone wall p50 ${r.wall.baselineCli.p50Ms} ms = ${round(r.wall.baselineCli.p50Ms / r.wall.floorP50Ms, 2)}x the floor`
        : ""),
  );

  const targets: Record<string, Target[]> = {};
  const [small, big] = [results[0]!, results[results.length - 1]!];
  for (const d of drivers) {
    const list: Target[] = [];
    for (const r of results) {
      const x = r.drivers[d]!;
      if (x.cliWall)
        list.push({ what: `scale ${r.scale}: clone wall p50 / floor`, value: round(x.cliWall.p50Ms / r.wall.floorP50Ms, 2), limit: 2.0, kind: "max" });
      const of = (k: string) => {
        const sp = x.tpsRatioSpread?.[k];
        return sp ? `median of ${sp.samples.length} rounds, ${sp.min}–${sp.max}` : "one round";
      };
      list.push({
        what: `scale ${r.scale}: cold TPS / native, ephemeral (${of("ephemeral_cold")})`,
        value: x.tpsRatio!.ephemeral_cold!,
        limit: 0.95,
        kind: "min",
      });
      list.push({ what: `scale ${r.scale}: cold TPS / native, durable (${of("durable_cold")})`, value: x.tpsRatio!.durable_cold!, limit: 0.6, kind: "min" });
    }
    if (results.length > 1)
      list.push({
        what: `ready p50 scale ${big.scale} / scale ${small.scale}`,
        value: round(big.drivers[d]!.cloneReady.p50 / small.drivers[d]!.cloneReady.p50, 2),
        limit: 1.2,
        kind: "max",
      });
    targets[d] = list;
  }
  const version = results.map((r) => round(r.wall.version.p50Ms / r.wall.node.p50Ms, 2));
  const versionTarget: Target = { what: "dbclone --version / node -e 0 (p50, worst scale round)", value: Math.max(...version), limit: 1.3, kind: "max" };
  const met = (t: Target) => (t.kind === "max" ? t.value <= t.limit : t.value >= t.limit);
  const targetRows: (string | number)[][] = [["driver", "target", "value", "limit", "met"]];
  for (const [d, list] of Object.entries(targets))
    for (const t of list) targetRows.push([d, t.what, t.value, `${t.kind === "max" ? "≤" : "≥"} ${t.limit}`, met(t) ? "yes" : "NO"]);
  targetRows.push(["", versionTarget.what, versionTarget.value, `≤ ${versionTarget.limit}`, met(versionTarget) ? "yes" : "NO"]);

  process.stdout.write(
    `${table(rows)}\nTPS: per driver, median over the rounds (median of each round's ratio to the plain data directory [min–max]).\n${walls.join("\n")}\n\n` +
      `Targets (issue #16), this run; load average (1 min) during it: min ${load.min}, mean ${load.mean}, max ${load.max}\n${table(targetRows)}\n`,
  );
  return {
    readyRatioBigVsSmall: Object.fromEntries(drivers.map((d) => [d, round(big.drivers[d]!.cloneReady.p50 / small.drivers[d]!.cloneReady.p50, 2)])),
    targets: Object.fromEntries(Object.entries(targets).map(([d, list]) => [d, list.map((t) => ({ ...t, met: met(t) }))])),
    version: { ...versionTarget, met: met(versionTarget) },
  };
}
