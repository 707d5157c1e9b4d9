// Split a script on GO the way sqlcmd does, client-side: GO alone on its line (optionally `GO n`
// and a trailing -- comment), never inside a string, a [bracketed] or "quoted" name, or a comment.

export interface Batch {
  sql: string;
  /** `GO n` runs the batch n times. */
  repeat: number;
}

const GO_LINE = /^[ \t]*go(?:[ \t]+(\d+))?[ \t]*(?:--.*)?$/i;

export function splitBatches(script: string): Batch[] {
  const batches: Batch[] = [];
  let current = "";
  // Lexer state carried across lines: inside a string, a quoted name, or a /* */ comment (nests in T-SQL).
  let close: "'" | "]" | '"' | null = null;
  let commentDepth = 0;

  const lines = script.replace(/\r\n?/g, "\n").split("\n");
  for (const line of lines) {
    const m = close === null && commentDepth === 0 ? GO_LINE.exec(line) : null;
    if (m) {
      if (current.trim().length > 0) batches.push({ sql: current.replace(/\n$/, ""), repeat: m[1] ? Number(m[1]) : 1 });
      current = "";
      continue;
    }
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      const next = line[i + 1];
      if (commentDepth > 0) {
        if (c === "/" && next === "*") {
          commentDepth++;
          i++;
        } else if (c === "*" && next === "/") {
          commentDepth--;
          i++;
        }
      } else if (close !== null) {
        if (c === close) {
          if (next === close)
            i++; // a doubled closer stays inside
          else close = null;
        }
      } else if (c === "-" && next === "-") {
        break; // rest of the line is a comment
      } else if (c === "/" && next === "*") {
        commentDepth = 1;
        i++;
      } else if (c === "'") close = "'";
      else if (c === "[") close = "]";
      else if (c === '"') close = '"';
    }
    current += `${line}\n`;
  }
  if (current.trim().length > 0) batches.push({ sql: current.replace(/\n+$/, ""), repeat: 1 });
  return batches;
}
