/**
 * The registry of `gam` subcommands, in the order `gam --help` lists them.
 *
 * @module
 */
import type { Command } from "../command.ts";
import { runCommand } from "./run.ts";
import { serveCommand } from "./serve.ts";
import { fetchCommand } from "./fetch.ts";
import { gridCommand } from "./grid.ts";
import { filterCommand } from "./filter.ts";
import { qcCommand } from "./qc.ts";
import { cacheCommand } from "./cache.ts";
import { dbCommand } from "./db.ts";
import { configCommand } from "./config.ts";

/** Every subcommand of `gam`. */
export const commands: readonly Command[] = [
  runCommand,
  serveCommand,
  fetchCommand,
  gridCommand,
  filterCommand,
  qcCommand,
  cacheCommand,
  dbCommand,
  configCommand,
];
