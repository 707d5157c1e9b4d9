// The seam for masking T-SQL (a later issue): the build calls it when a policy is given.
import { NotSupportedError } from "../../errors.js";

export function maskingScript(_policy: unknown): never {
  throw new NotSupportedError(
    "Masking SQL Server images is not implemented yet: masking T-SQL generation is a later issue. Build without a masking policy, or mask with a PostgreSQL image.",
  );
}
