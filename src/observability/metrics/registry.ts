/**
 * Prometheus metrics: a registry of counters, gauges and histograms with labels, rendered in
 * the text exposition format 0.0.4. The rendering engine is the npm package `prom-client`
 * (checked under Deno 2.9.6: no Node-only APIs are touched by what we use); this module adds
 * GAM's naming rules, strict label checking and idempotent registration on top.
 *
 * Naming rules (checked at registration, {@linkcode MetricError} otherwise):
 * - names are lower-case snake_case with the `gam_` prefix;
 * - counters end in `_total`; gauges and histograms must not end in `_total`, `_count`,
 *   `_sum` or `_bucket`;
 * - base units only: `_seconds`, `_bytes`, `_ratio` (not `_ms`, `_milliseconds`, `_minutes`,
 *   `_kb`, `_megabytes`, `_percent`...);
 * - label names match `[a-zA-Z_][a-zA-Z0-9_]*`, do not start with `__`, are unique, and a
 *   histogram cannot have a label `le`.
 *
 * Registering the same name again returns the same metric when the type, the label names (in
 * any order) and the buckets agree, and throws otherwise.
 *
 * @module
 */
import client from "prom-client";

/**
 * Thrown for an invalid metric or label name, an incompatible re-registration, labels that do
 * not match the declared label names, or an invalid value.
 *
 * @example Usage
 * ```ts
 * import { MetricError, MetricsRegistry } from "./registry.ts";
 * try {
 *   new MetricsRegistry().counter({ name: "gam_fetches", help: "Fetches." });
 * } catch (e) {
 *   if (e instanceof MetricError) console.log(e.message); // ... must end in "_total" ...
 * }
 * ```
 */
export class MetricError extends RangeError {
  /** The metric concerned. */
  readonly metric: string;
  /**
   * @param metric The metric name received.
   * @param message What was wrong and what was expected.
   */
  constructor(metric: string, message: string) {
    super(message);
    this.name = "MetricError";
    this.metric = metric;
  }
}

/**
 * Label values keyed by label name. Numbers and booleans are rendered as strings.
 *
 * @example Usage
 * ```ts
 * import type { Labels } from "./registry.ts";
 * const l: Labels<"modality" | "outcome"> = { modality: "gravity", outcome: "ok" };
 * ```
 */
export type Labels<L extends string> = { readonly [K in L]: string | number | boolean };

/**
 * Arguments of a metric update: `(value?)` for a metric without labels, `(labels, value?)`
 * otherwise.
 *
 * @example Usage
 * ```ts
 * import type { UpdateArgs } from "./registry.ts";
 * const args: UpdateArgs<"modality"> = [{ modality: "gravity" }, 2];
 * ```
 */
export type UpdateArgs<L extends string> = [L] extends [never] ? [value?: number]
  : [labels: Labels<L>, value?: number];

/** Options shared by all metric types. */
export interface MetricOptions<L extends string> {
  /** The metric name, e.g. `gam_ingestion_fetch_total`. */
  name: string;
  /** One sentence saying what is measured, in which unit. */
  help: string;
  /** The label names. @default [] */
  labelNames?: readonly L[];
}

/** Options of {@linkcode MetricsRegistry.gauge}. */
export interface GaugeOptions<L extends string> extends MetricOptions<L> {
  /** Called at each {@linkcode MetricsRegistry.render} to update the gauge (e.g. queue depth). */
  collect?: (gauge: Gauge<L>) => void | Promise<void>;
}

/** Options of {@linkcode MetricsRegistry.histogram}. */
export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /**
   * Upper bounds of the buckets, finite and strictly increasing (`+Inf` is added).
   * @default DEFAULT_SECONDS_BUCKETS
   */
  buckets?: readonly number[];
}

/**
 * Default histogram buckets, in seconds: 5 ms to 60 s.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_SECONDS_BUCKETS } from "./registry.ts";
 * console.log(DEFAULT_SECONDS_BUCKETS.at(-1)); // 60
 * ```
 */
