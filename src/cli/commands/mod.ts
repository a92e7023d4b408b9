/**
 * The registry of `gam` subcommands, in the order `gam --help` lists them. Each command's
 * module is imported only when it runs, so a command pays only for what it uses (`gam grid`
 * does not load the database engines).
 *
 * @module
 */
import type { Command } from "../command.ts";

/** A registered subcommand: its name, its line in `gam --help`, and its module. */
export interface CommandEntry {
  /** The word after `gam`. */
  name: string;
  /** One line for `gam --help`. */
  summary: string;
  /** Imports the command's module. */
  load(): Promise<Command>;
}

/** Every subcommand of `gam`. */
export const commands: readonly CommandEntry[] = [
  {
    name: "run",
    summary: "Run the pipeline for the configured modalities",
    load: async () => (await import("./run.ts")).runCommand,
  },
  {
    name: "serve",
    summary: "Run modalities on their schedules; serve /metrics, /healthz, /readyz",
    load: async () => (await import("./serve.ts")).serveCommand,
  },
  {
    name: "worker",
    summary: "Pull jobs of queued runs (execution.mode queue) for a worker profile",
    load: async () => (await import("./worker.ts")).workerCommand,
  },
  {
    name: "fetch",
    summary: "Fetch one modality from its source plugin and print a summary",
    load: async () => (await import("./fetch.ts")).fetchCommand,
  },
  {
    name: "grid",
    summary: "Grid scattered points onto a lon/lat grid (GeoTIFF or Zarr)",
    load: async () => (await import("./grid.ts")).gridCommand,
  },
  {
    name: "filter",
    summary: "Filter or transform a grid: gaussian, median, bandpass, upward, rtp, tilt, ...",
    load: async () => (await import("./filter.ts")).filterCommand,
  },
  {
    name: "qc",
    summary: "Quality control of a grid: completeness, seams, anomalies",
    load: async () => (await import("./qc.ts")).qcCommand,
  },
  {
    name: "cache",
    summary: "Inspect and maintain the cache (ls, pin, unpin, verify, sweep, clear)",
    load: async () => (await import("./cache.ts")).cacheCommand,
  },
  {
    name: "db",
    summary: "Database: migrate, status, backup FILE, restore FILE",
    load: async () => (await import("./db.ts")).dbCommand,
  },
  {
    name: "storage",
    summary: "Object storage: push RUN_ID, lifecycle show|apply, prune --dry-run",
    load: async () => (await import("./storage.ts")).storageCommand,
  },
  {
    name: "logs",
    summary: "Print a run's log lines in time order (run folder and shared worker logs)",
    load: async () => (await import("./logs.ts")).logsCommand,
  },
  {
    name: "deploy",
    summary: "Deployment: plan | up --target local [--color], canary, promote, rollback, status",
    load: async () => (await import("./deploy.ts")).deployCommand,
  },
  {
    name: "plugin",
    summary: "Source plugins: check PATH|SPECIFIER, ls (what the config loads), init NAME",
    load: async () => (await import("./plugin.ts")).pluginCommand,
  },
  {
    name: "config",
    summary: "Validate the configuration and print the effective result",
    load: async () => (await import("./config.ts")).configCommand,
  },
];
