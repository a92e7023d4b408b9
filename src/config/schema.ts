/**
 * The schema of `config/ingestion.yaml`: the single source of the configuration's type.
 *
 * Every object is strict (`z.strictObject`): an unknown key is an error, never ignored. Every
 * resilience field has a default, so a minimal modality section only needs `source`, `units`
 * and `pipeline`. Units are in the field names (`…Ms` milliseconds, `…Bytes` bytes) or stated
 * below; durations written as text (`"7d"`, `"12h"`, `"30m"`) are parsed to seconds.
 *
 * Error messages of the schema are phrased as what was *expected* (`"an integer >= 1"`); the
 * loader adds the YAML path, file, line, column and the value received.
 *
 * @example Parse an already-loaded object (prefer `loadConfig`, which reports line numbers)
 * ```ts
 * import { ConfigSchema } from "./schema.ts";
 * const result = ConfigSchema.safeParse({ version: 1 });
 * result.success; // false: defaults.bbox and modalities are required
 * ```
 *
 * @module
 */
import { z } from "zod";
import { type Bbox, bboxProblem } from "../contracts/mod.ts";
import { isKnownUnit, knownUnits, normalizeUnit, UNIT_MODALITIES } from "../units/mod.ts";
import type { UnitModality } from "../units/mod.ts";
import { isSensitiveKey } from "../observability/mod.ts";
import { cronProblem } from "./cron.ts";
import { parseByteSize, parseDuration } from "./quantities.ts";
import { defaultWorkerCount, MAX_WORKERS } from "../compute/mod.ts";
import { endpointProblem } from "./endpoint.ts";

/** The configuration schema version this code reads (the `version:` key). */
export const CONFIG_VERSION = 1;

/** Names of modalities and auth profiles: lower snake case, starting with a letter. */
export const NAME_PATTERN = /^[a-z][a-z0-9_]*$/;

/** Modalities every configuration must define (they may be disabled). */
export const REQUIRED_MODALITIES = ["gravity", "magnetic"] as const;

// ---------------------------------------------------------------------------------------------
// Building blocks. Each message is the phrase that follows "expected".

/** Marks a custom issue whose message is an "expected ..." phrase (see the loader). */
const EXPECTED = { expected: true } as const;

function int(min: number, unit = ""): z.ZodNumber {
  const phrase = `an integer >= ${min}${unit}`;
  return z.number({ error: phrase }).int({ error: phrase }).min(min, { error: phrase });
}

function fraction(what = "a number in [0, 1]"): z.ZodNumber {
  return z.number({ error: what }).min(0, { error: what }).max(1, { error: what });
}

function positive(): z.ZodNumber {
  const phrase = "a number > 0";
  return z.number({ error: phrase }).positive({ error: phrase });
}

function bool(): z.ZodBoolean {
  return z.boolean({ error: "true or false" });
}

function text(what = "a non-empty string"): z.ZodString {
  return z.string({ error: what }).min(1, { error: what });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const phrase = `one of ${values.map((v) => `"${v}"`).join(", ")}`;
  return z.enum(values, { error: phrase });
}

function listOf<T extends z.ZodType>(item: T) {
  return z.array(item, { error: "a list" });
}

const NAME_PHRASE = 'a lower snake_case name such as "gravity" or "icgem_token"';
const Name = z.string({ error: NAME_PHRASE }).regex(NAME_PATTERN, { error: NAME_PHRASE });

const HOST_PHRASE = 'a host name or "host:port", e.g. "icgem.gfz-potsdam.de" or "127.0.0.1:8080"';
const HOST_PATTERN = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:(\d{1,5}))?$/;
const Host = z.string({ error: HOST_PHRASE }).refine((s) => {
  const m = HOST_PATTERN.exec(s);
  return m !== null && (m[4] === undefined || Number(m[4]) <= 65535);
}, { error: HOST_PHRASE, params: EXPECTED });

const LISTEN_PHRASE = 'an address "host:port", e.g. "127.0.0.1:9464"';
const Listen = z.string({ error: LISTEN_PHRASE }).refine((s) => {
  const m = HOST_PATTERN.exec(s);
  return m !== null && m[4] !== undefined && Number(m[4]) <= 65535;
}, { error: LISTEN_PHRASE, params: EXPECTED });

const ENV_PHRASE = "an environment variable name such as ICGEM_TOKEN";
const EnvVarName = z.string({ error: ENV_PHRASE }).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: ENV_PHRASE,
});

const SEMVER_PHRASE = 'a semantic version such as "1.0.0"';
const Semver = z.string({ error: SEMVER_PHRASE }).regex(
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/,
  { error: SEMVER_PHRASE },
);

const MODULE_PHRASE = 'a module specifier: a local path ("./plugins/my_plugin.ts"), or a ' +
  '"file:", "https:", "http:" or "npm:" URL';
const ModuleSpecifier = z.string({ error: MODULE_PHRASE }).regex(
  /^(\.\.?\/|\/|file:|https:\/\/|http:\/\/|npm:)./,
  { error: MODULE_PHRASE },
);

const DURATION_PHRASE = 'a duration such as "7d", "12h", "30m", "1h30m" or a number of seconds';
/** A duration, text or seconds; outputs seconds. */
const Duration = z.union([z.string(), z.number()], { error: DURATION_PHRASE }).transform(
  (v, ctx) => {
    const seconds = parseDuration(v);
    if (seconds === undefined) {
      ctx.addIssue({ code: "custom", message: DURATION_PHRASE, params: EXPECTED });
      return z.NEVER;
    }
    return seconds;
  },
);

const BYTES_PHRASE = 'a size such as "2GiB", "500MB" or a whole number of bytes';
/** A byte size, text or bytes; outputs bytes. */
const ByteSize = z.union([z.string(), z.number()], { error: BYTES_PHRASE }).transform(
  (v, ctx) => {
    const bytes = parseByteSize(v);
    if (bytes === undefined) {
      ctx.addIssue({ code: "custom", message: BYTES_PHRASE, params: EXPECTED });
      return z.NEVER;
    }
    return bytes;
  },
);

const CRON_PHRASE = 'a 5-field cron expression such as "0 3 * * *" or a macro such as "@daily"';
const Cron = z.string({ error: CRON_PHRASE }).superRefine((s, ctx) => {
  const problem = cronProblem(s);
  if (problem !== undefined) {
    ctx.addIssue({ code: "custom", message: `${CRON_PHRASE} (${problem})`, params: EXPECTED });
  }
});

