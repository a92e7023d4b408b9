/**
 * Run leases: a `running` run records the process that owns it (host name, pid, the process's
 * start time and the kernel instance) and renews a heartbeat in the database while it works.
 * A run whose process died without ending it (SIGKILL, out of memory, power loss) is found at
 * the next start ({@linkcode reconcileRuns}, called by every `gam run` and `gam serve` run once
 * its database is open) and marked `interrupted`; `gam db status` lists the runs left `running`
 * with the same verdicts ({@linkcode judgeRun}), without changing them.
 *
 * The rule (a run is only ever marked when its owner is known to be gone):
 * - **Same host, same kernel instance** (boot id and pid namespace match this process's): the
 *   owner is alive exactly when a process with its pid exists and started at the recorded time
 *   (a reused pid has another start time). Alive: kept, whatever its heartbeat. Gone: marked
 *   at once.
 * - **Anywhere else** (another host, container or boot, or no `/proc` to ask): the heartbeat
 *   decides. Silent for less than `staleSeconds` (default {@linkcode STALE_AFTER_SECONDS}):
 *   kept. Silent longer: marked, re-checked in the update itself so that a heartbeat arriving
 *   meanwhile keeps the run. Ages are measured by the database's clock, so hosts' clocks may
 *   disagree.
 *
 * Rows written before migration 0003 have no owner; they are judged by the time since they
 * started.
 *
 * @module
 */
import type { RunningRun, RunOwner } from "../persistence/mod.ts";
import type { Repository } from "../persistence/mod.ts";

/**
 * Seconds between heartbeats of a running run.
 *
 * @example Usage
 * ```ts
 * import { HEARTBEAT_SECONDS } from "./run_lease.ts";
 * HEARTBEAT_SECONDS; // 15
 * ```
 */
export const HEARTBEAT_SECONDS = 15;

/**
 * Seconds without a heartbeat after which a run whose owner cannot be asked directly (another
 * host) is taken as dead: eight missed heartbeats.
 *
 * @example Usage
 * ```ts
 * import { STALE_AFTER_SECONDS } from "./run_lease.ts";
 * STALE_AFTER_SECONDS; // 120
 * ```
 */
export const STALE_AFTER_SECONDS = 120;

/**
 * The start time of process `pid` as the kernel counts it (Linux: field 22 of
 * `/proc/<pid>/stat`, clock ticks since boot), or `undefined` when there is no such process or
 * no `/proc` to ask.
 *
 * @example Usage
 * ```ts
 * import { processStartOf } from "./run_lease.ts";
 * processStartOf(Deno.pid); // e.g. "38123" on Linux
 * ```
 */
export function processStartOf(pid: number): string | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Field 22 overall is the 20th after "pid (comm)".
  return fields[19] || undefined;
}

function kernelInstance(): string | null {
  try {
    const boot = Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim();
    const pidns = Deno.readLinkSync("/proc/self/ns/pid");
    return `${boot}/${pidns}`;
  } catch {
    return null;
  }
}

/**
 * This process's identity, as a run's owner.
 *
 * @example Usage
 * ```ts
 * import { currentProcess } from "./run_lease.ts";
 * currentProcess().pid === Deno.pid; // true
 * ```
 */
export function currentProcess(): RunOwner {
  return {
    host: Deno.hostname(),
    pid: Deno.pid,
    processStart: processStartOf(Deno.pid) ?? null,
    instance: kernelInstance(),
  };
}

/**
 * What {@linkcode judgeRun} says of a running run: `alive` (its process runs on this host),
 * `fresh` (its heartbeat is recent), `dead` (its process is gone) or `stale` (silent too long).
 * Only `dead` and `stale` runs are marked `interrupted`.
 *
 * @example Usage
 * ```ts
 * import type { RunVerdict } from "./run_lease.ts";
 * const v: RunVerdict = { state: "dead", reason: "process 4242 on vm is gone" };
 * ```
 */
export interface RunVerdict {
  /** The verdict. */
  state: "alive" | "fresh" | "dead" | "stale";
  /** The verdict in words, naming the owner. */
  reason: string;
}