export const DEFAULT_SECONDS_BUCKETS: readonly number[] = Object.freeze([
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
]);

/**
 * `count` buckets `start, start*factor, start*factor², ...` (e.g. for sizes in bytes).
 *
 * @param start The first upper bound, > 0.
 * @param factor The ratio between bounds, > 1.
 * @param count How many bounds, >= 1.
 * @returns The bounds.
 * @throws {RangeError} For a non-positive start, a factor <= 1 or a count < 1.
 *
 * @example Usage
 * ```ts
 * import { exponentialBuckets } from "./registry.ts";
 * exponentialBuckets(1024, 4, 3); // [1024, 4096, 16384]
 * ```
 */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (!(start > 0) || !(factor > 1) || !Number.isInteger(count) || count < 1) {
    throw new RangeError(
      `exponentialBuckets() needs start > 0, factor > 1 and an integer count >= 1, got ` +
        `start=${start}, factor=${factor}, count=${count}`,
    );
  }
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

type Kind = "counter" | "gauge" | "histogram";

const NAME = /^gam_[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NON_BASE_UNITS = new Map<string, string>([
  ["ms", "_seconds"],
  ["msec", "_seconds"],
  ["millis", "_seconds"],
  ["milliseconds", "_seconds"],
  ["us", "_seconds"],
  ["microseconds", "_seconds"],
  ["ns", "_seconds"],
  ["nanoseconds", "_seconds"],
  ["sec", "_seconds"],
  ["secs", "_seconds"],
  ["minutes", "_seconds"],
  ["hours", "_seconds"],
  ["days", "_seconds"],
  ["kb", "_bytes"],
  ["kib", "_bytes"],
  ["kilobytes", "_bytes"],
  ["mb", "_bytes"],
  ["mib", "_bytes"],
  ["megabytes", "_bytes"],
  ["gb", "_bytes"],
  ["gib", "_bytes"],
  ["gigabytes", "_bytes"],
  ["bits", "_bytes"],
  ["percent", "_ratio (0 to 1)"],
  ["pct", "_ratio (0 to 1)"],
]);

function checkName(kind: Kind, name: unknown): string {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new MetricError(
      String(name),
      `Invalid metric name ${
        JSON.stringify(name)
      }: expected lower-case snake_case starting with "gam_" (e.g. "gam_ingestion_fetch_total")`,
    );
  }
  const parts = name.split("_");
  for (const p of parts) {
    const base = NON_BASE_UNITS.get(p);
    if (base) {
      throw new MetricError(
        name,
        `Invalid metric name "${name}": "_${p}" is not a base unit; use ${base}`,
      );
    }
  }
  const last = parts[parts.length - 1];
  if (kind === "counter" && last !== "total") {
    throw new MetricError(
      name,
      `Invalid counter name "${name}": counter names must end in "_total"`,
    );
  }
  if (kind !== "counter" && ["total", "count", "sum", "bucket"].includes(last)) {
    throw new MetricError(
      name,
      `Invalid ${kind} name "${name}": the suffix "_${last}" is reserved ` +
        `(only counters end in "_total"; "_count", "_sum", "_bucket" belong to histograms)`,
    );
  }
  return name;
}

function checkLabelNames(kind: Kind, name: string, labelNames: readonly unknown[]): string[] {
  if (!Array.isArray(labelNames)) {
    throw new MetricError(name, `labelNames of "${name}" must be an array of strings`);
  }
  const seen = new Set<string>();
  for (const l of labelNames) {
    if (typeof l !== "string" || !LABEL.test(l) || l.startsWith("__")) {
      throw new MetricError(
        name,
        `Invalid label name ${JSON.stringify(l)} of "${name}": expected [a-zA-Z_][a-zA-Z0-9_]* ` +
          `not starting with "__"`,
      );
    }
    if (kind === "histogram" && l === "le") {
      throw new MetricError(name, `Histogram "${name}" cannot have a label "le" (it is reserved)`);
    }
    if (seen.has(l)) throw new MetricError(name, `Label "${l}" of "${name}" is declared twice`);
    seen.add(l);
  }
  return [...seen];
}