const DB_PHRASE = 'a "postgres://" or "postgresql://" URL without a password (put credentials ' +
  "in the DATABASE_URL environment variable, never in the config)";
const DatabaseUrl = z.string({ error: DB_PHRASE }).superRefine((s, ctx) => {
  let ok = false;
  try {
    const url = new URL(s);
    ok = (url.protocol === "postgres:" || url.protocol === "postgresql:") && url.password === "";
  } catch {
    ok = false;
  }
  if (!ok) ctx.addIssue({ code: "custom", message: DB_PHRASE, params: EXPECTED });
});

/**
 * A bbox, checked by the same rule function as `checkBbox`/`BboxSchema` (`bboxProblem`), but
 * as a non-aborting issue so that the other problems of the file are reported too.
 */
const ConfigBbox = z.unknown().superRefine((v, ctx) => {
  const problem = bboxProblem(v);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: `invalid bbox: ${problem}` });
}).transform((v) => v as Bbox);

const Params = z.record(z.string(), z.unknown(), { error: "a mapping of parameters" });

// ---------------------------------------------------------------------------------------------
// Sections.

/** Top-level defaults that apply to every run. */
export const DefaultsSchema = z.strictObject({
  /** Area of interest `[minLon, minLat, maxLon, maxLat]`, EPSG:4326 degrees. */
  bbox: ConfigBbox,
  /** Folder for run outputs (grids, reports, manifests), relative to the working directory. */
  outputDir: text().default("out"),
  /** Folder of the Zarr cache, relative to the working directory. */
  cacheDir: text().default(".gam/cache"),
  /**
   * PostgreSQL URL without credentials. Normally unset: the `DATABASE_URL` environment variable
   * (which may hold a password) wins; with neither, the embedded database is used.
   */
  databaseUrl: DatabaseUrl.optional(),
  /**
   * Worker threads for numeric work, 1..32 (`MAX_WORKERS`: each holds a wasm instance, and the
   * kernels are CPU-bound); default: the number of CPU cores, at most 32.
   */
  workers: int(1).max(MAX_WORKERS, {
    error: `an integer from 1 to ${MAX_WORKERS} (MAX_WORKERS; each worker holds its own ` +
      `numeric core, and more workers than cores add memory, not speed)`,
  }).default(defaultWorkerCount),
  /** How many modalities a run processes at the same time. */
  maxConcurrentModalities: int(1).default(2),
  /** Lowest log level written. */
  logLevel: oneOf(["debug", "info", "warn", "error"]).default("info"),
  /** `json`: one JSON object per line on stderr; `pretty`: human-readable lines. */
  logFormat: oneOf(["json", "pretty"]).default("json"),
});

/** What `report.html` shows of each grid's anomalies. */
export const ReportSchema = z.strictObject({
  /**
   * Anomalies drawn with a number on each map: the strongest by confidence, then by |peak|;
   * the others are small unlabelled markers.
   */
  labelTop: int(0).default(20),
  /** Rows of each grid's anomaly table (the strongest); all of them are in a collapsed list. */
  tableRows: int(1).default(20),
});

/** The long-running service (`gam serve`). */
export const ServiceSchema = z.strictObject({
  /** Address of `/metrics`, `/healthz`, `/readyz`; loopback by default. */
  listen: Listen.default("127.0.0.1:9464"),
  /** Quiet time after a config file change before it is reloaded, milliseconds. */
  reloadDebounceMs: int(0, " (milliseconds)").default(250),
  /** How long in-flight runs may take to finish on SIGTERM, milliseconds. */
  shutdownTimeoutMs: int(0, " (milliseconds)").default(30_000),
  /** How often the cache sweeper runs; text duration, output in seconds. */
  cacheSweepInterval: Duration.prefault("1h"),
});

const PUSH_PHRASE = "an http or https URL of a Prometheus Pushgateway, such as " +
  "http://127.0.0.1:9091";
const PushgatewayUrl = z.string({ error: PUSH_PHRASE }).superRefine((s, ctx) => {
  let ok = false;
  try {
    const url = new URL(s);
    ok = (url.protocol === "http:" || url.protocol === "https:") && url.password === "";
  } catch {
    ok = false;
  }
  if (!ok) ctx.addIssue({ code: "custom", message: PUSH_PHRASE, params: EXPECTED });
});

/** Where one-shot commands (`gam run`) send their final metrics. */
export const ObservabilitySchema = z.strictObject({
  /** A Prometheus Pushgateway; `gam run` replaces its group `job/<job>/instance/<host>`. */
  pushgateway: z.strictObject({
    /** Base URL of the gateway (no password: it would be logged). */
    url: PushgatewayUrl,
    /** The `job` label of the pushed group. */
    job: text("a job name").default("gam-run"),
  }).optional(),
});

/**
 * Blue/green deployments (`gam deploy up --color`, `promote`): the canary bboxes every new color
 * runs next to the schedule owner, and how their outputs must agree before `promote` moves the
 * schedules. Read from the new color's configuration.
 */
export const DeploymentSchema = z.strictObject({
  canary: z.strictObject({
    /** Bboxes `[minLon, minLat, maxLon, maxLat]` (degrees) run on both colors. Empty: no canary. */
    bboxes: z.array(ConfigBbox).default([]),
    /**
     * The change claims to be neutral (code or config that must not change any output): every
     * grid's canonical checksum must be equal. Otherwise the tolerances below apply.
     */
    neutral: z.boolean().default(false),
    /** Limits when not neutral. */
    tolerance: z.strictObject({
      /** Largest RMS difference of a grid over the nodes valued in both, in the grid's units. */
      rms: z.number().nonnegative().default(0),
      /** Largest difference in the number of (non-edge) anomalies of a modality. */
      anomalyCount: z.int().nonnegative().default(0),
    }).prefault({}),
  }).prefault({}),
});

const AUTH_PHRASE = "{ fromEnv: VARIABLE } or { fromFile: path } (secrets are never written " +
  "in the config itself)";
/**
 * Where an auth profile's secret lives: an environment variable or a file (whose whole content,
 * trimmed, is the secret). Read at the moment of use, never stored in the configuration.
 */