/** Options of {@linkcode judgeRun} and {@linkcode reconcileRuns}. */
export interface LeaseOptions {
  /** The judging process. @default currentProcess() */
  self?: RunOwner;
  /** Silence after which a run that cannot be probed is stale, seconds. @default STALE_AFTER_SECONDS */
  staleSeconds?: number;
  /** Start time of a pid on this host. @default processStartOf */
  probe?: (pid: number) => string | undefined;
}

/**
 * Judges a running run by the rule in the module documentation.
 *
 * @example Usage
 * ```ts
 * import { judgeRun } from "./run_lease.ts";
 * const self = { host: "a", pid: 1, processStart: "1", instance: "boot/pid:[1]" };
 * const run = { id: "r", status: "running" as const, startedAt: new Date(), finishedAt: null,
 *   configHash: null, heartbeatAt: new Date(), statusDetail: null, silentSeconds: 3,
 *   owner: { host: "b", pid: 7, processStart: "9", instance: "other/pid:[1]" } };
 * judgeRun(run, { self }).state; // "fresh"
 * ```
 */
export function judgeRun(run: RunningRun, options: LeaseOptions = {}): RunVerdict {
  const self = options.self ?? currentProcess();
  const stale = options.staleSeconds ?? STALE_AFTER_SECONDS;
  const probe = options.probe ?? processStartOf;
  const o = run.owner;
  const who = o ? `process ${o.pid} on ${o.host}` : "its process (not recorded)";
  if (
    o && o.host === self.host && o.instance !== null && o.instance === self.instance &&
    o.processStart !== null
  ) {
    const started = probe(o.pid);
    if (started === o.processStart) return { state: "alive", reason: `${who} is running` };
    return {
      state: "dead",
      reason: started === undefined
        ? `${who} is gone`
        : `${who} is gone (pid ${o.pid} now belongs to another process)`,
    };
  }
  const silent = Math.round(run.silentSeconds);
  const since = o && run.heartbeatAt ? "no heartbeat for" : "started";
  if (run.silentSeconds < stale) {
    return { state: "fresh", reason: `${who}: ${since} ${silent} s ago, under ${stale} s` };
  }
  return { state: "stale", reason: `${who}: ${since} ${silent} s ago (limit ${stale} s)` };
}

/** A run {@linkcode reconcileRuns} marked `interrupted`. */
export interface ReconciledRun {
  /** Run id. */
  id: string;
  /** The verdict that ended it. */
  verdict: RunVerdict;
}

/**
 * Marks `interrupted` every `running` run whose owner is dead or stale (see the module
 * documentation), recording why in the run's `status_detail`.
 *
 * @example Usage
 * ```ts
 * import { reconcileRuns } from "./run_lease.ts";
 * import { openDatabase } from "../persistence/mod.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const db = await openDatabase({ url: null, dataDir: `${dir}/db` }); // embedded, migrated
 *   try {
 *     const ended = await reconcileRuns(db.repo); // none running: []
 *     for (const r of ended) console.error(`${r.id}: ${r.verdict.reason}`);
 *   } finally {
 *     await db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function reconcileRuns(
  repo: Repository,
  options: LeaseOptions = {},
): Promise<ReconciledRun[]> {
  const self = options.self ?? currentProcess();
  const stale = options.staleSeconds ?? STALE_AFTER_SECONDS;
  const out: ReconciledRun[] = [];
  for (const run of await repo.runningRuns()) {
    const verdict = judgeRun(run, { ...options, self, staleSeconds: stale });
    if (verdict.state === "alive" || verdict.state === "fresh") continue;
    const detail = `marked interrupted at the start of process ${self.pid} on ${self.host}: ` +
      verdict.reason;
    const marked = await repo.interruptRun(
      run.id,
      detail,
      verdict.state === "stale" ? { silentSeconds: stale } : {},
    );
    if (marked) out.push({ id: run.id, verdict });
  }
  return out;
}