function checkHelp(name: string, help: unknown): string {
  if (typeof help !== "string" || help.trim() === "") {
    throw new MetricError(name, `Metric "${name}" needs a non-empty help text`);
  }
  return help;
}

function checkBuckets(name: string, buckets: readonly number[]): number[] {
  if (!Array.isArray(buckets) || buckets.length === 0) {
    throw new MetricError(name, `Buckets of "${name}" must be a non-empty array of numbers`);
  }
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i];
    if (typeof b !== "number" || !Number.isFinite(b)) {
      throw new MetricError(
        name,
        `Bucket ${i} of "${name}" must be a finite number (+Inf is added), got ${String(b)}`,
      );
    }
    if (i > 0 && !(b > buckets[i - 1])) {
      throw new MetricError(
        name,
        `Buckets of "${name}" must be strictly increasing, got ${buckets[i - 1]} then ${b}`,
      );
    }
  }
  return [...buckets];
}

/** Base of the three metric types: label checking. */
abstract class MetricBase<L extends string> {
  /** The metric name. */
  readonly name: string;
  /** The declared label names. */
  readonly labelNames: readonly L[];

  constructor(name: string, labelNames: readonly L[]) {
    this.name = name;
    this.labelNames = Object.freeze([...labelNames]);
  }

  /** Splits `(value?)` / `(labels, value?)` and checks the labels. */
  protected split(args: unknown[], fallback: number): [Record<string, string>, number] {
    let labels: unknown = {};
    let value: unknown = fallback;
    if (this.labelNames.length === 0) {
      if (args.length > 0 && typeof args[0] === "object" && args[0] !== null) {
        labels = args[0];
        if (args.length > 1) value = args[1];
      } else if (args.length > 0 && args[0] !== undefined) {
        value = args[0];
      }
    } else {
      labels = args[0];
      if (args.length > 1 && args[1] !== undefined) value = args[1];
    }
    if (typeof value !== "number") {
      throw new MetricError(
        this.name,
        `Value for "${this.name}" must be a number, got ${typeof value}`,
      );
    }
    return [this.checkLabels(labels), value];
  }

  protected checkLabels(labels: unknown): Record<string, string> {
    if (typeof labels !== "object" || labels === null) {
      throw new MetricError(
        this.name,
        `"${this.name}" needs labels {${this.labelNames.join(", ")}}, got ${String(labels)}`,
      );
    }
    const out: Record<string, string> = {};
    const keys = Object.keys(labels);
    for (const k of keys) {
      if (!(this.labelNames as readonly string[]).includes(k)) {
        throw new MetricError(
          this.name,
          `Unknown label "${k}" for "${this.name}"; declared labels: ${
            this.labelNames.length ? this.labelNames.join(", ") : "(none)"
          }`,
        );
      }
    }
    for (const l of this.labelNames) {
      const v = (labels as Record<string, unknown>)[l];
      if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
        throw new MetricError(
          this.name,
          `Label "${l}" of "${this.name}" is missing or not a string (got ${
            v === null ? "null" : typeof v
          })`,
        );
      }
      out[l] = String(v);
    }
    return out;
  }
}

/**
 * A monotonically increasing count. Made by {@linkcode MetricsRegistry.counter}.
 *
 * @example Usage
 * ```ts
 * import { MetricsRegistry } from "./registry.ts";
 * const reg = new MetricsRegistry();
 * const fetches = reg.counter({
 *   name: "gam_ingestion_fetch_total",
 *   help: "Fetches by modality, plugin and outcome.",
 *   labelNames: ["modality", "plugin", "outcome"],
 * });
 * fetches.inc({ modality: "gravity", plugin: "synthetic", outcome: "ok" });
 * ```
 */
export class Counter<L extends string = never> extends MetricBase<L> {
  readonly #metric: client.Counter<string>;