export const AuthProfileSchema = z.union([
  z.strictObject({ fromEnv: EnvVarName }),
  z.strictObject({ fromFile: text("a file path") }),
], { error: AUTH_PHRASE });

/**
 * Deno permissions granted to a plugin's process. Everything not listed is denied; an empty
 * list (the default) grants nothing.
 */
export const PermissionsSchema = z.strictObject({
  /** Hosts the plugin may connect to, `host` or `host:port`. */
  net: listOf(Host).default([]),
  /** Paths the plugin may read (files or folders). */
  read: listOf(text("a path")).default([]),
  /**
   * Must stay empty: a plugin writes only to the scratch folder the host creates for its process
   * (`PluginOptions.scratchDir`), never to a user path.
   */
  write: listOf(text("a path")).max(0, {
    error: "an empty list: plugins write only to their scratch folder (PluginOptions.scratchDir)",
  }).default([]),
  /** Environment variables the plugin may read. */
  env: listOf(EnvVarName).default([]),
  /** Programs the plugin may run. */
  run: listOf(text("a program name or path")).default([]),
  /** Native libraries the plugin may load. */
  ffi: listOf(text("a path")).default([]),
  /** System information APIs the plugin may call (Deno `--allow-sys` names). */
  sys: listOf(text('a Deno sys API name such as "hostname"')).default([]),
  /**
   * Hosts the plugin's code may be imported from: remote modules (`https:`) and the npm registry
   * (`registry.npmjs.org`) of `npm:` plugins. Built-in plugins need none.
   */
  import: listOf(Host).default([]),
});

/**
 * Resource and size limits of a plugin's child process. Memory and CPU time are OS limits on
 * Linux (`ulimit -d`, `ulimit -t`); the heap limit holds everywhere.
 */
export const PluginLimitsSchema = z.strictObject({
  /** V8 heap limit of the plugin's process (`--max-old-space-size`), MiB. */
  heapMb: int(16, " (MiB)").default(512),
  /** OS limit on the process's private writable memory (heap, buffers), MiB; at least 768. */
  memoryMb: int(768, " (MiB)").default(2048),
  /** OS limit on the process's CPU time over its whole life, seconds. */
  cpuSeconds: int(1, " (seconds)").default(3600),
  /** Largest message the plugin may send (one fetch result), bytes. */
  maxMessageBytes: ByteSize.prefault("512MiB"),
  /** Most elements in one returned array (points, grid nodes, axis values). */
  maxPoints: int(1).default(10_000_000),
  /** Largest JSON part of a result (metadata and every other non-array field), bytes. */
  maxMetadataBytes: ByteSize.prefault("1MiB"),
  /** Longest string anywhere in a result, characters. */
  maxStringLength: int(1, " (characters)").default(65_536),
});

/** Where a modality's data comes from. */
export const SourceSchema = z.strictObject({
  /** Only `plugin` for now. */
  type: z.literal("plugin", { error: '"plugin"' }).default("plugin"),
  /** The plugin id, e.g. `synthetic`, `file`, `icgem`, `http`, or a third-party id. */
  plugin: z.string({ error: "a plugin id" }).regex(/^[a-z][a-z0-9_-]*$/, {
    error: 'a plugin id such as "synthetic" (lower case, digits, "-" and "_")',
  }),
  /** Module of a third-party plugin; built-in plugins are found by id alone. */
  module: ModuleSpecifier.optional(),
  /** Permissions of the plugin's process. */
  permissions: PermissionsSchema.prefault({}),
  /** Plugin-specific parameters, validated by the plugin. */
  params: Params.default({}),
  /** Name of an `auth:` profile whose secret the plugin receives. */
  auth: Name.optional(),
  /** Hosts this plugin may reach over plain `http:` (loopback test servers only). */
  allowInsecureHttp: listOf(Host).default([]),
  /** Resource and size limits of the plugin's process. */
  limits: PluginLimitsSchema.prefault({}),
  /**
   * The npm registry an `npm:` module is installed from (`NPM_CONFIG_REGISTRY` of the plugin's
   * `deno` processes only; GAM's own packages keep theirs). Its host must be in
   * `permissions.import`. Default: Deno's (`https://registry.npmjs.org/`).
   */
  registry: z.url({ protocol: /^https?$/, error: "an http(s) URL of an npm registry" })
    .optional(),
});

/** Token-bucket rate limit of requests to the source. */
export const RateLimitSchema = z.strictObject({
  /** Sustained request rate, requests per second. */
  requestsPerSecond: positive().default(5),
  /** Bucket size: requests allowed at once after a quiet period. */
  burst: int(1).default(10),
});

/** Cache policy of the modality's ingestion and preprocessing entries. */
export const CachePolicySchema = z.strictObject({
  /** Time to live; text duration, output in seconds (`"7d"` gives 604800). */
  ttl: Duration.prefault("7d"),
  /** Byte limit enforced by the sweeper (least recently used first); `"2GiB"` or bytes. */
  maxBytes: ByteSize.prefault("2GiB"),
  /** Pinned entries are never evicted. */
  pin: bool().default(false),
  /**
   * Chunk codec of the Zarr arrays. A hot cache favours read speed, and float grids compress
   * little, so none by default; zstd or gzip trade read time for disk.
   */
  compression: oneOf(["none", "gzip", "zstd"]).default("none"),
  /**
   * Fraction of reads that also recompute the canonical SHA-256 checksum, 0 (never) to 1
   * (always). Every read checks the entry's fast CRC-32 storage digest regardless, so a flipped
   * byte is always caught; the SHA-256 (2 ms per 4 MB) re-proves the manifest's checksum.
   */
  verifyOnRead: fraction().default(0.1),
  /** Chunk edge of 2-D Zarr arrays in cells (1-D arrays use its square). */
  chunkSize: int(1, " (cells)").default(1024),
});

/** Retry with exponential backoff of failed fetch attempts (retryable errors only). */
export const RetrySchema = z.strictObject({
  /** Attempts in total, the first included (1 = no retry). */
  maxAttempts: int(1).default(4),
  /** Delay before the first retry, milliseconds; doubles at each retry. */
  baseDelayMs: int(0, " (milliseconds)").default(200),
  /** Cap on any single delay, milliseconds (>= baseDelayMs). */
  maxDelayMs: int(0, " (milliseconds)").default(10_000),
  /** `full`: a uniform random delay in [0, backoff]; `none`: exactly the backoff. */
  jitter: oneOf(["full", "none"]).default("full"),
  /** Wait as long as a 429/503 response's `Retry-After` says (capped at maxDelayMs). */
  honorRetryAfter: bool().default(true),
}).superRefine((r, ctx) => {
  if (r.maxDelayMs < r.baseDelayMs) {
    ctx.addIssue({
      code: "custom",
      path: ["maxDelayMs"],
      message: `an integer >= baseDelayMs (${r.baseDelayMs})`,
      params: EXPECTED,
    });
  }
});

