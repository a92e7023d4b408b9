/**
 * A pool of module workers running gam-core WebAssembly kernels.
 *
 * @module
 */
import { ComputeError } from "./compute_error.ts";
import { errorMessage } from "../observability/mod.ts";
import type { JobMessage, ReplyMessage } from "./_protocol.ts";
import type { CoreKernels, KernelTable } from "./kernels.ts";

/**
 * A kernel call: the wasm export `kernel` with its options object `args`, typed by kernel name
 * from the generated declarations (see `kernels.ts`): a union with one member per kernel.
 *
 * @example Usage
 * ```ts
 * import type { ComputeJob } from "./pool.ts";
 * const job: ComputeJob = {
 *   kernel: "outliers_zscore",
 *   args: { values: new Float64Array([1, 2, 30]), threshold: 3 },
 * };
 * ```
 */
export type ComputeJob<T extends KernelTable = CoreKernels> = {
  [K in keyof T & string]: {
    /** Name of the kernel, e.g. `"core_version"`. */
    kernel: K;
    /** Its options object (Rust parameter names in camelCase). */
    args: T[K]["args"];
  };
}[keyof T & string];

/**
 * Options of {@linkcode WorkerPool.run}.
 *
 * @example Usage
 * ```ts
 * import type { RunOptions } from "./pool.ts";
 * const opts: RunOptions = { signal: AbortSignal.timeout(60_000), transfer: [] };
 * ```
 */
export interface RunOptions {
  /**
   * Cancels the job, and the promise rejects at once with `signal.reason`. A queued job is
   * dropped. A running one is asked to stop through shared memory: the long kernels (minimum
   * curvature, the k-nearest and linear gridders, the Gaussian and median filters, the
   * spectral transforms) check the request every row, sweep or block of columns and stop
   * within milliseconds, and their worker takes the next job. A kernel that has not stopped
   * within {@linkcode CANCEL_GRACE_MS} (one without checks) has its worker terminated and
   * replaced; Deno 2.9.6 does not stop code running in a terminated worker (only its event
   * loop, which a kernel never returns to; denoland/deno#35657), so such a kernel still runs
   * to its end in the background.
   */
  signal?: AbortSignal;
  /**
   * Buffers to transfer to the worker instead of copying (they are detached in the caller).
   * @default {[]}
   */
  transfer?: Transferable[];
}

/**
 * How long a cancelled job's kernel may take to stop (2,000 ms) before its worker is
 * terminated and replaced. The kernels that check for cancellation stop within a row or a
 * sweep (milliseconds); the others are short.
 *
 * @example Usage
 * ```ts
 * import { CANCEL_GRACE_MS } from "./pool.ts";
 * CANCEL_GRACE_MS; // 2000
 * ```
 */
export const CANCEL_GRACE_MS = 2_000;

/**
 * Most workers a pool may have (32). Each worker holds its own instance of the wasm core, about
 * 10 MB idle (256 workers took 2.7 GB), and the kernels are CPU-bound: workers beyond the number
 * of cores add memory, not speed.
 *
 * @example Usage
 * ```ts
 * import { MAX_WORKERS } from "./pool.ts";
 * MAX_WORKERS; // 32
 * ```
 */
export const MAX_WORKERS = 32;

/**
 * The default pool size: one worker per core (`navigator.hardwareConcurrency`), at least 1 and
 * at most {@linkcode MAX_WORKERS}.
 *
 * @example Usage
 * ```ts
 * import { defaultWorkerCount, MAX_WORKERS } from "./pool.ts";
 * defaultWorkerCount() <= MAX_WORKERS; // true
 * ```
 */
export function defaultWorkerCount(): number {
  return Math.min(MAX_WORKERS, Math.max(1, navigator.hardwareConcurrency || 1));
}

/**
 * Options of the {@linkcode WorkerPool} constructor.
 *
 * @example Usage
 * ```ts
 * import type { WorkerPoolOptions } from "./pool.ts";
 * const opts: WorkerPoolOptions = { size: 2 };
 * ```
 */
export interface WorkerPoolOptions {
  /**
   * Number of workers (integer in 1..{@linkcode MAX_WORKERS}).
   * @default {defaultWorkerCount()}
   */
  size?: number;
  /**
   * Module URL of the worker script (tests use a wrapper of the real worker).
   * @default {new URL("./worker.ts", import.meta.url)}
   */
  workerUrl?: URL;
  /**
   * Deno permissions of each worker (needs `--unstable-worker-options`); inherited when unset.
   * @default {undefined}
   */
  permissions?: Deno.PermissionOptions;
}