  /** @internal Use {@linkcode MetricsRegistry.counter}. */
  constructor(name: string, labelNames: readonly L[], metric: client.Counter<string>) {
    super(name, labelNames);
    this.#metric = metric;
  }

  /**
   * Adds `value` (default 1, must be finite and >= 0).
   *
   * @param args `(value?)` without labels, `(labels, value?)` with labels.
   */
  inc(...args: UpdateArgs<L>): void {
    const [labels, value] = this.split(args, 1);
    if (!Number.isFinite(value) || value < 0) {
      throw new MetricError(
        this.name,
        `Counter "${this.name}" can only increase by a finite value >= 0, got ${value}`,
      );
    }
    this.#metric.inc(labels, value);
  }
}

/**
 * A value that goes up and down. Made by {@linkcode MetricsRegistry.gauge}.
 *
 * @example Usage
 * ```ts
 * import { MetricsRegistry } from "./registry.ts";
 * const reg = new MetricsRegistry();
 * const state = reg.gauge({
 *   name: "gam_ingestion_circuit_state",
 *   help: "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
 *   labelNames: ["modality"],
 * });
 * state.set({ modality: "gravity" }, 2);
 * ```
 */
export class Gauge<L extends string = never> extends MetricBase<L> {
  readonly #metric: client.Gauge<string>;

  /** @internal Use {@linkcode MetricsRegistry.gauge}. */
  constructor(name: string, labelNames: readonly L[], metric: client.Gauge<string>) {
    super(name, labelNames);
    this.#metric = metric;
  }

  /**
   * Sets the value.
   *
   * @param args `(value)` without labels, `(labels, value)` with labels.
   */
  set(...args: UpdateArgs<L>): void {
    const [labels, value] = this.split(args, NaN);
    this.#metric.set(labels, value);
  }

  /**
   * Adds `value` (default 1).
   *
   * @param args `(value?)` without labels, `(labels, value?)` with labels.
   */
  inc(...args: UpdateArgs<L>): void {
    const [labels, value] = this.split(args, 1);
    this.#metric.inc(labels, value);
  }

  /**
   * Subtracts `value` (default 1).
   *
   * @param args `(value?)` without labels, `(labels, value?)` with labels.
   */
  dec(...args: UpdateArgs<L>): void {
    const [labels, value] = this.split(args, 1);
    this.#metric.dec(labels, value);
  }
}

/**
 * Observations counted in cumulative buckets, with their sum and count. Made by
 * {@linkcode MetricsRegistry.histogram}.
 *
 * @example Usage
 * ```ts
 * import { MetricsRegistry } from "./registry.ts";
 * const reg = new MetricsRegistry();
 * const dur = reg.histogram({
 *   name: "gam_ingestion_fetch_duration_seconds",
 *   help: "Duration of one fetch in seconds.",
 *   labelNames: ["modality"],
 *   buckets: [0.1, 1, 10],
 * });
 * dur.observe({ modality: "gravity" }, 0.42);
 * ```
 */
export class Histogram<L extends string = never> extends MetricBase<L> {
  readonly #metric: client.Histogram<string>;
  /** The bucket upper bounds (without `+Inf`). */
  readonly buckets: readonly number[];

  /** @internal Use {@linkcode MetricsRegistry.histogram}. */
  constructor(
    name: string,
    labelNames: readonly L[],
    buckets: readonly number[],
    metric: client.Histogram<string>,
  ) {
    super(name, labelNames);
    this.buckets = Object.freeze([...buckets]);
    this.#metric = metric;
  }

  /**
   * Records one observation (finite).
   *
   * @param args `(value)` without labels, `(labels, value)` with labels.
   */
  observe(...args: UpdateArgs<L>): void {
    const [labels, value] = this.split(args, NaN);
    if (!Number.isFinite(value)) {
      throw new MetricError(
        this.name,
        `Histogram "${this.name}" needs a finite observation, got ${value}`,
      );
    }
    this.#metric.observe(labels, value);
  }

