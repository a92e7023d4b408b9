/**
 * `gam fetch`: fetch one modality through its sandboxed plugin and the resilience policies,
 * and print a summary of the `RawData` (nothing is cached or persisted).
 *
 * @module
 */
import type { Command } from "../command.ts";
import { parseFlags, UsageError } from "../command.ts";
import { CONFIG_FLAGS, loadConfigFromFlags } from "../config_flags.ts";
import { createLogger } from "../../observability/mod.ts";
import { IngestionService, loadProviders } from "../../ingestion/mod.ts";
import type { RawData } from "../../contracts/mod.ts";
import { dataStatistics } from "../../preprocessing/mod.ts";

/**
 * A summary of a `RawData`: kind, size, extent, value range and provenance.
 *
 * @example Usage
 * ```ts
 * import { summariseRawData } from "./fetch.ts";
 * import { createPlugin } from "../../plugins/synthetic/mod.ts";
 * const data = await createPlugin().fetch({
 *   modality: "gravity", bbox: [10, 45, 11, 46], params: { stations: 10 }, traceId: "t",
 *   grantedHosts: [], correlationId: "c", signal: new AbortController().signal,
 *   traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
 * });
 * console.log(summariseRawData(data)); // { modality: "gravity", plugin: "synthetic@...", ... }
 * ```
 */
export function summariseRawData(data: RawData): Record<string, unknown> {
  const { min, max, count, nanRatio } = dataStatistics(data);
  const finite = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);
  return {
    modality: data.modality,
    plugin: `${data.source.plugin}@${data.source.version}`,
    kind: data.kind,
    size: data.kind === "points"
      ? data.points.lon.length
      : `${data.grid.lat.length} x ${data.grid.lon.length}`,
    units: data.units,
    bbox: data.bbox,
    valueMin: finite(min),
    valueMax: finite(max),
    nan: Math.round(nanRatio * count),
    licence: data.metadata.licence,
    citation: data.metadata.citation,
    sourceUrl: data.metadata.sourceUrl ?? null,
    checksum: data.metadata.checksum ?? null,
  };
}

/** `gam fetch`. */
export const fetchCommand: Command = {
  name: "fetch",
  help: `Usage: gam fetch --modality M [options]

Loads the modality's plugin in its sandbox, fetches the bbox under the configured retry,
timeout, circuit breaker, bulkhead and rate limit, validates the data and prints a summary.

Options:
  --modality M    Modality to fetch (gravity, magnetic, ...; required)
  --bbox B        minLon,minLat,maxLon,maxLat (default: defaults.bbox of the config)
  --config FILE   Configuration file (default config/ingestion.yaml)
  --profile NAME  Profile from config/profiles/ (or GAM_PROFILE)
  --json          Print the summary as JSON on stdout
  -h, --help      Show this help`,
  async run(args) {
    const { values } = parseFlags(args, {
      modality: { type: "string" },
      ...CONFIG_FLAGS,
      json: { type: "boolean" },
    });
    const modality = values.modality;
    if (typeof modality !== "string") throw new UsageError("gam fetch needs --modality M");
    const { config } = await loadConfigFromFlags(values);
    const section = config.modalities[modality];
    if (!section) {
      throw new UsageError(
        `--modality "${modality}" is not configured (configured: ${
          Object.keys(config.modalities).join(", ")
        })`,
      );
    }
    const logger = createLogger({
      level: config.defaults.logLevel,
      format: config.defaults.logFormat,
      component: "ingestion",
    });
    const { providers, failures } = await loadProviders(config, { modalities: [modality] });
    const failure = failures.get(modality);
    if (failure) throw failure;
    const service = new IngestionService({
      providers,
      resilience: { [modality]: section },
      logger,
    });
    try {
      const r = await service.fetch(modality, config.defaults.bbox, {
        params: section.source.params as Record<string, unknown>,
      });
      const summary = {
        ...summariseRawData(r.data),
        attempts: r.attempts,
        cacheKey: r.cacheKey,
      };
      if (values.json) console.log(JSON.stringify(summary));
      else {for (const [k, v] of Object.entries(summary)) {
          console.log(`${k.padEnd(10)} ${JSON.stringify(v)}`);
        }}
      return 0;
    } finally {
      await service.close();
    }
  },
};
