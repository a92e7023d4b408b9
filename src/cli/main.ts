/**
 * `gam`: the GeoAnomalyMapper pipeline command line.
 *
 * ```sh
 * deno task gam --help
 * deno task gam config validate --profile dev
 * ```
 *
 * Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.
 *
 * @module
 */
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./command.ts";
import { type CommandEntry, commands } from "./commands/mod.ts";
import { describeError, isUsageLike } from "./report_error.ts";
// From the file rather than observability/mod.ts, which loads prom-client (~45 ms) at every start.
import { redact } from "../observability/mod.ts";

import { VERSION } from "./version.ts";
export { VERSION };

function topHelp(list: readonly CommandEntry[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return [
    "gam: GeoAnomalyMapper data pipeline (ingest, cache, preprocess, persist)",
    "",
    "Usage: gam <command> [options]",
    "",
    "Commands:",
    ...list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    "  -h, --help     Show this help (every command has --help too)",
    "  -V, --version  Print the version",
    "",
    "Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.",
  ].join("\n");
}

/**
 * Runs the CLI with `args` (without the program name) and resolves to the exit status.
 * Errors are printed as one line on stderr (secrets redacted); set `GAM_DEBUG=1` for stacks.
 *
 * @example Usage
 * ```ts
 * import { main } from "./main.ts";
 * const status = await main(["--help"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(topHelp(commands));
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === "--version" || name === "-V") {
    console.log(`gam ${VERSION}`);
    return EXIT_OK;
  }
  const entry = commands.find((c) => c.name === name);
  if (entry === undefined) {
    console.error(
      `gam: unknown command "${name}"; expected one of: ${commands.map((c) => c.name).join(", ")}` +
        ` (see gam --help)`,
    );
    return EXIT_USAGE;
  }
  const command = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.help);
    return EXIT_OK;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    console.error(`gam ${name}: ${describeError(error)}`);
    if (Deno.env.get("GAM_DEBUG")) console.error(redact(Deno.inspect(error)));
    return isUsageLike(error) ? EXIT_USAGE : EXIT_FAILURE;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
