/**
 * The `gam` command line: {@linkcode main} dispatches to the subcommands of
 * {@linkcode commands} (each loaded only when called, so start-up stays short). A command
 * parses flags ({@linkcode parseFlags}), calls the modules that do the work and prints.
 *
 * @example Run `gam --version` in-process
 * ```ts
 * import { EXIT_OK, main } from "./mod.ts";
 * console.assert((await main(["--version"])) === EXIT_OK);
 * ```
 *
 * @module
 */
export { main, VERSION } from "./main.ts";
export {
  type Command,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  type FlagSpec,
  numberFlag,
  parseFlags,
  type ParseFlagsOptions,
  UsageError,
} from "./command.ts";
export { type CommandEntry, commands } from "./commands/mod.ts";