/** Circuit breaker around the source. */
export const CircuitBreakerSchema = z.strictObject({
  /** `consecutive`: open after `threshold` failures in a row; `sampling`: on a failure ratio. */
  strategy: oneOf(["consecutive", "sampling"]).default("consecutive"),
  /** Consecutive failures that open the breaker. */
  threshold: int(1).default(5),
  /** Time the breaker stays open before letting one probe through, milliseconds. */
  halfOpenAfterMs: int(0, " (milliseconds)").default(30_000),
  /** Settings of the `sampling` strategy. */
  sampling: z.strictObject({
    /** Failure ratio over the window that opens the breaker, in (0, 1]. */
    failureRatio: fraction().refine((v) => v > 0, {
      error: "a number in (0, 1]",
      params: EXPECTED,
    }),
    /** Sliding window length, milliseconds. */
    windowMs: int(1, " (milliseconds)"),
    /** Minimum request rate in the window before the ratio counts, requests per second. */
    minimumRps: positive().default(1),
  }).optional(),
}).superRefine((b, ctx) => {
  if (b.strategy === "sampling" && b.sampling === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["sampling"],
      message: 'a sampling: { failureRatio, windowMs } section (strategy is "sampling")',
      params: EXPECTED,
    });
  }
});

/** Limits concurrent fetches of one modality, with a bounded wait queue. */
export const BulkheadSchema = z.strictObject({
  /** Fetches running at the same time. */
  maxConcurrent: int(1).default(2),
  /** Fetches allowed to wait; more are rejected at once. */
  queue: int(0).default(8),
});

/** A step of a pipeline written as a list: a stage, or a final fork into named branches. */
export interface PipelineStepConfig {
  /** Stage id, e.g. `outlier`, `grid`, `qc`. */
  stage?: string;
  /** Stage parameters, validated by the stage. */
  params?: Record<string, unknown>;
  /** Named branches run in parallel, each a list of steps; only as the last step. */
  branches?: Record<string, PipelineStepConfig[]>;
}

const STAGE_PHRASE = 'a stage id such as "grid" (lower snake case)';
const StageId = z.string({ error: STAGE_PHRASE }).regex(NAME_PATTERN, { error: STAGE_PHRASE });

/** One step of a list-form pipeline. */
export const PipelineStepSchema: z.ZodType<PipelineStepConfig, unknown> = z.lazy(() =>
  z.strictObject({
    stage: StageId.optional(),
    params: Params.optional(),
    branches: z.record(Name, listOf(PipelineStepSchema).min(1, { error: "at least one step" }), {
      error: "a mapping of branch names to lists of steps",
    }).optional(),
  }).superRefine((step, ctx) => {
    if ((step.stage === undefined) === (step.branches === undefined)) {
      ctx.addIssue({
        code: "custom",
        message: "a step with either stage: (and optional params:) or branches:",
        params: EXPECTED,
      });
    } else if (step.branches !== undefined && step.params !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["params"],
        message: "no params: beside branches:",
        params: EXPECTED,
      });
    }
  })
);

/** The preprocessing pipeline of a modality. */
export const PipelineSchema = z.strictObject({
  /** Version of this pipeline definition; part of the preprocessing cache key. */
  version: Semver,
  /**
   * The stages, either in arrow form
   * (`outlier(method=mad) -> grid(spacing=0.01) -> { fine: qc, coarse: grid(spacing=0.1) -> qc }`)
   * or as a list of `{ stage, params }` steps ending, optionally, in `{ branches: {...} }`.
   * Parsed by the preprocessing pipeline builder.
   */
  definition: z.union([
    text("a pipeline in arrow form or a list of steps"),
    listOf(PipelineStepSchema).min(1, { error: "at least one step" }),
  ], { error: "a pipeline in arrow form (text) or a list of { stage, params } steps" }),
  /** Validation after every stage. */
  checkpoint: z.strictObject({
    /** Largest accepted fraction of NaN (nodata) cells in a stage's output, 0..1. */
    maxNanRatio: fraction().default(0.5),
  }).prefault({}),
});

/** One modality section (`modalities.gravity`, `modalities.magnetic`, ...). */
export const ModalitySchema = z.strictObject({
  /** Whether `gam run` and `gam serve` process this modality. */
  enabled: bool().default(true),
  /**
   * Physical quantity measured: `gravity`, `gravity_gradient` or `magnetic`. Defaults to the
   * section name when that is one of these; required otherwise.
   */
  kind: oneOf(UNIT_MODALITIES).optional(),
  /** Where the data comes from. */
  source: SourceSchema,
  /** Target unit of processed grids (e.g. `mGal`, `nT`); any known spelling, stored canonical. */
  units: text('a unit such as "mGal" or "nT"'),
  /** Requests to the source. */
  rateLimit: RateLimitSchema.prefault({}),
  /** Cache policy. */
  cache: CachePolicySchema.prefault({}),
  /** Retry policy. */
  retry: RetrySchema.prefault({}),
  /** Circuit breaker policy. */
  circuitBreaker: CircuitBreakerSchema.prefault({}),
  /** Time limit of one fetch attempt, milliseconds. */
  timeoutMs: int(1, " (milliseconds)").default(30_000),
  /** Concurrency limit of fetches. */
  bulkhead: BulkheadSchema.prefault({}),
  /** When `gam serve` runs this modality (5-field cron, local time); unset: never scheduled. */
  schedule: Cron.optional(),
  /** Preprocessing pipeline. */
  pipeline: PipelineSchema,
});

/** The queues a worker profile may serve (see `src/queue/`). */
export const QUEUE_NAMES = ["ingest", "preprocess", "mosaic", "persist"] as const;

/** A stage of a tiled run, and the pg-boss queue its jobs go to. */
export type QueueName = typeof QUEUE_NAMES[number];

