/**
 * The CLI's command contract, flag parsing and error reporting, shared by every subcommand.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/**
 * A `gam` subcommand.
 *
 * @example Usage
 * ```ts
 * import type { Command } from "./command.ts";
 * const hello: Command = {
 *   name: "hello", help: "Usage: gam hello",
 *   run: () => Promise.resolve(0),
 * };
 * ```
 */
export interface Command {
  /** The word after `gam`. */
  name: string;
  /** The full `--help` text. */
  help: string;
  /** Runs the command with the arguments after its name; resolves to the exit status. */
  run(args: string[]): Promise<number>;
}

/**
 * A usage error: bad flag, missing argument, invalid value given on the command line.
 * The CLI prints its message on one line and exits with status 2.
 *
 * @example Usage
 * ```ts
 * import { UsageError } from "./command.ts";
 * const e = new UsageError("--spacing must be > 0, got -1");
 * console.assert(e.name === "UsageError" && e instanceof Error);
 * ```
 */
export class UsageError extends Error {
  /** @param message What was wrong and what was expected. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** Exit status for success. */
export const EXIT_OK = 0;
/** Exit status for a runtime failure. */
export const EXIT_FAILURE = 1;
/** Exit status for a usage or configuration error found before anything ran. */
export const EXIT_USAGE = 2;

/** Flag options of {@linkcode parseFlags}, as in `node:util` `parseArgs`. */
export type FlagSpec = NonNullable<ParseArgsConfig["options"]>;

/** Options of {@linkcode parseFlags}. */
export interface ParseFlagsOptions {
  /**
   * A command that takes one input: the flag (e.g. `"input"`) that a single positional argument
   * fills, so `gam qc FILE` means `gam qc --input FILE`. Giving both, or more than one
   * positional, is a {@linkcode UsageError}; `positionals` is then empty. `command` names the
   * command in messages.
   * @default {undefined}
   */
  positionalInput?: { flag: string; command: string };
}

/**
 * Parses `args` strictly against `options` (unknown flags and missing values are
 * {@linkcode UsageError}s naming the flag). Positionals are allowed, or with
 * `positionalInput` one positional is taken as that flag's value. `--help`/`-h` is always
 * accepted and reported as `help: true`.
 *
 * @example Usage
 * ```ts
 * import { parseFlags } from "./command.ts";
 * const { values } = parseFlags(["--k", "12"], { k: { type: "string" } });
 * values.k; // "12"
 * const qc = parseFlags(["grid.tif"], { input: { type: "string" } }, {
 *   positionalInput: { flag: "input", command: "qc" },
 * });
 * qc.values.input; // "grid.tif"
 * ```
 */
export function parseFlags<T extends FlagSpec>(
  args: string[],
  options: T,
  parse: ParseFlagsOptions = {},
): {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  help: boolean;
} {
  try {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(args),
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    const { help, ...rest } = values as Record<string, string | boolean | undefined>;
    const single = parse.positionalInput;
    if (single !== undefined && positionals.length > 0) {
      const see = `(see gam ${single.command} --help)`;
      if (positionals.length > 1) {
        throw new UsageError(`unexpected argument "${positionals[1]}": one input only ${see}`);
      }
      if (rest[single.flag] !== undefined) {
        throw new UsageError(
          `the input is given twice, as --${single.flag} "${rest[single.flag]}" and as ` +
            `"${positionals[0]}" ${see}`,
        );
      }
      rest[single.flag] = positionals[0];
      return { values: rest, positionals: [], help: help === true };
    }
    return { values: rest, positionals, help: help === true };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // One line: node's messages for e.g. `--sigma -1` span three lines.
    const message = (e as Error).message.replace(/\. To specify a positional.*$/, "")
      .replace(/\s*\n\s*/g, " ");
    throw new UsageError(message);
  }
}

/**
 * `node:util` parseArgs refuses `--bbox -42.6,...` (a value starting with a dash) as
 * ambiguous; negative numbers are common here (west, south), so a flag followed by a negative
 * number is joined as `--flag=value`.
 */
function joinNegativeValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i], next = args[i + 1];
    if (/^--[a-z][a-z-]*$/.test(a) && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/**
 * Reads a numeric flag: `undefined` when absent, a {@linkcode UsageError} naming the flag
 * when the text is not a finite number or breaks `check`.
 *
 * @example Usage
 * ```ts
 * import { numberFlag } from "./command.ts";
 * numberFlag("0.01", "--spacing", (v) => v > 0 || "must be > 0"); // 0.01
 * ```
 */
export function numberFlag(
  text: unknown,
  flag: string,
  check?: (v: number) => true | string,
): number | undefined {
  if (text === undefined) return undefined;
  const v = typeof text === "string" && text.trim() !== "" ? Number(text) : NaN;
  if (!Number.isFinite(v)) throw new UsageError(`${flag} expects a number, got "${text}"`);
  const verdict = check?.(v) ?? true;
  if (verdict !== true) throw new UsageError(`${flag} ${verdict}, got ${text}`);
  return v;
}
