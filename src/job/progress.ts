/**
 * Progress reporting for `gam run`: one bar per modality and stage on a terminal, redrawn in
 * place, with elapsed time and ETA. A task that cannot report fractions (`total: 0`: a stage
 * that runs as one kernel call, such as gridding or QC) shows a spinner with its elapsed time
 * instead of a bar stuck at 0%. When stderr is not a terminal (CI, services) progress is
 * written as structured log records (`msg: "progress"`) through the run's logger, so stderr
 * carries JSON lines only, never plain progress text between them.
 *
 * @module
 */
import { escapeControlChars } from "../observability/mod.ts";
import type { Logger } from "../observability/mod.ts";

/** One progress update. */
export interface ProgressEvent {
  /** Bar key, e.g. `"gravity"`. */
  modality: string;
  /** What is running, e.g. `"grid (fine)"`. */
  task: string;
  /** Units done so far. */
  done: number;
  /** Units in all; 0 when unknown (shown as a spinner with elapsed time). */
  total: number;
  /** Unit of `done`/`total`, e.g. `"points"`, `"cells"`. */
  unit: string;
}

/** Where progress goes. */
export interface ProgressSink {
  update(event: ProgressEvent): void;
  /** Marks a modality finished with a final word (`"done"`, `"failed: ..."`). */
  finish(modality: string, outcome: string): void;
  /** Erases the bars (TTY) before the summary table is printed. */
  close(): void;
}

/** Options of {@linkcode createProgress}. */
export interface ProgressOptions {
  /** Draw bars in place. @default whether stderr is a terminal and CI is unset */
  tty?: boolean;
  /** Receives text. @default a synchronous write to stderr */
  write?: (text: string) => void;
  /** The clock, milliseconds. @default performance.now */
  now?: () => number;
  /** Plain mode prints a line per bar at most this often, ms. @default 2000 */
  plainIntervalMs?: number;
  /**
   * Outside a terminal, progress goes to this logger as info records `"progress"` (with
   * `modality`, `task`, `done`, `total`, `unit`, `elapsedSeconds`, or `outcome`); without one,
   * as JSON lines of the same shape through `write`.
   * @default {undefined}
   */
  logger?: Pick<Logger, "info">;
  /** Terminal mode: redraw spinners this often, ms (0: only on updates). @default 125 */
  spinIntervalMs?: number;
}

const SPINNER = ["|", "/", "-", "\\"];

const encoder = new TextEncoder();

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "--";
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, "0")}s`;
}

/**
 * Creates a progress sink.
 *
 * @example Usage
 * ```ts
 * import { createProgress } from "./progress.ts";
 * const p = createProgress({ tty: false, write: () => {} });
 * p.update({ modality: "gravity", task: "grid", done: 5, total: 10, unit: "cells" });
 * p.finish("gravity", "done");
 * ```
 */
export function createProgress(options: ProgressOptions = {}): ProgressSink {
  const write = options.write ?? ((t: string) => Deno.stderr.writeSync(encoder.encode(t)));
  const now = options.now ?? (() => performance.now());
  const tty = options.tty ?? (Deno.stderr.isTerminal() && !Deno.env.get("CI"));
  const interval = options.plainIntervalMs ?? 2000;
  const bars = new Map<
    string,
    {
      event: ProgressEvent;
      started: number;
      taskStarted: number;
      outcome?: string;
      lastPrint: number;
    }
  >();
  let drawn = 0;

  const line = (key: string): string => {
    const b = bars.get(key)!;
    const { event } = b;
    const elapsed = (now() - b.started) / 1000;
    if (b.outcome) return `${key.padEnd(10)} ${b.outcome} in ${formatSeconds(elapsed)}`;
    const taskElapsed = (now() - b.taskStarted) / 1000;
    if (!(event.total > 0)) {
      // No fraction to show: a spinner and the time the task has been running, no ETA.
      const frame = SPINNER[Math.floor(taskElapsed * 8) % SPINNER.length];
      return `${key.padEnd(10)} [${frame}] ${event.task} running ${formatSeconds(taskElapsed)} ` +
        `elapsed ${formatSeconds(elapsed)}`;
    }
    const frac = Math.min(1, event.done / event.total);
    const eta = frac > 0 ? (taskElapsed * (1 - frac)) / frac : Infinity;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] `;
    return `${key.padEnd(10)} ${bar}${(frac * 100).toFixed(0).padStart(3)}% ${event.task} ` +
      `${event.done.toLocaleString("en")}/${event.total.toLocaleString("en")} ${event.unit} ` +
      `elapsed ${formatSeconds(elapsed)} eta ${formatSeconds(eta)}`;
  };

  /** Outside a terminal: one structured record, through the logger or as a JSON line. */
  const record = (key: string) => {
    const b = bars.get(key)!;
    const fields: Record<string, unknown> = {
      modality: key,
      ...(b.outcome
        ? { outcome: b.outcome }
        : { task: b.event.task, done: b.event.done, total: b.event.total, unit: b.event.unit }),
      elapsedSeconds: Math.round(now() - b.started) / 1000,
    };
    if (options.logger) options.logger.info("progress", fields);
    else {
      write(
        `${
          JSON.stringify({
            time: new Date().toISOString(),
            level: "info",
            msg: "progress",
            ...fields,
          })
        }\n`,
      );
    }
  };

  let spinner: number | undefined;
  const spinInterval = options.spinIntervalMs ?? 125;
  const redraw = () => {
    let out = drawn > 0 ? `\x1b[${drawn}A` : "";
    for (const key of bars.keys()) out += `\x1b[2K${line(key)}\n`;
    drawn = bars.size;
    write(out);
    const spinning = [...bars.values()].some((b) => !b.outcome && !(b.event.total > 0));
    if (spinning && spinner === undefined && spinInterval > 0) {
      spinner = setInterval(redraw, spinInterval) as unknown as number;
      Deno.unrefTimer(spinner);
    } else if (!spinning && spinner !== undefined) {
      clearInterval(spinner);
      spinner = undefined;
    }
  };

  return {
    update(event) {
      const t = now();
      const existing = bars.get(event.modality);
      const taskStarted = existing && existing.event.task === event.task ? existing.taskStarted : t;
      const bar = {
        event,
        started: existing?.started ?? t,
        taskStarted,
        lastPrint: existing?.lastPrint ?? -Infinity,
      };
      bars.set(event.modality, bar);
      if (tty) return redraw();
      const newTask = !existing || existing.event.task !== event.task;
      const complete = event.total > 0 && event.done >= event.total;
      if (newTask || complete || t - bar.lastPrint >= interval) {
        bar.lastPrint = t;
        record(event.modality);
      }
    },
    finish(modality, outcome) {
      const b = bars.get(modality) ?? {
        event: { modality, task: "", done: 0, total: 0, unit: "" },
        started: now(),
        taskStarted: now(),
        lastPrint: 0,
      };
      // The outcome may quote input (an error message): no control characters on the terminal.
      bars.set(modality, { ...b, outcome: escapeControlChars(outcome) });
      if (tty) redraw();
      else record(modality);
    },
    close() {
      if (spinner !== undefined) clearInterval(spinner);
      spinner = undefined;
      if (tty && drawn > 0) write(`\x1b[${drawn}A\x1b[J`);
      drawn = 0;
    },
  };
}