const HALO_PHRASE = '"auto", a whole number of grid cells (e.g. 8) or a distance such as "5km"';
/**
 * A tile halo as written: `"auto"` (the computed minimum), cells (a whole number) or kilometres
 * (`"5km"`, `"2.5 km"`). Output: `{ unit: "auto" }`, `{ unit: "cells", value }` or
 * `{ unit: "km", value }`.
 */
const Halo = z.union([z.string(), z.number()], { error: HALO_PHRASE }).transform((v, ctx) => {
  if (v === "auto") return { unit: "auto" } as const;
  if (typeof v === "number") {
    if (Number.isInteger(v) && v >= 0) return { unit: "cells", value: v } as const;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*km\s*$/i.exec(v);
    if (m) return { unit: "km", value: Number(m[1]) } as const;
    if (/^\s*\d+\s*$/.test(v)) return { unit: "cells", value: Number(v) } as const;
  }
  ctx.addIssue({ code: "custom", message: HALO_PHRASE, params: EXPECTED });
  return z.NEVER;
});

/** How a run is cut into tiles in queue mode. */
export const TileSchema = z.strictObject({
  /** Edge of a tile (before its halo), degrees; the last row/column of tiles may be narrower. */
  size: positive().default(0.25),
  /**
   * Extra margin fetched and processed around each tile, cropped before stitching: `"auto"`,
   * grid cells or `"<n>km"`. Whatever is written, a tile uses at least the minimum computed from
   * its pipeline (the gridding search radius, the filter widths in cells and the overlap of the
   * global methods, linear and mincurv); a smaller value is raised to it with a warning.
   */
  halo: Halo.prefault("auto"),
});

/**
 * A worker profile (`gam worker --profile NAME`), also the source of deployment manifests.
 * Every field is optional as written: a profile named like a shipped one (`io`, `cpu`) changes
 * only the fields it gives; a new profile must list its `queues`.
 */
export const WorkerProfileSchema = z.strictObject({
  /** The queues this profile's workers pull from. */
  queues: listOf(oneOf(QUEUE_NAMES)).min(1, { error: "at least one queue" }).optional(),
  /** Jobs one worker process runs at the same time. @default 1 for a new profile */
  concurrency: int(1).optional(),
  /** Wasm worker threads of the process's numeric pool (0: none, for IO-only profiles). */
  wasmPool: int(0).max(MAX_WORKERS, {
    error: `an integer from 0 to ${MAX_WORKERS} (MAX_WORKERS)`,
  }).optional(),
  /** Memory a worker process of this profile may use (the container limit); `"2GiB"` or bytes. */
  memoryLimit: ByteSize.optional(),
});

/**
 * A worker profile after defaults.
 *
 * @example Usage
 * ```ts
 * import type { WorkerProfile } from "./schema.ts";
 * const heavy = (p: WorkerProfile) => p.wasmPool > 0;
 * ```
 */
export interface WorkerProfile {
  /** The queues this profile's workers pull from. */
  queues: QueueName[];
  /** Jobs one worker process runs at the same time. */
  concurrency: number;
  /** Wasm worker threads of the process's numeric pool (0: none). */
  wasmPool: number;
  /** Memory limit of one worker process, bytes. */
  memoryLimit: number;
}

/**
 * The profiles shipped with the program: `io` (many concurrent fetches and database writes, no
 * wasm pool) and `cpu` (one job per core, a wasm pool of one thread per core). A configuration's
 * `execution.profiles` are merged over these by name.
 *
 * @returns The `io` and `cpu` profiles (the cpu ones sized to this machine's cores).
 *
 * @example Usage
 * ```ts
 * import { shippedProfiles } from "./schema.ts";
 * shippedProfiles().io.wasmPool; // 0
 * ```
 */
export function shippedProfiles(): Record<"io" | "cpu", WorkerProfile> {
  const cores = defaultWorkerCount();
  return {
    io: { queues: ["ingest", "persist"], concurrency: 8, wasmPool: 0, memoryLimit: 1024 ** 3 },
    cpu: {
      queues: ["preprocess", "mosaic"],
      concurrency: cores,
      wasmPool: cores,
      memoryLimit: 4 * 1024 ** 3,
    },
  };
}

/** Retry and expiry of queued jobs (pg-boss queue options). */
export const QueueSettingsSchema = z.strictObject({
  /** Retries of a failed job before it is dead-lettered (0: none). */
  retryLimit: int(0).default(2),
  /** Delay before the first retry; text duration, output in seconds. */
  retryDelay: Duration.prefault("5s"),
  /** Double the delay at each retry (pg-boss `retryBackoff`). */
  retryBackoff: bool().default(true),
  /**
   * How long a job may stay active before the engine takes it back and retries it (a worker
   * killed while holding it); text duration, output in seconds, at least 1.
   */
  expireIn: Duration.prefault("15m").refine((s) => s >= 1, {
    error: "a duration of at least 1 second",
    params: EXPECTED,
  }),
  /** How long finished jobs are kept in the queue tables; text duration, output in seconds. */
  keepFinished: Duration.prefault("7d"),
  /** Database schema of the engine's tables. */
  schema: z.string({ error: "a schema name" }).regex(/^[a-z_][a-z0-9_]*$/, {
    error: 'a lower-case SQL schema name such as "pgboss"',
  }).default("pgboss"),
});

/** How runs execute: in this process, or as tiled jobs on the PostgreSQL queue. */
export const ExecutionSchema = z.strictObject({
  /**
   * `local`: the whole run in this process (the default). `queue`: `gam run` submits tiled jobs
   * to the queue in the PostgreSQL server and `gam worker` processes run them; needs
   * `DATABASE_URL` (or `defaults.databaseUrl`).
   */
  mode: oneOf(["local", "queue"]).default("local"),
  /** Tiling of queued runs. */
  tile: TileSchema.prefault({}),
  /** Worker profiles by name, merged over the shipped `io` and `cpu`. */
  profiles: z.record(Name, WorkerProfileSchema, { error: "a mapping of profile names" })
    .default({}).superRefine((given, ctx) => {
      for (const [name, p] of Object.entries(given)) {
        if (!(name in shippedProfiles()) && p.queues === undefined) {
          ctx.addIssue({
            code: "custom",
            path: [name, "queues"],
            message: `a list of queues (profile "${name}" is not a shipped one, so it must ` +
              `say which of ${QUEUE_NAMES.join(", ")} it serves)`,
            params: EXPECTED,
          });
        }
      }
    }).transform((given): Record<string, WorkerProfile> => {
      const out: Record<string, WorkerProfile> = shippedProfiles();
      for (const [name, p] of Object.entries(given)) {
        const base = out[name] ??
          { queues: [], concurrency: 1, wasmPool: 0, memoryLimit: 1024 ** 3 };
        out[name] = {
          queues: p.queues ?? base.queues,
          concurrency: p.concurrency ?? base.concurrency,
          wasmPool: p.wasmPool ?? base.wasmPool,
          memoryLimit: p.memoryLimit ?? base.memoryLimit,
        };
      }
      return out;
    }),
  /** Retry, expiry and retention of queued jobs. */
  queue: QueueSettingsSchema.prefault({}),
});

