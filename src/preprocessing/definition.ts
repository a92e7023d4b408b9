/**
 * Pipeline definitions: the compact arrow form and the list form, both parsed to the same
 * tree of steps ({@linkcode PipelineSpec}).
 *
 * Arrow form grammar (whitespace is free):
 *
 * ```
 * chain    := step ("->" step)*
 * step     := call | branches          (a branches block must be the last step of its chain)
 * call     := name [ "(" [param ("," param)*] ")" ]
 * branches := "{" label ":" chain ("," label ":" chain)* "}"
 * param    := name "=" value
 * value    := number | true | false | word | "quoted string" | 'quoted string'
 * ```
 *
 * Example: `outlier(method=mad, threshold=3.5) -> grid(method=mincurv, spacing=0.01) ->
 * { fine: qc, coarse: grid(spacing=0.1) -> qc }`.
 *
 * List form (YAML): a list of `{ stage, params }` items whose last item may be
 * `{ branches: { <label>: [ ...list form... ] } }`.
 *
 * @module
 */

/** A parameter value as written in a definition. */
export type ParamValue = string | number | boolean;

/** One stage invocation. */
export interface StepSpec {
  /** Stage id, e.g. `"grid"`. */
  stage: string;
  /** Parameters as written; validated later by the stage's schema. */
  params: Record<string, ParamValue>;
  /** 1-based column in the arrow form (0 for the list form), for error messages. */
  column: number;
}

/** A chain of steps, optionally ending in labelled parallel branches. */
export interface PipelineSpec {
  steps: StepSpec[];
  /** Branches that all take the output of the last step. Empty when the chain is linear. */
  branches: { label: string; chain: PipelineSpec }[];
}

/**
 * A definition that does not parse. `column` is 1-based in the arrow form.
 *
 * @example Usage
 * ```ts
 * import { parsePipeline, PipelineSyntaxError } from "./definition.ts";
 * try { parsePipeline("grid(spacing=)"); } catch (e) { if (e instanceof PipelineSyntaxError) console.log(e.column); }
 * ```
 */
export class PipelineSyntaxError extends SyntaxError {
  /** 1-based column of the offending character (arrow form), or 0. */
  readonly column: number;
  /**
   * @param message What was found and what was expected.
   * @param column 1-based column.
   * @param source The definition, quoted with a caret under the column.
   */
  constructor(message: string, column: number, source?: string) {
    const pointer = source === undefined || column === 0
      ? ""
      : `\n  ${source}\n  ${" ".repeat(Math.max(0, column - 1))}^`;
    super(`Pipeline definition, column ${column}: ${message}${pointer}`);
    this.name = "PipelineSyntaxError";
    this.column = column;
  }
}

interface Token {
  kind: "name" | "number" | "string" | "arrow" | "punct" | "end";
  text: string;
  value?: string | number;
  column: number;
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const column = i + 1;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "-" && src[i + 1] === ">") {
      tokens.push({ kind: "arrow", text: "->", column });
      i += 2;
    } else if ("(){},:=".includes(c)) {
      tokens.push({ kind: "punct", text: c, column });
      i++;
    } else if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) {
        throw new PipelineSyntaxError(`unterminated string starting with ${c}`, column, src);
      }
      tokens.push({
        kind: "string",
        text: src.slice(i, end + 1),
        value: src.slice(i + 1, end),
        column,
      });
      i = end + 1;
    } else if (/[-+0-9.]/.test(c)) {
      const m = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(src.slice(i));
      if (!m) throw new PipelineSyntaxError(`unexpected "${c}"`, column, src);
      tokens.push({ kind: "number", text: m[0], value: Number(m[0]), column });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(src.slice(i))!;
      // A trailing "-" belongs to an arrow: "qc->x".
      let word = m[0];
      if (word.endsWith("-") && src[i + word.length] === ">") word = word.slice(0, -1);
      tokens.push({ kind: "name", text: word, value: word, column });
      i += word.length;
    } else {
      throw new PipelineSyntaxError(`unexpected character "${c}"`, column, src);
    }
  }
  tokens.push({ kind: "end", text: "end of definition", column: src.length + 1 });
  return tokens;
}

/**
 * Parses the arrow form.
 *
 * @throws {PipelineSyntaxError} with the column and what was expected.
 *
 * @example Usage
 * ```ts
 * import { parsePipeline } from "./definition.ts";
 * const spec = parsePipeline("outlier(method=mad) -> grid(spacing=0.1) -> { a: qc, b: noise }");
 * spec.branches.map((b) => b.label); // ["a", "b"]
 * ```
 */
