// A unified diff of two schema snapshots (sorted lines), rendered for a PR comment in a ```diff
// block, the way Neon's schema-diff action shows a branch against its parent.

export interface SchemaDiff {
  added: number;
  removed: number;
  /** Unified-diff text (without the fence); empty when the schemas are equal. */
  text: string;
}

/** Both inputs sorted: a merge walk gives the minimal diff; `context` unchanged lines around each change. */
export function diffSchemas(image: string[], clone: string[], labels = { from: "image", to: "clone" }, context = 2): SchemaDiff {
  const a = [...image].sort();
  const b = [...clone].sort();
  const ops: { op: " " | "-" | "+"; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ op: " ", line: a[i++]! });
      j++;
    } else if (j >= b.length || (i < a.length && a[i]! < b[j]!)) ops.push({ op: "-", line: a[i++]! });
    else ops.push({ op: "+", line: b[j++]! });
  }
  const added = ops.filter((o) => o.op === "+").length;
  const removed = ops.filter((o) => o.op === "-").length;
  if (added + removed === 0) return { added, removed, text: "" };

  // Group changes that are within 2*context lines of each other into hunks.
  const keep = ops.map(() => false);
  ops.forEach((o, k) => {
    if (o.op !== " ") for (let x = Math.max(0, k - context); x <= Math.min(ops.length - 1, k + context); x++) keep[x] = true;
  });
  const lines = [`--- ${labels.from}`, `+++ ${labels.to}`];
  let k = 0;
  let aLine = 1;
  let bLine = 1;
  while (k < ops.length) {
    if (!keep[k]) {
      if (ops[k]!.op !== "+") aLine++;
      if (ops[k]!.op !== "-") bLine++;
      k++;
      continue;
    }
    const start = k;
    while (k < ops.length && keep[k]) k++;
    const hunk = ops.slice(start, k);
    const aCount = hunk.filter((o) => o.op !== "+").length;
    const bCount = hunk.filter((o) => o.op !== "-").length;
    lines.push(`@@ -${aLine},${aCount} +${bLine},${bCount} @@`);
    for (const o of hunk) lines.push(`${o.op}${o.line}`);
    aLine += aCount;
    bLine += bCount;
  }
  return { added, removed, text: lines.join("\n") };
}

/** The comment section: a summary line and the diff in a fenced block (or "no changes"). */
export function renderSchemaDiff(image: string, cloneId: string, diff: SchemaDiff, maxChars = 60_000): string {
  const heading = `#### Schema diff: clone \`${cloneId}\` against \`${image}\``;
  if (!diff.text) return `${heading}\n\nNo schema changes: tables, columns, indexes and constraints match the image.`;
  // A PR comment holds at most 65536 characters.
  const body = diff.text.length > maxChars ? `${diff.text.slice(0, maxChars)}\n… (diff truncated)` : diff.text;
  return `${heading}\n\n${diff.added} added, ${diff.removed} removed.\n\n\`\`\`diff\n${body}\n\`\`\``;
}
