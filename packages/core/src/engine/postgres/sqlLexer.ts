// Just enough of psql's lexer to know where a backslash is a psql command: outside '…', E'…',
// "…", $tag$…$tag$, -- and /* */ (psql reads a backslash there as data). Also collects each
// finished statement's code (quoted text and comments dropped) so COPY … FROM stdin is seen.

type Mode = "code" | "string" | "escapeString" | "identifier" | "dollar" | "comment";

export interface SqlScanState {
  readonly mode: Mode;
  readonly dollarTag: string;
  readonly commentDepth: number;
  readonly parenDepth: number;
  /** Code of the statement so far, quoted text and comments left out. */
  readonly statement: string;
  readonly atStatementStart: boolean;
  /** standard_conforming_strings: whether '…' takes backslash escapes (off) or not (on). */
  readonly standardStrings: boolean;
}

export interface LineScan {
  state: SqlScanState;
  /** Statements that ended on this line (their code only). */
  finished: string[];
  /** Index of a backslash psql would read as a command. */
  backslashAt?: number;
}

export const startOfScan = (standardStrings: boolean): SqlScanState => ({
  mode: "code",
  dollarTag: "",
  commentDepth: 0,
  parenDepth: 0,
  statement: "",
  atStatementStart: true,
  standardStrings,
});

const isIdentChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

export function scanSqlLine(line: string, start: SqlScanState): LineScan {
  let { mode, dollarTag, commentDepth, parenDepth, statement } = start;
  const finished: string[] = [];
  let i = 0;
  const code = (s: string): void => {
    statement += s;
  };
  while (i < line.length) {
    const c = line[i]!;
    const next = line[i + 1];
    if (mode === "code") {
      if (c === "\\") return { state: { ...start, mode, statement }, finished, backslashAt: i };
      if (c === "-" && next === "-") break; // comment to the end of the line
      if (c === "/" && next === "*") {
        mode = "comment";
        commentDepth = 1;
        i += 2;
        continue;
      }
      if (c === "'") {
        const prefix = line[i - 1];
        const escape = (prefix === "e" || prefix === "E") && !isIdentChar(line[i - 2]);
        mode = escape ? "escapeString" : "string";
        code(" ");
      } else if (c === '"') {
        mode = "identifier";
        code(" ");
      } else if (c === "$" && !isIdentChar(line[i - 1])) {
        const tag = DOLLAR_TAG.exec(line.slice(i))?.[0];
        if (tag) {
          mode = "dollar";
          dollarTag = tag;
          code(" ");
          i += tag.length;
          continue;
        }
        code(c);
      } else if (c === ";" && parenDepth === 0) {
        finished.push(statement);
        statement = "";
      } else {
        if (c === "(") parenDepth++;
        if (c === ")" && parenDepth > 0) parenDepth--;
        code(c);
      }
      i++;
    } else if (mode === "string" || mode === "escapeString") {
      if (c === "\\" && (mode === "escapeString" || !start.standardStrings)) i += 2;
      else if (c === "'" && next === "'") i += 2;
      else {
        if (c === "'") mode = "code";
        i++;
      }
    } else if (mode === "identifier") {
      if (c === '"' && next === '"') i += 2;
      else {
        if (c === '"') mode = "code";
        i++;
      }
    } else if (mode === "dollar") {
      if (line.startsWith(dollarTag, i)) {
        mode = "code";
        i += dollarTag.length;
      } else i++;
    } else {
      if (c === "/" && next === "*") {
        commentDepth++;
        i += 2;
      } else if (c === "*" && next === "/") {
        commentDepth--;
        i += 2;
        if (commentDepth === 0) mode = "code";
      } else i++;
    }
  }
  statement += "\n";
  const state: SqlScanState = {
    mode,
    dollarTag,
    commentDepth,
    parenDepth: finished.length > 0 && statement.trim() === "" ? 0 : parenDepth,
    statement,
    atStatementStart: mode === "code" && statement.trim() === "",
    standardStrings: start.standardStrings,
  };
  return { state, finished };
}
