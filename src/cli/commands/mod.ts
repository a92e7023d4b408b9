/**
 * The registry of `gam` subcommands, in the order `gam --help` lists them.
 *
 * @module
 */
import type { Command } from "../command.ts";
import { runCommand } from "./run.ts";
import { dbCommand } from "./db.ts";
import { configCommand } from "./config.ts";

/** Every subcommand of `gam`. */
export const commands: readonly Command[] = [
  runCommand,
  dbCommand,
  configCommand,
];