  /**
   * Starts a timer; calling the returned function observes the elapsed seconds (monotonic
   * clock) and returns them.
   *
   * @param args `()` without labels, `(labels)` with labels.
   * @returns The stop function.
   */
  startTimer(...args: [L] extends [never] ? [] : [labels: Labels<L>]): () => number {
    const labels = this.checkLabels(args[0] ?? {});
    const t0 = performance.now();
    return () => {
      const seconds = (performance.now() - t0) / 1000;
      this.#metric.observe(labels, seconds);
      return seconds;
    };
  }
}

interface Entry {
  kind: Kind;
  labelNames: string[];
  buckets?: number[];
  metric: MetricBase<string>;
}

/**
 * A set of metrics rendered together. Use {@linkcode defaultRegistry} in the application and a
 * fresh `new MetricsRegistry()` in tests.
 *
 * @example Usage
 * ```ts
 * import { MetricsRegistry } from "./registry.ts";
 * const reg = new MetricsRegistry();
 * reg.counter({ name: "gam_runs_total", help: "Runs started." }).inc();
 * const text = await reg.render(); // "# HELP gam_runs_total Runs started.\n..."
 * ```
 */
export class MetricsRegistry {
  readonly #prom = new client.Registry();
  readonly #entries = new Map<string, Entry>();

  /**
   * The HTTP `Content-Type` of {@linkcode render}'s output.
   *
   * @example Usage
   * ```ts
   * import { MetricsRegistry } from "./registry.ts";
   * new MetricsRegistry().contentType; // "text/plain; version=0.0.4; charset=utf-8"
   * ```
   */
  get contentType(): string {
    return this.#prom.contentType;
  }

