// A verifier prepared while the clone's server starts is taken once by its login; one no login takes
// (the clone failed first) is dropped after PREPARED_VERIFIER_TTL_MS instead of living as long as
// the process (the library or an action's post step).
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  PREPARED_VERIFIER_TTL_MS,
  prepareVerifier,
  preparedVerifierCount,
  scramVerifier,
  takeVerifier,
} from "../../../packages/core/src/engine/postgres/scram.js";

afterEach(() => vi.useRealTimers());

describe("prepared SCRAM verifiers", () => {
  it("is taken once: a second take derives a new verifier (new salt)", async () => {
    prepareVerifier("pw-taken");
    expect(preparedVerifierCount()).toBe(1);
    const first = await takeVerifier("pw-taken");
    expect(preparedVerifierCount()).toBe(0);
    const second = await takeVerifier("pw-taken");
    expect(first).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(second).not.toBe(first);
  });

  it("one never taken is dropped after the TTL", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    prepareVerifier("pw-abandoned");
    expect(preparedVerifierCount()).toBe(1);
    vi.advanceTimersByTime(PREPARED_VERIFIER_TTL_MS - 1);
    expect(preparedVerifierCount()).toBe(1);
    vi.advanceTimersByTime(1);
    expect(preparedVerifierCount()).toBe(0);
  });

  it("a verifier for a known salt matches PostgreSQL's format for that password", async () => {
    const v = await scramVerifier("secret", Buffer.alloc(16, 1));
    expect(v).toMatch(/^SCRAM-SHA-256\$4096:AQEBAQEBAQEBAQEBAQEBAQ==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
  });
});
