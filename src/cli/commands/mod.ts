/**
 * The registry of `gam` subcommands, in the order `gam --help` lists them.
 *
 * @module
 */
import type { Command } from "../command.ts";
import { runCommand } from "./run.ts";
import { configCommand } from "./config.ts";
import { dbCommand } from "./db.ts";
import { gridCommand } from "./grid.ts";

/** Every subcommand of `gam`. */
export const commands: readonly Command[] = [
  runCommand,
  configCommand,
  dbCommand,
  gridCommand,
];
