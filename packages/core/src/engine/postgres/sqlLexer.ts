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
/** Characters that matter in code; everything between them is skipped in one step. */
const CODE_SPECIAL = /[\\\-/'"$;()]/g;
const STRING_SPECIAL = /['\\]/g;
const COMMENT_SPECIAL = /\/\*|\*\//g;
/** Only a statement's start is needed (to see COPY … FROM stdin); longer code is not kept. */
const MAX_STATEMENT_CODE = 1 << 20;

export function scanSqlLine(line: string, start: SqlScanState): LineScan {
  let { mode, dollarTag, commentDepth, parenDepth, statement } = start;
  const finished: string[] = [];
  const code = (s: string): void => {
    if (statement.length < MAX_STATEMENT_CODE) statement += s;
  };
  let i = 0;
  while (i < line.length) {
    if (mode === "code") {
      CODE_SPECIAL.lastIndex = i;
      const m = CODE_SPECIAL.exec(line);
      if (!m) {
        code(line.slice(i));
        break;
      }
      code(line.slice(i, m.index));
      i = m.index;
      const c = line[i]!;
      const next = line[i + 1];
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
        const eString = (prefix === "e" || prefix === "E") && !isIdentChar(line[i - 2]);
        mode = eString ? "escapeString" : "string";
        code(" ");
      } else if (c === '"') {
        mode = "identifier";
        code(" ");
      } else if (c === "$" && !isIdentChar(line[i - 1])) {
        const tag = DOLLAR_TAG.exec(line.slice(i, i + 256))?.[0];
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
      STRING_SPECIAL.lastIndex = i;
      const m = STRING_SPECIAL.exec(line);
      if (!m) break;
      i = m.index;
      if (line[i] === "\\") {
        // A backslash escapes the next character in E'…', and in '…' when standard_conforming_strings is off.
        i += mode === "escapeString" || !start.standardStrings ? 2 : 1;
      } else if (line[i + 1] === "'") i += 2;
      else {
        mode = "code";
        i++;
      }
    } else if (mode === "identifier") {
      const end = line.indexOf('"', i);
      if (end < 0) break;
      if (line[end + 1] === '"') i = end + 2;
      else {
        mode = "code";
        i = end + 1;
      }
    } else if (mode === "dollar") {
      const end = line.indexOf(dollarTag, i);
      if (end < 0) break;
      mode = "code";
      i = end + dollarTag.length;
    } else {
      COMMENT_SPECIAL.lastIndex = i;
      const m = COMMENT_SPECIAL.exec(line);
      if (!m) break;
      i = m.index + 2;
      commentDepth += m[0] === "/*" ? 1 : -1;
      if (commentDepth === 0) mode = "code";
    }
  }
  code("\n");
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
