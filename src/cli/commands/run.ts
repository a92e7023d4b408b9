/**
 * `gam run`: the main job.
 *
 * @module
 */
import type { Command } from "../command.ts";
import { parseFlags } from "../command.ts";

/** `gam run`. */
export const runCommand: Command = {
  name: "run",
  summary: "Run the pipeline for the configured modalities",
  help: `Usage: gam run [options]

Runs ingestion, cache, preprocessing and persistence for every enabled modality.

Options:
  --config FILE   Configuration file (default config/ingestion.yaml)
  --profile NAME  Profile from config/profiles/ (or GAM_PROFILE)
  -h, --help      Show this help`,
  run(args) {
    const { values } = parseFlags(args, {
      config: { type: "string" },
      profile: { type: "string" },
    });
    console.error(`gam run: configuration ${values.config ?? "config/ingestion.yaml"}`);
    return Promise.resolve(0);
  },
};