interface Task {
  id: number;
  job: { kernel: string; args: object };
  transfer: Transferable[];
  signal?: AbortSignal;
  onAbort?: () => void;
  /** The cancel flag the kernel watches (jobs with a signal). */
  cancel?: Int32Array;
  /**
   * Set when the job is cancelled while running (its promise settled, its worker not yet free):
   * the timer that replaces the worker if the kernel does not stop.
   */
  grace?: ReturnType<typeof setTimeout>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
}

/**
 * A fixed-size pool of module workers, each instantiating the gam-core wasm module once. Jobs
 * queue when every worker is busy and start in the order they were posted (first in, first out:
 * jobs that wait for one another through shared memory, such as the bands of the FFT's hole
 * fill, are posted one after another and rely on it to be next in line); typed arrays travel as
 * transferables both ways; a worker that died or trapped is replaced; jobs are cancelled with an
 * `AbortSignal`.
 *
 * Jobs are typed by kernel name: `T` is the table of kernels the workers run, the gam-core
 * kernels by default (a test worker adds its own).
 *
 * @typeParam T The kernels the workers run.
 *
 * @example Usage
 * ```ts
 * import { WorkerPool } from "./pool.ts";
 * await using pool = new WorkerPool({ size: 1 });
 * const mask = await pool.run({
 *   kernel: "outliers_iqr",
 *   args: { values: new Float64Array([1, 2, 2, 3, 40]), threshold: 1.5 },
 * });
 * mask[4]; // 1
 * ```
 */
export class WorkerPool<T extends KernelTable = CoreKernels> {
  #slots: Slot[] = [];
  #queue: Task[] = [];
  #nextId = 1;
  #closed = false;
  #workerUrl: URL;
  #permissions?: Deno.PermissionOptions;
  #replaced = 0;
  #stopped = 0;

  /**
   * @param options Pool size, worker URL, worker permissions.
   * @throws {RangeError} when `size` is not an integer in 1..{@linkcode MAX_WORKERS}.
   */
  constructor(options: WorkerPoolOptions = {}) {
    const size = options.size ?? defaultWorkerCount();
    if (!Number.isInteger(size) || size < 1 || size > MAX_WORKERS) {
      throw new RangeError(
        `WorkerPool size must be an integer from 1 to ${MAX_WORKERS} (MAX_WORKERS), got ${size}`,
      );
    }
    this.#workerUrl = options.workerUrl ?? new URL("./worker.ts", import.meta.url);
    this.#permissions = options.permissions;
    for (let i = 0; i < size; i++) this.#slots.push({ worker: this.#spawn(i), task: null });
  }

  /** Number of workers. */
  get size(): number {
    return this.#slots.length;
  }

  /**
   * Number of workers replaced so far because they died, trapped, or ran a cancelled kernel
   * that did not stop within {@linkcode CANCEL_GRACE_MS}.
   */
  get replacedWorkers(): number {
    return this.#replaced;
  }

  /** Number of cancelled jobs whose kernel stopped on the request, its worker kept. */
  get stoppedKernels(): number {
    return this.#stopped;
  }

  /**
   * Runs `job` on the next free worker and resolves with the kernel's result (its typed arrays
   * transferred back). Rejects with {@linkcode ComputeError} when the kernel throws or the
   * worker dies, and with `signal.reason` when aborted.
   *
   * @param job Kernel name and its options object.
   * @param options Abort signal and transfer list.
   */
  run<K extends keyof T & string>(
    job: { kernel: K; args: T[K]["args"] },
    options: RunOptions = {},
  ): Promise<T[K]["result"]> {
    return this.#submit(job, options) as Promise<T[K]["result"]>;
  }