/**
 * The `execution` section after defaults.
 *
 * @example Usage
 * ```ts
 * import type { ExecutionConfig } from "./schema.ts";
 * const queued = (e: ExecutionConfig) => e.mode === "queue";
 * ```
 */
export type ExecutionConfig = z.output<typeof ExecutionSchema>;

// ---------------------------------------------------------------------------------------------
// Object storage (`storage:`): absent means the local disk only, as before.

const DAYS_PHRASE = 'a whole number of days such as "90d" or "365d"';
/** A duration in whole days (S3 lifecycle rules count days); outputs days. */
const Days = z.union([z.string(), z.number()], { error: DAYS_PHRASE }).transform((v, ctx) => {
  const seconds = typeof v === "number" ? v * 86_400 : parseDuration(v);
  if (seconds === undefined || seconds <= 0 || seconds % 86_400 !== 0) {
    ctx.addIssue({ code: "custom", message: DAYS_PHRASE, params: EXPECTED });
    return z.NEVER;
  }
  return seconds / 86_400;
});

const KEY_PART_PHRASE = 'a key prefix of letters, digits, ".", "_" and "-", segments separated ' +
  'by "/" (no leading or trailing "/"), e.g. "phase1" or "team/gam"';
const KeyPart = z.string({ error: KEY_PART_PHRASE }).regex(
  /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/,
  { error: KEY_PART_PHRASE },
);

const BUCKET_PHRASE = "an S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens, " +
  "starting and ending with a letter or digit";
const BucketName = z.string({ error: BUCKET_PHRASE }).regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
  error: BUCKET_PHRASE,
});

/** The storage classes the lifecycle rules move objects to. */
export const STORAGE_CLASSES = [
  "STANDARD_IA",
  "ONEZONE_IA",
  "INTELLIGENT_TIERING",
  "GLACIER",
  "GLACIER_IR",
  "DEEP_ARCHIVE",
] as const;

/** One lifecycle rule: what happens to objects under a prefix as they age. */
export const LifecycleRuleSchema = z.strictObject({
  /**
   * Key prefix the rule applies to, relative to `<storage.prefix>/<storage.phase>/`
   * (e.g. `ingestion`, `models`, `cache`).
   */
  prefix: KeyPart,
  /** Age at which objects move to `infrequentAccessClass`, in days; `"90d"` by default. */
  infrequentAccessAfter: Days.prefault("90d"),
  /** Storage class of the first transition. */
  infrequentAccessClass: oneOf(STORAGE_CLASSES).default("STANDARD_IA"),
  /** Age at which objects are archived (`archiveClass`), in days; `"365d"` by default. */
  archiveAfter: Days.prefault("365d"),
  /** Storage class of the archive transition. */
  archiveClass: oneOf(STORAGE_CLASSES).default("GLACIER"),
  /** Age at which current objects expire (are deleted), in days; unset: never. */
  expireAfter: Days.optional(),
  /** Days after which versions that are no longer current are deleted; unset: never. */
  noncurrentExpireAfter: Days.optional(),
}).superRefine((r, ctx) => {
  if (r.archiveAfter <= r.infrequentAccessAfter) {
    ctx.addIssue({
      code: "custom",
      path: ["archiveAfter"],
      message: `more days than infrequentAccessAfter (${r.infrequentAccessAfter})`,
      params: EXPECTED,
    });
  }
  if (r.expireAfter !== undefined && r.expireAfter <= r.archiveAfter) {
    ctx.addIssue({
      code: "custom",
      path: ["expireAfter"],
      message: `more days than archiveAfter (${r.archiveAfter})`,
      params: EXPECTED,
    });
  }
});

/** The artefact prefixes of the seed's layout, each with its own default lifecycle rule. */
export const ARTIFACT_KINDS = ["ingestion", "preprocessing", "models"] as const;

/** Bucket lifecycle configuration, rendered and applied by `gam storage lifecycle apply`. */
export const LifecycleSchema = z.strictObject({
  /**
   * The rules, one per prefix. Default: one rule per artefact kind (ingestion, preprocessing,
   * models) with the seed's policy: standard storage 90 days, then infrequent access, archived
   * after 1 year, no expiry.
   */
  rules: listOf(LifecycleRuleSchema).prefault(ARTIFACT_KINDS.map((prefix) => ({ prefix }))),
}).superRefine((l, ctx) => {
  const seen = new Set<string>();
  l.rules.forEach((r, i) => {
    if (seen.has(r.prefix)) {
      ctx.addIssue({
        code: "custom",
        path: ["rules", i, "prefix"],
        message: `a prefix not already used by another rule ("${r.prefix}" is)`,
        params: EXPECTED,
      });
    }
    seen.add(r.prefix);
  });
});

/**
 * The S3-compatible bucket that holds run artefacts. Credentials are named auth profiles
 * (`auth:`), read at every request, so rotating the variable or file needs no restart.
 */
