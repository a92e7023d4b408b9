/**
 * Text from input files (CSV headers, YAML keys, plugin messages) quoted in messages a person
 * reads on a terminal: control characters are shown as escapes instead of being sent to the
 * terminal, where an ANSI sequence in a CSV header could clear the screen, move the cursor or
 * rewrite earlier lines.
 *
 * @module
 */

// C0 controls, DEL, C1 controls, Unicode line/paragraph separators and the bidirectional
// overrides and isolates (which reorder what is displayed, "Trojan Source").
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_WITH_BREAKS =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escape(c: string): string {
  const code = c.charCodeAt(0);
  if (c === "\n") return "\\n";
  if (c === "\r") return "\\r";
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `text` with every control character written as an escape (`ESC` as `\x1b`, `U+202E` as
 * `\u202e`); tabs are kept, and line breaks too with `keepLineBreaks` (for messages whose own
 * structure has several lines, such as a list of configuration issues). Used by the CLI's
 * error rendering (`describeError`), the configuration issue formatter, and the terminal log
 * and summary lines.
 *
 * @param text Any text.
 * @param options `keepLineBreaks`: leave `\n` as is. @default false
 * @returns The text, safe to print on a terminal.
 *
 * @example Usage
 * ```ts
 * import { escapeControlChars } from "./safe_text.ts";
 * escapeControlChars('column "\x1b[2Jlon" not found'); // 'column "\\x1b[2Jlon" not found'
 * ```
 */
export function escapeControlChars(
  text: string,
  options: { keepLineBreaks?: boolean } = {},
): string {
  return text.replace(options.keepLineBreaks ? UNSAFE : UNSAFE_WITH_BREAKS, escape);
}

/**
 * The message of anything thrown or logged: an `Error`'s message, an object's `message` field
 * (errors serialised by the logger or sent from a worker), or else its JSON; never
 * `[object Object]`.
 *
 * @param e A thrown value, or an error as the logger serialised it.
 * @returns Its message.
 *
 * @example Usage
 * ```ts
 * import { errorMessage } from "./safe_text.ts";
 * errorMessage({ name: "NotADirectory", message: "Not a directory (os error 20)" });
 * // "Not a directory (os error 20)"
 * ```
 */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === "object" && e !== null) {
    const m = (e as { message?: unknown }).message;
    if (typeof m === "string") return m;
    try {
      return JSON.stringify(e) ?? String(e);
    } catch {
      return Object.prototype.toString.call(e);
    }
  }
  return String(e);
}
