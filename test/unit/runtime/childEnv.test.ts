import { describe, expect, it } from "vitest";
import { childEnv, containerEnv } from "../../../packages/core/src/runtime/childEnv.js";

const RUNNER = {
  PATH: "/usr/bin:/bin",
  LANG: "C.UTF-8",
  LC_COLLATE: "C",
  TZ: "UTC",
  HOME: "/root",
  GITHUB_TOKEN: "ghs_secret",
  DBCLONE_MASKING_KEY: "k3y",
  ACTIONS_RUNTIME_TOKEN: "rt",
  AWS_SECRET_ACCESS_KEY: "aws",
  PGPASSWORD: "pw",
  PGHOST: "/elsewhere",
  LD_PRELOAD: "/tmp/evil.so",
  NODE_OPTIONS: "--require /tmp/x.js",
};

describe("the environment every child gets", () => {
  it("passes only the allow-list: no tokens, keys, libpq redirections or loader variables", () => {
    expect(childEnv({}, RUNNER)).toEqual({ PATH: "/usr/bin:/bin", LANG: "C.UTF-8", LC_COLLATE: "C", TZ: "UTC", HOME: "/root" });
  });

  it("adds exactly what one tool needs", () => {
    expect(childEnv({ PGPASSWORD: "for-pg_basebackup" }, RUNNER).PGPASSWORD).toBe("for-pg_basebackup");
  });

  it("gives a container the same allow-list without host paths", () => {
    expect(containerEnv(RUNNER)).toEqual(["LANG=C.UTF-8", "LC_ALL=C.UTF-8", "TZ=UTC"]);
  });
});
