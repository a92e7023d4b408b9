/**
 * A run's log: every line of a run goes to `<outputDir>/runs/<run-id>/log.jsonl` (whoever runs
 * it: `gam run`, a scheduled run of `gam serve`), and {@linkcode collectRunLog} gathers a run's
 * lines back, with those that processes sharing the output folder wrote to their own log files
 * in `<outputDir>/logs/*.jsonl` (workers running the run's queued jobs), in time order.
 *
 * A line belongs to a run when its `correlationId` or `runId` is the run's id, or its
 * `traceparent` carries the run's trace id (fetch lines have a correlation id of their own).
 *
 * @module
 */
import { parseTraceparent } from "./trace_context.ts";

const encoder = new TextEncoder();

/**
 * An open run log.
 *
 * @example Usage
 * ```ts
 * import { openRunLog } from "./run_log.ts";
 * const dir = await Deno.makeTempDir();
 * const log = await openRunLog(dir);
 * log.sink('{"time":"2026-12-04T00:00:00.000Z","level":"info","msg":"hello"}');
 * log.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface RunLog {
  /** Appends one finished line (and passes it to the echo, if any). */
  sink(line: string): void;
  /** Closes the file. */
  close(): void;
}

/**
 * Opens (creates, appends to) `<runDir>/log.jsonl`.
 *
 * @param runDir The run folder (created when missing).
 * @param echo Also receives every line (stderr, a terminal renderer). @default none
 * @returns The log.
 *
 * @example Usage
 * ```ts
 * import { openRunLog } from "./run_log.ts";
 * const dir = await Deno.makeTempDir();
 * const log = await openRunLog(dir, (line) => console.error(line));
 * log.sink('{"level":"info","msg":"hello"}');
 * log.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openRunLog(
  runDir: string,
  echo?: (line: string) => void,
): Promise<RunLog> {
  return await openLogFile(`${runDir}/log.jsonl`, echo);
}

/**
 * Opens (creates, appends to) a JSON-lines log file, its folder created when missing: a run's
 * `log.jsonl`, or a worker's `<outputDir>/logs/<name>.jsonl` (see {@linkcode collectRunLog}).
 *
 * @param path The file.
 * @param echo Also receives every line. @default none
 *
 * @example Usage
 * ```ts
 * import { openLogFile } from "./run_log.ts";
 * const dir = await Deno.makeTempDir();
 * const log = await openLogFile(`${dir}/logs/worker-io-1.jsonl`);
 * log.sink('{"level":"info","msg":"worker started"}');
 * log.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openLogFile(path: string, echo?: (line: string) => void): Promise<RunLog> {
  const i = path.lastIndexOf("/");
  if (i > 0) await Deno.mkdir(path.slice(0, i), { recursive: true });
  const file = await Deno.open(path, { create: true, append: true });
  return {
    sink(line) {
      file.writeSync(encoder.encode(`${line}\n`));
      echo?.(line);
    },
    close: () => file.close(),
  };
}

/**
 * Thrown by {@linkcode collectRunLog} when neither the run folder nor any shared log file has
 * a line of the run.
 *
 * @example Usage
 * ```ts
 * import { RunLogNotFoundError } from "./run_log.ts";
 * console.log(new RunLogNotFoundError("run-x", "out").message);
 * ```
 */
export class RunLogNotFoundError extends Error {
  /**
   * @param runId The run asked for.
   * @param outputDir The output folder searched.
   */
  constructor(readonly runId: string, outputDir: string) {
    super(
      `No log lines of run "${runId}": neither ${outputDir}/runs/${runId}/log.jsonl nor ` +
        `${outputDir}/logs/*.jsonl has any (is the output folder right? --output-dir)`,
    );
    this.name = "RunLogNotFoundError";
  }
}

/** One line of a run's log, with where it came from. */
export interface RunLogLine {
  /** The line as written (JSON). */
  line: string;
  /** Its parsed record. */
  record: Record<string, unknown>;
  /** The file it was read from. */
  file: string;
}

async function readLines(path: string): Promise<RunLogLine[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  const out: RunLogLine[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const record = JSON.parse(line);
      if (record && typeof record === "object") out.push({ line, record, file: path });
    } catch {
      // a line cut by a crash mid-write: not a record
    }
  }
  return out;
}

function traceIdOfRecord(r: Record<string, unknown>): string | undefined {
  if (typeof r.traceparent !== "string") return undefined;
  try {
    return parseTraceparent(r.traceparent).traceId;
  } catch {
    return undefined;
  }
}

/**
 * Every line of run `runId`, in time order (lines with equal times keep their file order).
 *
 * @param outputDir The output folder (`defaults.outputDir`).
 * @param runId The run id.
 * @returns The lines.
 * @throws {RunLogNotFoundError} When no line of the run is found.
 *
 * @example Usage
 * ```ts
 * import { collectRunLog, openRunLog } from "./run_log.ts";
 * const out = await Deno.makeTempDir();
 * const log = await openRunLog(`${out}/runs/run-1`);
 * log.sink('{"time":"2026-12-04T00:00:01.000Z","level":"info","msg":"b","correlationId":"run-1"}');
 * log.sink('{"time":"2026-12-04T00:00:00.000Z","level":"info","msg":"a","correlationId":"run-1"}');
 * log.close();
 * console.log((await collectRunLog(out, "run-1")).map((l) => l.record.msg)); // ["a", "b"]
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function collectRunLog(outputDir: string, runId: string): Promise<RunLogLine[]> {
  const own = await readLines(`${outputDir}/runs/${runId}/log.jsonl`);
  const shared: RunLogLine[] = [];
  try {
    const names: string[] = [];
    for await (const e of Deno.readDir(`${outputDir}/logs`)) {
      if (e.isFile && e.name.endsWith(".jsonl")) names.push(e.name);
    }
    for (const name of names.sort()) shared.push(...await readLines(`${outputDir}/logs/${name}`));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const ofRun = (r: Record<string, unknown>) => r.correlationId === runId || r.runId === runId;
  const traces = new Set<string>();
  for (const l of [...own, ...shared]) {
    const t = ofRun(l.record) ? traceIdOfRecord(l.record) : undefined;
    if (t) traces.add(t);
  }
  const lines = [
    ...own,
    ...shared.filter((l) => {
      if (ofRun(l.record)) return true;
      const t = traceIdOfRecord(l.record);
      return t !== undefined && traces.has(t);
    }),
  ];
  if (lines.length === 0) throw new RunLogNotFoundError(runId, outputDir);
  const time = (l: RunLogLine) => {
    const t = typeof l.record.time === "string" ? Date.parse(l.record.time) : NaN;
    return Number.isFinite(t) ? t : 0;
  };
  return lines
    .map((l, i) => ({ l, i, t: time(l) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.l);
}
