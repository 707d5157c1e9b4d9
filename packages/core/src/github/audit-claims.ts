// Make every audit event a repository writes carry the job's verified OIDC claims: the repository's
// own events (publish, tag) as well as those core appends (build, clone, teardown, denied).
import { AuditLog } from "../audit/log.js";
import type { AuditEvent, AuditEventInput } from "../audit/chain.js";
import type { Repository } from "../repository/types.js";

class ClaimsAuditLog extends AuditLog {
  constructor(
    private readonly inner: AuditLog,
    private readonly claims: Record<string, string>,
  ) {
    super(inner.filePath);
  }

  override append(input: AuditEventInput): Promise<AuditEvent> {
    return this.inner.append({ ...input, claims: input.claims ?? this.claims });
  }
}

/** Replace `repository.audit` in place (so the repository's internal appends get the claims too). */
export function attachAuditClaims(repository: Repository, claims: Record<string, string> | undefined): Repository {
  if (!claims || Object.keys(claims).length === 0) return repository;
  (repository as { audit: AuditLog }).audit = new ClaimsAuditLog(repository.audit, claims);
  return repository;
}
