// Just enough of GitHub's expression language to drive the examples: context paths, string/number/
// boolean literals, ==, !=, !, &&, ||, parentheses, and the status functions. Anything else throws,
// so an example that outgrows this evaluator fails its scenario loudly instead of running wrongly.
export type Contexts = Record<string, unknown>;

export interface JobStatus {
  failed: boolean;
}

type Token = { kind: "str" | "num" | "ident" | "op"; text: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) i++;
    else if (c === "'") {
      let j = i + 1;
      let text = "";
      for (; j < src.length; j++) {
        if (src[j] === "'" && src[j + 1] === "'") {
          text += "'";
          j++;
        } else if (src[j] === "'") break;
        else text += src[j];
      }
      if (j >= src.length) throw new Error(`expression ${src}: unclosed string`);
      out.push({ kind: "str", text });
      i = j + 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9.]+/.exec(src.slice(i))!;
      out.push({ kind: "num", text: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(src.slice(i))!;
      out.push({ kind: "ident", text: m[0] });
      i += m[0].length;
    } else {
      const two = src.slice(i, i + 2);
      if (["==", "!=", "&&", "||"].includes(two)) {
        out.push({ kind: "op", text: two });
        i += 2;
      } else if ("!()".includes(c)) {
        out.push({ kind: "op", text: c });
        i++;
      } else throw new Error(`expression ${src}: unsupported character '${c}'`);
    }
  }
  return out;
}

export function truthy(v: unknown): boolean {
  return !(v === undefined || v === null || v === false || v === "" || v === 0);
}

export function evaluate(src: string, ctx: Contexts, status: JobStatus = { failed: false }): unknown {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (text?: string) => {
    const t = tokens[pos++];
    if (!t || (text !== undefined && t.text !== text)) throw new Error(`expression ${src}: expected ${text ?? "more"}`);
    return t;
  };
  const or = (): unknown => {
    let v = and();
    while (peek()?.text === "||") {
      take();
      const r = and(); // evaluated either way, as the runner parses the whole expression
      v = truthy(v) ? v : r;
    }
    return v;
  };
  const and = (): unknown => {
    let v = cmp();
    while (peek()?.text === "&&") {
      take();
      const r = cmp();
      v = truthy(v) ? r : v;
    }
    return v;
  };
  const cmp = (): unknown => {
    const left = unary();
    const op = peek()?.text;
    if (op !== "==" && op !== "!=") return left;
    take();
    const right = unary();
    const eq = String(left ?? "").toLowerCase() === String(right ?? "").toLowerCase();
    return op === "==" ? eq : !eq;
  };
  const unary = (): unknown => {
    if (peek()?.text === "!") {
      take();
      return !truthy(unary());
    }
    return primary();
  };
  const primary = (): unknown => {
    const t = take();
    if (t.kind === "str") return t.text;
    if (t.kind === "num") return Number(t.text);
    if (t.text === "(") {
      const v = or();
      take(")");
      return v;
    }
    if (t.kind !== "ident") throw new Error(`expression ${src}: unexpected ${t.text}`);
    if (t.text === "true" || t.text === "false") return t.text === "true";
    if (t.text === "null") return null;
    if (peek()?.text === "(") {
      take("(");
      take(")");
      if (t.text === "always") return true;
      if (t.text === "success") return !status.failed;
      if (t.text === "failure") return status.failed;
      throw new Error(`expression ${src}: unsupported function ${t.text}()`);
    }
    return t.text.split(".").reduce<unknown>((o, key) => (o && typeof o === "object" ? (o as Record<string, unknown>)[key] : undefined), ctx);
  };
  const v = or();
  if (pos !== tokens.length) throw new Error(`expression ${src}: trailing ${tokens[pos]!.text}`);
  return v;
}

/** Replace every `${{ expr }}` in a string; a whole-string expression keeps its type. */
export function interpolate(text: string, ctx: Contexts, status?: JobStatus): string {
  return text.replace(/\$\{\{(.*?)\}\}/gs, (_, expr: string) => {
    const v = evaluate(expr.trim(), ctx, status);
    return v === undefined || v === null ? "" : String(v);
  });
}

/** A step's `if:` (with or without ${{ }}); absent means success(). */
export function stepCondition(condition: unknown, ctx: Contexts, status: JobStatus): boolean {
  if (condition === undefined) return !status.failed;
  if (typeof condition === "boolean") return condition;
  const expr = String(condition)
    .replace(/^\$\{\{(.*)\}\}$/s, "$1")
    .trim();
  const usesStatus = /\b(always|success|failure|cancelled)\(\)/.test(expr);
  return truthy(evaluate(expr, ctx, status)) && (usesStatus || !status.failed);
}
