/**
 * `gam logs <run-id>`: a run's log lines in time order, from its run folder and from the log
 * files of processes sharing the output folder (`<output-dir>/logs/*.jsonl`).
 *
 * @module
 */
import { type Command, EXIT_OK, parseFlags, UsageError } from "../command.ts";
import { collectRunLog, type RunLogLine } from "../../observability/mod.ts";
import { escapeControlChars } from "../../observability/mod.ts";

const HELP = `Usage: gam logs RUN_ID [options]

Prints every log line of a run in time order: <output-dir>/runs/RUN_ID/log.jsonl, and the lines
of the run in the log files of processes that share the output folder (<output-dir>/logs/*.jsonl,
e.g. workers running the run's queued jobs): those whose correlationId or runId is RUN_ID, or
whose traceparent carries the run's trace id.

Options:
  --output-dir DIR  The output folder (default: defaults.outputDir of the configuration)
  --config FILE     Configuration file, for the output folder (default config/ingestion.yaml)
  --profile NAME    Profile from config/profiles/ (or GAM_PROFILE)
  --json            The lines as written (JSON), one per line (default when stdout is not a
                    terminal)
  --text            One readable line each: time, level, component, [modality stage tile], message
  -h, --help        Show this help

Exit status: 0 lines printed; 1 no line of the run found; 2 usage error.`;

const TAGS = ["modality", "stage", "branch", "tile"] as const;
const HIDDEN = new Set(["time", "level", "msg", "component", "correlationId", ...TAGS]);

function textLine(l: RunLogLine): string {
  const r = l.record;
  const tags = TAGS.filter((t) => r[t] !== undefined).map((t) => `${t}=${String(r[t])}`);
  const rest = Object.entries(r)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return escapeControlChars(
    [
      String(r.time ?? "-"),
      String(r.level ?? "-").padEnd(5),
      String(r.component ?? "-"),
      tags.length ? `[${tags.join(" ")}]` : "",
      String(r.msg ?? ""),
      ...rest,
    ].filter((s) => s !== "").join(" "),
  );
}

/** `gam logs`. */
export const logsCommand: Command = {
  name: "logs",
  help: HELP,
  async run(args) {
    const { values, positionals } = parseFlags(args, {
      "output-dir": { type: "string" },
      config: { type: "string" },
      profile: { type: "string" },
      json: { type: "boolean" },
      text: { type: "boolean" },
    });
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? "a run id is required (gam logs RUN_ID)"
          : `expected one run id, got ${positionals.length}: ${positionals.join(" ")}`,
      );
    }
    if (values.json && values.text) throw new UsageError("--json and --text exclude each other");
    let outputDir = values["output-dir"] as string | undefined;
    if (outputDir === undefined) {
      const { loadConfigFromFlags } = await import("../config_flags.ts");
      outputDir = (await loadConfigFromFlags(values)).config.defaults.outputDir;
    }
    const lines = await collectRunLog(outputDir, positionals[0]);
    const json = values.json === true ||
      (values.text !== true && !Deno.stdout.isTerminal());
    const out = lines.map((l) => (json ? l.line : textLine(l))).join("\n") + "\n";
    await Deno.stdout.write(new TextEncoder().encode(out));
    return EXIT_OK;
  },
};