  /**
   * Registers (or returns the compatible existing) counter.
   *
   * @param options Name (ending in `_total`), help, label names.
   * @returns The counter.
   * @throws {MetricError} For an invalid name or labels, or an incompatible metric of that name.
   *
   * @example Usage
   * ```ts
   * import { MetricsRegistry } from "./registry.ts";
   * const c = new MetricsRegistry().counter({
   *   name: "gam_ingestion_retries_total",
   *   help: "Retried fetch attempts.",
   *   labelNames: ["modality"],
   * });
   * c.inc({ modality: "magnetic" }, 2);
   * ```
   */
  counter<L extends string = never>(options: MetricOptions<L>): Counter<L> {
    return this.#register("counter", options, undefined, (name, help, labelNames) =>
      new Counter<L>(
        name,
        labelNames as L[],
        new client.Counter({ name, help, labelNames, registers: [this.#prom] }),
      ));
  }

  /**
   * Registers (or returns the compatible existing) gauge.
   *
   * @param options Name, help, label names, optional `collect` callback run at each render.
   * @returns The gauge.
   * @throws {MetricError} For an invalid name or labels, or an incompatible metric of that name.
   *
   * @example Usage
   * ```ts
   * import { MetricsRegistry } from "./registry.ts";
   * let depth = 0;
   * new MetricsRegistry().gauge({
   *   name: "gam_serve_queue_depth",
   *   help: "Runs waiting to start.",
   *   collect: (g) => g.set(depth),
   * });
   * ```
   */
  gauge<L extends string = never>(options: GaugeOptions<L>): Gauge<L> {
    return this.#register("gauge", options, undefined, (name, help, labelNames) => {
      let wrapper: Gauge<L> | undefined = undefined;
      const collect = options.collect;
      const metric = new client.Gauge({
        name,
        help,
        labelNames,
        registers: [this.#prom],
        ...(collect ? { collect: () => collect(wrapper!) } : {}),
      });
      wrapper = new Gauge<L>(name, labelNames as L[], metric);
      return wrapper;
    });
  }

  /**
   * Registers (or returns the compatible existing) histogram.
   *
   * @param options Name (with its base unit, e.g. `_seconds`), help, label names, buckets.
   * @returns The histogram.
   * @throws {MetricError} For an invalid name, labels or buckets, or an incompatible metric of
   *   that name.
   *
   * @example Usage
   * ```ts
   * import { exponentialBuckets, MetricsRegistry } from "./registry.ts";
   * const h = new MetricsRegistry().histogram({
   *   name: "gam_cache_entry_size_bytes",
   *   help: "Size of cache entries in bytes.",
   *   buckets: exponentialBuckets(1024, 4, 8),
   * });
   * h.observe(52_000);
   * ```
   */
  histogram<L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    const name = String(options?.name);
    const buckets = checkBuckets(name, options.buckets ?? DEFAULT_SECONDS_BUCKETS);
    return this.#register(
      "histogram",
      options,
      buckets,
      (name, help, labelNames) =>
        new Histogram<L>(
          name,
          labelNames as L[],
          buckets,
          new client.Histogram({ name, help, labelNames, buckets, registers: [this.#prom] }),
        ),
    );
  }

  /**
   * Renders every metric in the Prometheus text exposition format 0.0.4 (HELP, TYPE, escaped
   * label values, cumulative `_bucket{le=...}` including `+Inf`, `_sum`, `_count`). Runs the
   * gauges' `collect` callbacks first.
   *
   * @returns The exposition text.
   *
   * @example Usage
   * ```ts
   * import { MetricsRegistry } from "./registry.ts";
   * const reg = new MetricsRegistry();
   * const body = await reg.render();
   * new Response(body, { headers: { "content-type": reg.contentType } });
   * ```
   */
  async render(): Promise<string> {
    return await this.#prom.metrics();
  }

  /**
   * The names of the registered metrics, in registration order.
   *
   * @returns The names.
   *
   * @example Usage
   * ```ts
   * import { MetricsRegistry } from "./registry.ts";
   * new MetricsRegistry().names(); // []
   * ```
   */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  /**
   * Resets every metric to its initial state (no series), keeping the registrations.
   *
   * @example Usage
   * ```ts
   * import { MetricsRegistry } from "./registry.ts";
   * new MetricsRegistry().resetValues();
   * ```
   */
  resetValues(): void {
    this.#prom.resetMetrics();
  }

  #register<M extends MetricBase<string>>(
    kind: Kind,
    options: MetricOptions<string>,
    buckets: number[] | undefined,
    make: (name: string, help: string, labelNames: string[]) => M,
  ): M {
    if (typeof options !== "object" || options === null) {
      throw new MetricError("", `Metric options must be an object, got ${String(options)}`);
    }
    const name = checkName(kind, options.name);
    const help = checkHelp(name, options.help);
    const labelNames = checkLabelNames(kind, name, options.labelNames ?? []);
    const existing = this.#entries.get(name);
    if (existing) {
      const why = existing.kind !== kind
        ? `it is a ${existing.kind}, not a ${kind}`
        : [...existing.labelNames].sort().join(",") !== [...labelNames].sort().join(",")
        ? `its labels are [${existing.labelNames.join(", ")}], not [${labelNames.join(", ")}]`
        : kind === "histogram" && existing.buckets!.join(",") !== buckets!.join(",")
        ? `its buckets are [${existing.buckets!.join(", ")}], not [${buckets!.join(", ")}]`
        : undefined;
      if (why) {
        throw new MetricError(name, `Metric "${name}" is already registered and ${why}`);
      }
      return existing.metric as M;
    }
    const metric = make(name, help, labelNames);
    this.#entries.set(name, { kind, labelNames, buckets, metric });
    return metric;
  }
}

/**
 * The process-wide registry that `gam serve` exposes on `/metrics`. Components register their
 * metrics here (registration is idempotent, so each module can register at first use).
 *
 * @example Usage
 * ```ts
 * import { defaultRegistry } from "./registry.ts";
 * const runs = defaultRegistry.counter({
 *   name: "gam_run_total",
 *   help: "Runs by outcome.",
 *   labelNames: ["outcome"],
 * });
 * runs.inc({ outcome: "ok" });
 * ```
 */
export const defaultRegistry: MetricsRegistry = new MetricsRegistry();