export const StorageSchema = z.strictObject({
  /**
   * Endpoint URL of an S3-compatible server, e.g. `http://127.0.0.1:7070` for the loopback
   * server of `scripts/s3_server.sh`. Unset: AWS S3's regional endpoint. Plain `http:` is
   * refused for non-loopback hosts unless `allowPlainHttp` is true.
   */
  endpoint: text("an http(s) URL").optional(),
  /** Region used to sign requests. */
  region: text('a region name such as "us-east-1"').default("us-east-1"),
  /** Bucket name (must exist or be creatable; versioning is switched on). */
  bucket: BucketName,
  /** Optional key prefix before the phase, for a bucket shared with others. */
  prefix: KeyPart.optional(),
  /** The `<phase>` segment of `s3://<bucket>/<phase>/{ingestion|preprocessing|models}/...`. */
  phase: KeyPart.default("phase1"),
  /** Path-style addressing (`endpoint/bucket/key`), what most S3-compatible servers expect. */
  forcePathStyle: bool().default(true),
  /** Allow plain `http:` to a non-loopback endpoint (credentials and data unencrypted). */
  allowPlainHttp: bool().default(false),
  /** Auth profiles (`auth:` keys) holding the access key id and the secret access key. */
  credentials: z.strictObject({
    /** Auth profile of the access key id. */
    accessKeyId: Name,
    /** Auth profile of the secret access key. */
    secretAccessKey: Name,
  }),
  /** Multipart uploads. */
  multipart: z.strictObject({
    /** Files of at least this size are uploaded in parts; `"16MiB"` or bytes. */
    thresholdBytes: ByteSize.prefault("16MiB"),
    /** Size of each part (S3's minimum is 5 MiB); `"8MiB"` or bytes. */
    partSizeBytes: ByteSize.prefault("8MiB"),
    /** Parts uploaded at the same time. */
    queueSize: int(1).default(4),
  }).superRefine((m, ctx) => {
    if (m.partSizeBytes < 5 * 1024 * 1024) {
      ctx.addIssue({
        code: "custom",
        path: ["partSizeBytes"],
        message: 'at least "5MiB" (the S3 minimum part size)',
        params: EXPECTED,
      });
    }
  }).prefault({}),
  /** Time limit of one request attempt (a whole part or small object), milliseconds. */
  timeoutMs: int(1, " (milliseconds)").default(120_000),
  /** Retry policy of storage requests (same policy as a source's). */
  retry: RetrySchema.prefault({}),
  /** Circuit breaker around the storage server. */
  circuitBreaker: CircuitBreakerSchema.prefault({}),
  /** Upload a run's artefacts when it ends (`gam storage push` does it on demand). */
  uploadAtRunEnd: bool().default(true),
  /** Bucket lifecycle rules. */
  lifecycle: LifecycleSchema.prefault({}),
  /**
   * The remote cache mirror: the bucket's `<phase>/<prefix>/` as the cache's second layer (a
   * local miss is looked up there before the source is asked; local writes are replicated in
   * the background, pending ones recorded in `<cacheDir>/.replication/`).
   */
  cacheMirror: z.strictObject({
    /** Mirror the cache to the bucket. */
    enabled: bool().default(true),
    /** Key prefix of the cache, relative to `[<prefix>/]<phase>/`. */
    prefix: KeyPart.default("cache"),
  }).prefault({}),
  /** Database backups to the bucket, scheduled by `gam serve`. */
  backup: z.strictObject({
    /**
     * When `gam serve` writes a data dump and a schema snapshot (5-field cron, local time);
     * `"off"`: never (back up with `gam db backup --to s3://...` from elsewhere).
     */
    schedule: z.union([z.literal("off"), Cron]).default("@weekly"),
    /** Key prefix of the backups, relative to `[<prefix>/]<phase>/`. */
    prefix: KeyPart.default("backups"),
    /** Write the schema snapshot (JSON) beside each data dump. */
    schemaSnapshot: bool().default(true),
  }).prefault({}),
}).superRefine((s, ctx) => {
  if (s.endpoint !== undefined) {
    const problem = endpointProblem(s.endpoint, s.allowPlainHttp);
    if (problem !== undefined) {
      ctx.addIssue({ code: "custom", path: ["endpoint"], message: problem, params: EXPECTED });
    }
  }
});

/**
 * How long data is kept (`gam storage prune`). Each age is optional: unset keeps that kind of
 * data forever. Pinned cache entries, the most recent `keepLastRuns` runs, and everything a kept
 * run's manifest references are never removed, whatever their age.
 */
export const RetentionSchema = z.strictObject({
  /** Fetched source data (ingestion cache entries, `ingestion/` objects), by age. */
  raw: Duration.optional(),
  /** Processed grids (preprocessing cache entries, `preprocessing/` objects), by age. */
  processed: Duration.optional(),
  /** Run folders (`<outputDir>/runs/<id>`) and their objects in the bucket, by run age. */
  runFolders: Duration.optional(),
  /** Database rows of finished runs (runs and their metadata), by run age. */
  databaseRows: Duration.optional(),
  /** The most recent runs kept whatever their age. */
  keepLastRuns: int(0).default(5),
});

// ---------------------------------------------------------------------------------------------
// The whole file.

const ConfigObject = z.strictObject({
  /** Schema version; this code reads version 1. */
  version: z.literal(CONFIG_VERSION, { error: `${CONFIG_VERSION} (the config schema version)` }),
  /** Defaults for every run. */
  defaults: DefaultsSchema,
  /** The long-running service. */
  service: ServiceSchema.prefault({}),
  /** Metrics of one-shot runs (Pushgateway). */
  observability: ObservabilitySchema.prefault({}),
  /** What the run's report shows. */
  report: ReportSchema.prefault({}),

  /** Blue/green deployments: canary bboxes and tolerances. */
  deployment: DeploymentSchema.prefault({}),
  /** Local or queued (tiled, distributed) execution, worker profiles. */
  execution: ExecutionSchema.prefault({}),
  /** Named secret references used by `source.auth`. */
  auth: z.record(Name, AuthProfileSchema, { error: "a mapping of auth profile names" })
    .default({}),
  /** The object store of run artefacts; absent: the local disk only. */
  storage: StorageSchema.optional(),
  /** How long runs, cache entries, objects and rows are kept; absent: forever. */
  retention: RetentionSchema.optional(),
  /** One section per modality; `gravity` and `magnetic` at least. */
  modalities: z.record(Name, ModalitySchema, { error: "a mapping of modality names" }),
});

function rec(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? v as Record<string, unknown>
    : {};
}

/**
 * Rules across sections. Runs even when other parts failed (so every problem is reported in
 * one go), hence it reads the input defensively.
 */
