/**
 * Wall time and peak memory of one command run as its own process, for the `bench:*` scripts
 * that compare whole commands (`bench:grid`, `bench:e2e`, `bench:regress`): the one
 * reference-command runner.
 *
 * @module
 */

/** One measured run. */
export interface Measure {
  /** Wall time from spawn to exit, seconds. */
  seconds: number;
  /** Peak resident set size, MiB (null when it could not be read). */
  peakMiB: number | null;
  /**
   * CPU time of the process and its threads and children, user + system, seconds (from
   * `/usr/bin/time`; undefined without it). The steadier measure on a loaded machine.
   */
  cpuSeconds?: number;
  /** Whether the command exited with status 0. */
  ok: boolean;
  /** The last lines of its stderr when it failed. */
  error?: string;
}

/**
 * The peak resident set size (`VmHWM`) and name of a live process, read from
 * `/proc/<pid>/status`: the one /proc peak-memory reader of the benchmarks.
 *
 * @param pid Process id.
 * @returns Peak RSS in KiB and the process name; undefined when the process is gone (or not
 *   Linux).
 *
 * @example Usage
 * ```ts
 * import { procPeak } from "./_measure.ts";
 * console.log(procPeak(Deno.pid)?.kib); // this process's peak RSS, KiB
 * ```
 */
export function procPeak(pid: number): { name: string; kib: number } | undefined {
  try {
    const s = Deno.readTextFileSync(`/proc/${pid}/status`);
    return {
      name: s.match(/Name:\s+(\S+)/)?.[1] ?? "?",
      kib: Number(s.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0),
    };
  } catch {
    return undefined; // exited
  }
}

const hasTime = await Deno.stat("/usr/bin/time").then(() => true, () => false);

/** How peak memory is measured here: `"/usr/bin/time"` or `"/proc sampling"`. */
export const PEAK_SOURCE: string = hasTime ? "/usr/bin/time" : "/proc sampling";

/**
 * Runs `cmd args`; returns its wall time and peak RSS. Peak memory is the process's maximum
 * RSS from `/usr/bin/time -f %M` when present (for `sh -c` pipelines: the largest of the shell
 * and the children it waited for), else sampled from /proc/PID/status (VmHWM) every 10 ms.
 *
 * @param cmd The program.
 * @param args Its arguments.
 * @param options `limit`: seconds after which the run is killed (coreutils `timeout`);
 *   `dir`: folder for the temporary statistics file (default the temp folder);
 *   `cwd`: working folder of the command (default this process's).
 * @returns The measure; `ok` false with the last stderr lines when it failed.
 *
 * @example Usage
 * ```ts
 * import { measure } from "./_measure.ts";
 * const m = await measure("gmt", ["--version"]);
 * console.log(m.seconds, m.peakMiB);
 * ```
 */
export async function measure(
  cmd: string,
  args: string[],
  options: { limit?: number; dir?: string; cwd?: string } = {},
): Promise<Measure> {
  const { limit } = options;
  if (limit !== undefined) {
    args = ["-s", "KILL", String(limit), cmd, ...args];
    cmd = "timeout";
  }
  const dir = options.dir ?? Deno.env.get("TMPDIR") ?? "/tmp";
  const t0 = performance.now();
  const statFile = `${dir}/time.${crypto.randomUUID().slice(0, 8)}`;
  const child = new Deno.Command(hasTime ? "/usr/bin/time" : cmd, {
    args: hasTime ? ["-f", "%M %U %S", "-o", statFile, cmd, ...args] : args,
    cwd: options.cwd,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let peakKiB = 0;
  let cpuSeconds: number | undefined;
  let sampler: ReturnType<typeof setInterval> | undefined;
  if (!hasTime) {
    sampler = setInterval(() => {
      peakKiB = Math.max(peakKiB, procPeak(child.pid)?.kib ?? 0);
    }, 10);
  }
  const out = await child.output();
  const seconds = (performance.now() - t0) / 1000;
  if (sampler !== undefined) clearInterval(sampler);
  if (hasTime) {
    const text = await Deno.readTextFile(statFile).catch(() => "");
    await Deno.remove(statFile).catch(() => {});
    const last = text.trim().split("\n").pop() ?? "";
    const m = /^(\d+) ([\d.]+) ([\d.]+)$/.exec(last);
    if (m) {
      peakKiB = Number(m[1]);
      cpuSeconds = Number(m[2]) + Number(m[3]);
    }
  }
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (limit !== undefined && (out.code === 137 || out.code === 124)) {
    return { seconds, peakMiB: null, ok: false, error: `killed after ${limit} s` };
  }
  return {
    seconds,
    peakMiB: peakKiB > 0 ? peakKiB / 1024 : null,
    ...(cpuSeconds !== undefined ? { cpuSeconds } : {}),
    ok: out.success,
    error: out.success ? undefined : stderr.split("\n").slice(-2).join(" | "),
  };
}

/**
 * The best of `runs` runs of one command: the least wall time and, separately, the least CPU
 * time (user + system) of the runs that succeeded, with the largest peak memory among them; the
 * first run when none succeeded. On a shared machine the two minima are the steadier measures.
 *
 * @param runs How many times to run (>= 1).
 * @param run One measured run (e.g. `() => measure(cmd, args)`).
 * @returns The combined measure.
 *
 * @example Usage
 * ```ts
 * import { bestOf, measure } from "./_measure.ts";
 * const m = await bestOf(2, () => measure("true", []));
 * console.log(m.seconds, m.cpuSeconds);
 * ```
 */
export async function bestOf(runs: number, run: () => Promise<Measure>): Promise<Measure> {
  const all: Measure[] = [];
  for (let i = 0; i < runs; i++) all.push(await run());
  const ok = all.filter((m) => m.ok);
  if (ok.length === 0) return all[0];
  const cpu = ok.flatMap((m) => m.cpuSeconds === undefined ? [] : [m.cpuSeconds]);
  return {
    ...ok.reduce((a, b) => (b.seconds < a.seconds ? b : a)),
    peakMiB: Math.max(...ok.map((m) => m.peakMiB ?? 0)) || null,
    ...(cpu.length ? { cpuSeconds: Math.min(...cpu) } : {}),
  };
}
