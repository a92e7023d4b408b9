/**
 * `gam config validate`: loads the configuration exactly as `gam run` would and prints the
 * effective result (secrets redacted) or every issue with file, line and column.
 *
 * @module
 */
import { stringify } from "yaml";
import { type Command, EXIT_OK, EXIT_USAGE, parseFlags, UsageError } from "../command.ts";
import { ConfigError, type ConfigIssue, formatIssue, type LoadedConfig } from "../../config/mod.ts";
import { isUsageLike } from "../report_error.ts";
import { CONFIG_FLAGS, loadConfigFromFlags } from "../config_flags.ts";
import { isSensitiveKey, redact, REDACTED } from "../../observability/mod.ts";

const HELP = `Usage: gam config validate [options]

Loads the configuration (built-in defaults < --config file < profile < GAM__* environment
variables < flags), validates it and every modality's pipeline (stages, parameters, grid sizes
over the bbox), and prints the effective configuration with every default
filled in, or every problem as "file:line:column path: message".

Options:
  --config FILE       Configuration file (default config/ingestion.yaml)
  --profile NAME      Profile from config/profiles/NAME.yaml (default: GAM_PROFILE)
  --bbox A,B,C,D      Override defaults.bbox (minLon,minLat,maxLon,maxLat)
  --workers N         Override defaults.workers (1 to 32)
  --output-dir DIR    Override defaults.outputDir
  --log-level LEVEL   Override defaults.logLevel (debug, info, warn, error)
  --json              Print { valid, hash, sources, config } or { valid, issues } as JSON
  -h, --help          Show this help

Exit status: 0 valid, 2 invalid (or a usage error).`;

/** Replaces values of credential-looking keys inside plugin params (defence in depth). */
function hideSecrets(value: unknown, inParams = false): unknown {
  if (Array.isArray(value)) return value.map((v) => hideSecrets(v, inParams));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = inParams && isSensitiveKey(k) ? REDACTED : hideSecrets(v, inParams || k === "params");
  }
  return out;
}

function render(loaded: LoadedConfig, json: boolean): string {
  const config = hideSecrets(loaded.config);
  if (json) {
    return JSON.stringify(
      {
        valid: true,
        hash: loaded.hash,
        sources: loaded.sources,
        profile: loaded.profile ?? null,
        overrides: loaded.overrides,
        config,
      },
      null,
      2,
    );
  }
  const header = [
    `# Effective configuration (valid)`,
    `# sources: ${loaded.sources.join(" < ")}${
      loaded.overrides.length ? ` < ${loaded.overrides.join(", ")}` : ""
    }`,
    `# sha256: ${loaded.hash}`,
    `# durations in seconds (cache.ttl, service.cacheSweepInterval), sizes in bytes`,
  ];
  return `${header.join("\n")}\n${stringify(config, { lineWidth: 100 })}`;
}

/**
 * Builds every modality's pipeline as `gam run` does (stages known, parameters valid, every
 * grid within its node limit over the bbox); problems become configuration issues.
 */
async function checkPipelines(loaded: LoadedConfig): Promise<void> {
  const { planFor } = await import("../../job/mod.ts");
  const issues: ConfigIssue[] = [];
  for (const m of Object.keys(loaded.config.modalities)) {
    try {
      planFor(loaded.config, m);
    } catch (e) {
      if (!isUsageLike(e)) throw e;
      issues.push({
        file: loaded.sources[loaded.sources.length - 1],
        path: `modalities.${m}.pipeline.definition`,
        message: (e as Error).message,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/** `gam config`. */
export const configCommand: Command = {
  name: "config",
  help: HELP,
  async run(args) {
    const { values, positionals, help } = parseFlags(args, {
      ...CONFIG_FLAGS,
      json: { type: "boolean" },
    });
    if (help) {
      console.log(HELP);
      return EXIT_OK;
    }
    const [sub, ...rest] = positionals;
    if (sub !== "validate") {
      throw new UsageError(
        sub === undefined
          ? "gam config needs a subcommand: validate"
          : `unknown subcommand "${sub}"; expected validate`,
      );
    }
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    const json = values.json === true;
    try {
      const loaded = await loadConfigFromFlags(values);
      await checkPipelines(loaded);
      console.log(redact(render(loaded, json)));
      return EXIT_OK;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      if (json) {
        console.log(redact(JSON.stringify({ valid: false, issues: e.issues }, null, 2)));
      } else {
        const n = e.issues.length;
        console.error(
          redact(`gam config: invalid configuration (${n} issue${n === 1 ? "" : "s"}):`),
        );
        for (const issue of e.issues) console.error(redact(`  ${formatIssue(issue)}`));
      }
      return EXIT_USAGE;
    }
  },
};