function crossCheck(input: unknown, ctx: z.RefinementCtx): void {
  const cfg = rec(input);
  const modalities = rec(cfg.modalities);
  const auth = rec(cfg.auth);
  if (typeof cfg.modalities === "object" && cfg.modalities !== null) {
    for (const name of REQUIRED_MODALITIES) {
      if (!(name in modalities)) {
        ctx.addIssue({
          code: "custom",
          path: ["modalities"],
          message: `a "${name}" section (gravity and magnetic are required; set ` +
            `enabled: false to skip one)`,
          params: EXPECTED,
        });
      }
    }
  }
  const creds = rec(rec(cfg.storage).credentials);
  for (const field of ["accessKeyId", "secretAccessKey"]) {
    const profile = creds[field];
    if (typeof profile === "string" && !(profile in auth)) {
      const known = Object.keys(auth);
      ctx.addIssue({
        code: "custom",
        path: ["storage", "credentials", field],
        message: `auth profile "${profile}" is not defined under auth: (` +
          (known.length ? `defined: ${known.join(", ")}` : "no profiles are defined") + ")",
      });
    }
  }
  for (const [name, value] of Object.entries(modalities)) {
    const m = rec(value);
    const source = rec(m.source);
    const at = ["modalities", name];
    const kinds = UNIT_MODALITIES as readonly string[];
    const kind = m.kind === undefined ? kinds.find((k) => k === name) : String(m.kind);
    if (kind === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [...at, "kind"],
        message: `one of ${UNIT_MODALITIES.join(", ")} (section "${name}" is not a known ` +
          `modality name, so kind: must say what it measures)`,
        params: EXPECTED,
      });
    } else if (kinds.includes(kind) && typeof m.units === "string" && !isKnownUnit(kind, m.units)) {
      ctx.addIssue({
        code: "custom",
        path: [...at, "units"],
        message: `a ${kind} unit: one of ${knownUnits(kind).join(", ")}`,
        params: EXPECTED,
      });
    }
    for (const [key, v] of Object.entries(rec(source.params))) {
      if (isSensitiveKey(key) && typeof v === "string") {
        ctx.addIssue({
          code: "custom",
          path: [...at, "source", "params", key],
          message: `"${key}" looks like a secret, and secrets are never written in the config: ` +
            `define an auth profile (auth: { name: { fromEnv: VARIABLE } }) and set source.auth`,
        });
      }
    }
    const profile = source.auth;
    if (typeof profile === "string" && !(profile in auth)) {
      const known = Object.keys(auth);
      ctx.addIssue({
        code: "custom",
        path: [...at, "source", "auth"],
        message: `auth profile "${profile}" is not defined under auth: (` +
          (known.length ? `defined: ${known.join(", ")}` : "no profiles are defined") + ")",
      });
    }
    const mod = source.module;
    if (typeof mod === "string" && mod.startsWith("http://")) {
      let host = "";
      try {
        host = new URL(mod).host;
      } catch {
        continue;
      }
      const allowed = Array.isArray(source.allowInsecureHttp) ? source.allowInsecureHttp : [];
      if (!allowed.includes(host)) {
        ctx.addIssue({
          code: "custom",
          path: [...at, "source", "module"],
          message: `plain http: is refused for host "${host}"; use https: or list the host ` +
            `under source.allowInsecureHttp`,
        });
      }
    }
  }
}

/**
 * The configuration schema. Input: the merged YAML/environment/flag object; output:
 * {@linkcode GamConfig} with every default filled in, durations in seconds, sizes in bytes,
 * units in canonical spelling and `kind` resolved. Cross-field rules: `gravity` and `magnetic`
 * exist, `source.auth` names an `auth:` profile, `units` is a unit of the modality's kind,
 * an `http:` module's host is in `allowInsecureHttp`.
 *
 * @example Usage
 * ```ts
 * import { ConfigSchema } from "./schema.ts";
 * const r = ConfigSchema.safeParse({ version: 2 });
 * r.success; // false
 * ```
 */
export const ConfigSchema = ConfigObject.superRefine(crossCheck, { when: () => true }).transform((
  cfg,
) => ({
  ...cfg,
  modalities: Object.fromEntries(
    Object.entries(cfg.modalities).map(([name, m]) => {
      const kind = (m.kind ?? name) as UnitModality;
      return [name, { ...m, kind, units: normalizeUnit(m.units, { modality: kind }) }];
    }),
  ),
}));

/**
 * The validated, fully defaulted configuration (output of {@linkcode ConfigSchema}).
 *
 * @example Usage
 * ```ts
 * import type { GamConfig } from "./schema.ts";
 * function workers(cfg: GamConfig): number {
 *   return cfg.defaults.workers;
 * }
 * ```
 */
export type GamConfig = z.output<typeof ConfigSchema>;

/**
 * What a configuration file may contain before defaults (input of {@linkcode ConfigSchema}).
 *
 * @example Usage
 * ```ts
 * import type { GamConfigInput } from "./schema.ts";
 * const partial: Partial<GamConfigInput> = { version: 1 };
 * ```
 */
export type GamConfigInput = z.input<typeof ConfigSchema>;

/**
 * One validated modality section, with `kind` resolved and durations/sizes converted.
 *
 * @example Usage
 * ```ts
 * import type { ModalityConfig } from "./schema.ts";
 * const attempts = (m: ModalityConfig) => m.retry.maxAttempts;
 * ```
 */
export type ModalityConfig = GamConfig["modalities"][string];

/**
 * A validated auth profile: `{ fromEnv }` or `{ fromFile }`.
 *
 * @example Usage
 * ```ts
 * import type { AuthProfile } from "./schema.ts";
 * const p: AuthProfile = { fromEnv: "ICGEM_TOKEN" };
 * ```
 */
export type AuthProfile = z.output<typeof AuthProfileSchema>;

/**
 * A validated `storage:` section, sizes in bytes and lifecycle ages in days.
 *
 * @example Usage
 * ```ts
 * import type { StorageConfig } from "./schema.ts";
 * const bucketOf = (s: StorageConfig) => s.bucket;
 * ```
 */
export type StorageConfig = z.output<typeof StorageSchema>;

/**
 * A validated `retention:` section, ages in seconds.
 *
 * @example Usage
 * ```ts
 * import type { RetentionConfig } from "./schema.ts";
 * const keep = (r: RetentionConfig) => r.keepLastRuns;
 * ```
 */
export type RetentionConfig = z.output<typeof RetentionSchema>;

/** Top-level sections of the configuration, in the order they are documented. */
export const TOP_LEVEL_KEYS = Object.keys(ConfigObject.shape) as readonly (keyof GamConfig)[];
