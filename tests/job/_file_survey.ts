/**
 * Test support: the configuration of a run that reads one magnetic survey file with the `file`
 * plugin (gravity off), and `gam run --json` of such a configuration, for the run tests of
 * projected and line-based survey inputs.
 *
 * @module
 */
import { stringify } from "yaml";
import { collect, type GamRun, spawnGam } from "../_gam_cli.ts";

/** What differs between the survey runs. */
export interface FileSurveyOptions {
  /** The run's bbox, `[minLon, minLat, maxLon, maxLat]` in degrees. */
  bbox: readonly number[];
  /** The `file` plugin's parameters (`path`, `columns`, `crs`, ...). */
  params: Record<string, unknown>;
  /** Files the plugin may read (its `read` permission). */
  read: string[];
  /** The magnetic pipeline's definition. */
  definition: string;
  /** The checkpoint's largest NaN ratio. */
  maxNanRatio: number;
}

/**
 * The configuration: outputs and cache under `dir`, gravity off (synthetic), magnetic from the
 * survey file, one attempt.
 *
 * @param dir The test's folder.
 * @param options The survey, its permissions and its pipeline.
 * @returns The configuration object (a test may edit it, then write it with `writeConfig`).
 *
 * For example `fileSurveyConfig(dir, { bbox: [10, 45, 11, 46], params, read: [csv],
 * definition: "grid(spacing=0.05) -> qc", maxNanRatio: 0.95 })`: used by
 * tests/job/survey_inputs_run_test.ts.
 */
export function fileSurveyConfig(dir: string, options: FileSurveyOptions) {
  return {
    version: 1,
    defaults: {
      bbox: options.bbox,
      outputDir: `${dir}/out`,
      cacheDir: `${dir}/cache`,
      logLevel: "warn",
    },
    modalities: {
      gravity: {
        enabled: false,
        units: "mGal",
        source: { plugin: "synthetic", params: { seed: 1 } },
        pipeline: { version: "1.0.0", definition: "grid(spacing=0.05) -> qc" },
      },
      magnetic: {
        units: "nT",
        source: {
          plugin: "file",
          params: options.params,
          permissions: { net: [], read: options.read },
        },
        retry: { maxAttempts: 1 },
        pipeline: {
          version: "1.0.0",
          definition: options.definition,
          checkpoint: { maxNanRatio: options.maxNanRatio },
        },
      },
    },
  };
}

/**
 * Writes `config` as YAML to `path`.
 *
 * @param path The file.
 * @param config The configuration.
 *
 * For example `await writeConfig(`${dir}/gam.yaml`, config)`: used by
 * tests/job/projected_grid_run_test.ts.
 */
export async function writeConfig(path: string, config: unknown): Promise<void> {
  await Deno.writeTextFile(path, stringify(config));
}

/**
 * `gam run --config <path> --json` from `dir` with the embedded database (`DATABASE_URL` unset).
 *
 * @param dir The working folder.
 * @param path The configuration file.
 * @returns Exit code and output.
 *
 * For example `await runConfig(dir, `${dir}/gam.yaml`)`: used by
 * tests/job/projected_grid_run_test.ts.
 */
export function runConfig(dir: string, path: string): Promise<GamRun> {
  return collect(
    spawnGam(["run", "--config", path, "--json"], { cwd: dir, env: { DATABASE_URL: "" } }),
  );
}
