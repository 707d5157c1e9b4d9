// The build-image action's SQL Server inputs become one backup-chain source (routed to Windows).
import { afterEach, describe, expect, it, vi } from "vitest";
import { readSources } from "../../../actions/build-image/src/sources.js";

afterEach(() => vi.unstubAllEnvs());
const input = (name: string, value: string) => vi.stubEnv(`INPUT_${name.toUpperCase()}`, value);

describe("build-image action: SQL Server sources", () => {
  it("reads from-backup, differential-backup and log-backups as one chain", () => {
    input("from-backup", "C:\\bak\\full.bak");
    input("differential-backup", "C:\\bak\\diff.bak");
    input("log-backups", "C:\\bak\\2.trn\nC:\\bak\\1.trn\n");
    expect(readSources()).toEqual([
      { kind: "backup-chain", full: "C:\\bak\\full.bak", differential: "C:\\bak\\diff.bak", logs: ["C:\\bak\\2.trn", "C:\\bak\\1.trn"] },
    ]);
  });
  it("refuses log backups without a full backup, and a backup mixed with a dump", () => {
    input("log-backups", "C:\\bak\\1.trn");
    expect(() => readSources()).toThrow(/go with 'from-backup'/);
    vi.unstubAllEnvs();
    input("from-backup", "C:\\bak\\full.bak");
    input("from-dump", "/tmp/a.dump");
    expect(() => readSources()).toThrow(/set only one of/);
  });
});