export function parsePipeline(source: string): PipelineSpec {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (expected: string): never => {
    const t = peek();
    const found = t.kind === "end" ? "end of definition" : `"${t.text}"`;
    throw new PipelineSyntaxError(`expected ${expected}, found ${found}`, t.column, source);
  };
  const eat = (text: string, expected: string) => {
    if (peek().text !== text || (peek().kind !== "punct" && peek().kind !== "arrow")) {
      fail(expected);
    }
    pos++;
  };

  function value(): ParamValue {
    const t = peek();
    if (t.kind === "number" || t.kind === "string") {
      pos++;
      return t.value!;
    }
    if (t.kind === "name") {
      pos++;
      return t.text === "true" ? true : t.text === "false" ? false : t.text;
    }
    return fail("a parameter value (number, word or quoted string)");
  }

  function call(): StepSpec {
    const t = peek();
    if (t.kind !== "name") fail("a stage name");
    pos++;
    const params: Record<string, ParamValue> = {};
    if (peek().text === "(" && peek().kind === "punct") {
      pos++;
      if (peek().text !== ")") {
        for (;;) {
          const key = peek();
          if (key.kind !== "name") fail('a parameter name (as in "name=value")');
          pos++;
          if (key.text in params) {
            throw new PipelineSyntaxError(
              `parameter "${key.text}" given twice to ${t.text}`,
              key.column,
              source,
            );
          }
          eat("=", `"=" after parameter "${key.text}"`);
          params[key.text] = value();
          if (peek().text === "," && peek().kind === "punct") {
            pos++;
            continue;
          }
          break;
        }
      }
      eat(")", '"," or ")"');
    }
    return { stage: t.text, params, column: t.column };
  }

  function chain(): PipelineSpec {
    const spec: PipelineSpec = { steps: [], branches: [] };
    for (;;) {
      if (peek().text === "{" && peek().kind === "punct") {
        if (spec.steps.length === 0) fail("a stage before the branches");
        spec.branches = branches();
        if (peek().kind === "arrow") {
          fail(
            "the end of the chain (branches must be the last step; continue inside each branch)",
          );
        }
        return spec;
      }
      spec.steps.push(call());
      if (peek().kind !== "arrow") return spec;
      pos++;
    }
  }

  function branches(): { label: string; chain: PipelineSpec }[] {
    eat("{", '"{"');
    const out: { label: string; chain: PipelineSpec }[] = [];
    for (;;) {
      const label = peek();
      if (label.kind !== "name") fail('a branch label (as in "fine: qc")');
      if (out.some((b) => b.label === label.text)) {
        throw new PipelineSyntaxError(
          `branch label "${label.text}" used twice`,
          label.column,
          source,
        );
      }
      pos++;
      eat(":", `":" after branch label "${label.text}"`);
      out.push({ label: label.text, chain: chain() });
      if (peek().text === "," && peek().kind === "punct") {
        pos++;
        continue;
      }
      break;
    }
    eat("}", '"," or "}"');
    return out;
  }

  if (peek().kind === "end") fail("a stage name");
  const spec = chain();
  if (peek().kind !== "end") fail('"->" or the end of the definition');
  return spec;
}

/** One item of the list form. */
export type ListItem =
  | { stage: string; params?: Record<string, ParamValue> }
  | { branches: Record<string, ListItem[]> };

/**
 * Converts the list form to a {@linkcode PipelineSpec}.
 *
 * @throws {PipelineSyntaxError} naming the item index when the shape is wrong.
 *
 * @example Usage
 * ```ts
 * import { pipelineFromList } from "./definition.ts";
 * pipelineFromList([{ stage: "grid", params: { spacing: 0.1 } }, { branches: { a: [{ stage: "qc" }] } }]);
 * ```
 */
export function pipelineFromList(items: readonly ListItem[], path = "pipeline"): PipelineSpec {
  const spec: PipelineSpec = { steps: [], branches: [] };
  if (!Array.isArray(items) || items.length === 0) {
    throw new PipelineSyntaxError(`${path}: expected a non-empty list of stages`, 0);
  }
  items.forEach((item, i) => {
    const where = `${path}[${i}]`;
    if (spec.branches.length > 0) {
      throw new PipelineSyntaxError(`${where}: branches must be the last item of a list`, 0);
    }
    if (item && typeof item === "object" && "branches" in item) {
      if (i === 0) {
        throw new PipelineSyntaxError(`${where}: expected a stage before the branches`, 0);
      }
      const entries = Object.entries(item.branches ?? {}) as [string, ListItem[]][];
      if (entries.length === 0) {
        throw new PipelineSyntaxError(`${where}.branches: expected at least one branch`, 0);
      }
      spec.branches = entries.map(([label, list]) => ({
        label,
        chain: pipelineFromList(list, `${where}.branches.${label}`),
      }));
    } else if (item && typeof item === "object" && typeof item.stage === "string") {
      spec.steps.push({ stage: item.stage, params: { ...(item.params ?? {}) }, column: 0 });
    } else {
      throw new PipelineSyntaxError(`${where}: expected { stage, params } or { branches }`, 0);
    }
  });
  return spec;
}

/**
 * Parses either form: a string is the arrow form, an array the list form.
 *
 * @example Usage
 * ```ts
 * import { parseDefinition } from "./definition.ts";
 * parseDefinition("grid(spacing=0.1) -> qc").steps.length; // 2
 * ```
 */
export function parseDefinition(definition: string | readonly ListItem[]): PipelineSpec {
  return typeof definition === "string" ? parsePipeline(definition) : pipelineFromList(definition);
}