  #submit(
    job: { kernel: string; args: object },
    options: RunOptions,
  ): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error("WorkerPool is closed"));
    const { signal, transfer = [] } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<unknown>((resolve, reject) => {
      const task: Task = {
        id: this.#nextId++,
        job,
        transfer,
        signal,
        resolve,
        reject,
      };
      if (signal) {
        task.cancel = new Int32Array(new SharedArrayBuffer(4));
        task.onAbort = () => this.#abort(task);
        signal.addEventListener("abort", task.onAbort, { once: true });
      }
      this.#queue.push(task);
      this.#pump();
    });
  }

  /**
   * Rejects queued jobs, waits for running ones to settle, then terminates every worker.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const task of this.#queue.splice(0)) {
      this.#settle(task);
      task.reject(new Error("WorkerPool closed before the job started"));
    }
    const running = this.#slots.flatMap((s) =>
      s.task ? [new Promise<void>((r) => this.#waiters.push(r))] : []
    );
    await Promise.all(running);
    for (const slot of this.#slots) slot.worker.terminate();
  }

  /** Same as {@linkcode WorkerPool.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #waiters: (() => void)[] = [];

  #spawn(index: number): Worker {
    const worker = new Worker(this.#workerUrl, {
      type: "module",
      name: `gam-compute-${index}`,
      ...(this.#permissions ? { deno: { permissions: this.#permissions } } : {}),
    });
    worker.onmessage = (e: MessageEvent<ReplyMessage>) => this.#onReply(index, e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#onDeath(index, e.message || "uncaught error in worker");
    };
    worker.onmessageerror = () => this.#onDeath(index, "reply could not be deserialized");
    return worker;
  }

  #pump(): void {
    for (const slot of this.#slots) {
      while (!slot.task && this.#queue.length > 0) {
        const task = this.#queue.shift()!;
        if (task.signal?.aborted) {
          // Its abort listener has not run yet (jobs sharing one signal): never start it.
          this.#settle(task);
          task.reject(task.signal.reason);
          continue;
        }
        slot.task = task;
        const msg: JobMessage = {
          id: task.id,
          kernel: task.job.kernel,
          args: task.job.args as Record<string, unknown>,
          ...(task.cancel ? { cancel: task.cancel } : {}),
        };
        try {
          slot.worker.postMessage(msg, task.transfer);
        } catch (e) {
          slot.task = null;
          this.#settle(task);
          task.reject(
            new ComputeError(task.job.kernel, `job could not be posted: ${errMsg(e)}`, {
              cause: e,
            }),
          );
        }
      }
    }
  }

  #onReply(index: number, reply: ReplyMessage): void {
    const slot = this.#slots[index];
    const task = slot.task;
    if (!task || task.id !== reply.id) return; // reply of a replaced worker's job
    slot.task = null;
    if (task.grace !== undefined) {
      // Cancelled while running: already rejected; the worker is free again.
      clearTimeout(task.grace);
      if (!reply.ok && reply.fatal) this.#replace(index);
      else if (!reply.ok && reply.cancelled) this.#stopped++;
      this.#idle();
      return;
    }
    this.#settle(task);
    if (reply.ok) {
      task.resolve(reply.value);
    } else {
      if (reply.fatal) this.#replace(index);
      const detail = reply.name && reply.name !== "Error"
        ? `${reply.name}: ${reply.message}`
        : reply.message;
      task.reject(new ComputeError(task.job.kernel, detail, { workerLost: reply.fatal }));
    }
    this.#idle();
  }

  #onDeath(index: number, message: string): void {
    const slot = this.#slots[index];
    const task = slot.task;
    slot.task = null;
    this.#replace(index);
    if (task?.grace !== undefined) {
      clearTimeout(task.grace);
    } else if (task) {
      this.#settle(task);
      task.reject(
        new ComputeError(task.job.kernel, `worker died: ${message}`, { workerLost: true }),
      );
    }
    this.#idle();
  }

  #abort(task: Task): void {
    const q = this.#queue.indexOf(task);
    if (q >= 0) {
      this.#queue.splice(q, 1);
    } else {
      const index = this.#slots.findIndex((s) => s.task === task);
      if (index < 0) return;
      // The kernel stops at its next check and the worker replies; the slot stays busy until
      // then (see #onReply), or until the grace period ends and the worker is replaced.
      Atomics.store(task.cancel!, 0, 1);
      task.grace = setTimeout(() => {
        if (this.#slots[index].task !== task) return;
        this.#slots[index].task = null;
        this.#replace(index);
        this.#idle();
      }, CANCEL_GRACE_MS);
      this.#settle(task);
      task.reject(task.signal!.reason);
      return;
    }
    this.#settle(task);
    task.reject(task.signal!.reason);
    this.#idle();
  }

  #replace(index: number): void {
    this.#slots[index].worker.terminate();
    this.#replaced++;
    if (!this.#closed) this.#slots[index].worker = this.#spawn(index);
  }

  #settle(task: Task): void {
    if (task.onAbort) task.signal!.removeEventListener("abort", task.onAbort);
  }

  #idle(): void {
    if (this.#closed) {
      const busy = this.#slots.filter((s) => s.task).length;
      while (this.#waiters.length > busy) this.#waiters.shift()!();
    } else {
      this.#pump();
    }
  }
}

function errMsg(e: unknown): string {
  if (e instanceof ErrorEvent) return e.message;
  return errorMessage(e);
}
