// Integration tests may skip where a service cannot run (a developer's laptop without dockerd or
// docker-registry), but CI sets DBCLONE_REQUIRE_ALL_TESTS=1: there a skip is a failure, so a broken
// install step cannot turn a suite silently green.
export function requireOrSkip(reason: string | undefined): string | undefined {
  if (reason && process.env.DBCLONE_REQUIRE_ALL_TESTS === "1") {
    throw new Error(`required integration tests cannot run: ${reason}`);
  }
  return reason;
}
