/**
 * {@link SqlClient} over PGlite (embedded PostgreSQL in WebAssembly) with the PostGIS extension,
 * storing its data in a folder. The engine runs in its own worker (`pglite_worker.ts`): its
 * start-up and queries never block the caller's event loop, so opening it early overlaps with
 * everything else the caller does.
 *
 * @module
 */
import { PersistenceError } from "./errors.ts";
import type { Row, SqlClient } from "./sql_client.ts";
import { fromWire, type PgliteReply, type PgliteRequest } from "./_pglite_protocol.ts";

/** A {@link SqlClient} for an embedded database, plus control of its engine. */
export interface PgliteClient extends SqlClient {
  /** Data folder of the instance. */
  readonly dataDir: string;
  /** The data folder as a PGlite data-dir dump (a tar, gzipped with `"gzip"`). */
  dumpDataDir(compression: "gzip" | "none"): Promise<Uint8Array>;
  /** Closes the instance and stops its worker. */
  close(): Promise<void>;
  /**
   * Closes the instance, lets `swap` change the data folder (for a restore), and opens it again.
   * `swap` may return a PGlite data-dir dump to load into the (then empty) folder.
   */
  replace(swap: () => Promise<Blob | undefined>): Promise<void>;
}

// Distributive, so that each request keeps its own fields once `id` is taken off.
type Request = PgliteRequest extends infer R ? R extends unknown ? Omit<R, "id"> : never : never;

/** The worker and its calls in flight. */
class EngineWorker {
  #worker: Worker;
  #next = 1;
  #pending = new Map<number, PromiseWithResolvers<unknown>>();
  #failure: Error | undefined;

  constructor() {
    this.#worker = new Worker(new URL("./pglite_worker.ts", import.meta.url), {
      type: "module",
      name: "gam-embedded-database",
    });
    this.#worker.onmessage = (e: MessageEvent<PgliteReply>) => {
      const call = this.#pending.get(e.data.id);
      if (!call) return;
      this.#pending.delete(e.data.id);
      if (e.data.ok) call.resolve(e.data.value);
      else call.reject(fromWire(e.data.error));
    };
    this.#worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#fail(`${e.message}`);
    };
    this.#worker.onmessageerror = () => this.#fail("a reply could not be read");
  }

  #fail(why: string): void {
    this.#failure ??= new PersistenceError(`The embedded database engine stopped: ${why}`, {
      operation: "openPglite",
    });
    for (const call of this.#pending.values()) call.reject(this.#failure);
    this.#pending.clear();
    this.#worker.terminate();
  }

  call<T>(request: Request, transfer: Transferable[] = []): Promise<T> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#next++;
    const call = Promise.withResolvers<unknown>();
    try {
      this.#worker.postMessage({ ...request, id }, transfer);
    } catch (err) {
      // A parameter structured clone cannot carry (a function, a symbol, ...).
      const operation = "operation" in request ? request.operation : request.op;
      return Promise.reject(PersistenceError.from(err, operation));
    }
    this.#pending.set(id, call);
    return call.promise as Promise<T>;
  }

  terminate(): void {
    this.#failure ??= new PersistenceError("The embedded database is closed", {
      operation: "query",
    });
    for (const call of this.#pending.values()) call.reject(this.#failure);
    this.#pending.clear();
    this.#worker.terminate();
  }
}

/**
 * An embedded engine started ahead of {@link openPglite} by {@link prestartPglite}: its worker is
 * loading PGlite while the caller does other things.
 */
export interface PgliteEngineStart {
  /** Stops the worker unless an {@link openPglite} took it (safe to call more than once). */
  cancel(): void;
}

const started = new WeakMap<PgliteEngineStart, { engine?: EngineWorker }>();

/**
 * Starts an embedded engine's worker now, before the data folder is known, so that loading
 * PGlite (about a tenth of a second) overlaps with the caller's own start-up. Hand it to
 * {@link openPglite} (or `openDatabase({ engine })`), and `cancel()` it on every path: an
 * unused worker keeps the process alive.
 *
 * @example
 * ```ts
 * import { openPglite, prestartPglite } from "./pglite_engine.ts";
 * const engine = prestartPglite();
 * const outputDir = await Deno.makeTempDir({ prefix: "gam-doc-db-" }); // meanwhile, PGlite loads
 * try {
 *   const client = await openPglite(`${outputDir}/db`, { engine });
 *   await client.close();
 * } finally {
 *   engine.cancel();
 *   await Deno.remove(outputDir, { recursive: true });
 * }
 * ```
 */
export function prestartPglite(): PgliteEngineStart {
  const start: PgliteEngineStart = {
    cancel() {
      const slot = started.get(start);
      slot?.engine?.terminate();
      if (slot) slot.engine = undefined;
    },
  };
  started.set(start, { engine: new EngineWorker() });
  return start;
}

/** Options of {@link openPglite}. */
export interface OpenPgliteOptions {
  /** A worker started by {@link prestartPglite}; taken over (a new one is started without). */
  engine?: PgliteEngineStart;
  /**
   * Path of a template for a new data folder (a gzipped PGlite data-dir tar with PostGIS
   * installed, and its SHA-256 in `<template>.sha256`). When `dataDir` is new and the template
   * is valid (checksum, engine and PostGIS versions), the folder is unpacked from it instead of
   * created (initdb, then PostGIS's install script: seconds); when it is new and the template
   * is missing or invalid, the template is written after the creation.
   * @default {undefined} (no template)
   */
  template?: string;
}

/**
 * Opens (creating when missing) an embedded database in `dataDir`, with PostGIS loaded, in a
 * worker of its own. Slow: seconds on first creation, about a second to reopen, none of it on the
 * caller's thread. Start it early and await it when needed.
 *
 * @example
 * ```ts
 * import { openPglite } from "./pglite_engine.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-db-" });
 * try {
 *   const client = await openPglite(`${dir}/db`);
 *   await client.query("SELECT version()"); // PostGIS: loaded; created by the migrations
 *   await client.close();
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function openPglite(
  dataDir: string,
  options: OpenPgliteOptions = {},
): Promise<PgliteClient> {
  const slot = options.engine ? started.get(options.engine) : undefined;
  const engine = slot?.engine ?? new EngineWorker();
  if (slot) slot.engine = undefined; // ours now: cancel() no longer stops it
  try {
    return await openOn(engine, dataDir, options.template);
  } catch (err) {
    engine.terminate();
    throw err;
  }
}

async function openOn(
  engine: EngineWorker,
  dataDir: string,
  template?: string,
): Promise<PgliteClient> {
  // Synchronous (a few system calls), so that the worker gets its work before the caller's
  // next awaits let other start-up work run first.
  Deno.mkdirSync(dataDir, { recursive: true });
  // One process at a time: PGlite has no locking of its own, and two instances writing one
  // data folder corrupt it. The lock lives as long as the client.
  const lockFile = Deno.openSync(`${dataDir.replace(/\/+$/, "")}.lock`, {
    create: true,
    write: true,
  });
  if (!lockFile.tryLockSync(true)) {
    lockFile.close();
    throw new PersistenceError(
      `The embedded database in "${dataDir}" is in use by another gam process; stop it, or ` +
        "set DATABASE_URL to a PostgreSQL server so that several processes can share one database",
      { operation: "openPglite" },
    );
  }
  try {
    await engine.call({ op: "open", dataDir, template });
  } catch (err) {
    lockFile.close();
    throw err;
  }
  let closed = false;
  const client: PgliteClient = {
    ...queries(engine, undefined),
    engine: "pglite",
    dataDir,
    async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      const tx = await engine.call<number>({ op: "begin" });
      let out: T;
      try {
        out = await fn(txClient(engine, tx));
      } catch (err) {
        await engine.call({ op: "end", tx, commit: false }).catch(() => {});
        throw err instanceof Error && !("code" in err)
          ? err
          : PersistenceError.from(err, "transaction");
      }
      await engine.call({ op: "end", tx, commit: true });
      return out;
    },
    session<T>(fn: (conn: SqlClient) => Promise<T>): Promise<T> {
      return fn(client);
    },
    dumpDataDir: (compression) => engine.call<Uint8Array>({ op: "dump", compression }),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await engine.call({ op: "shutdown" });
      } finally {
        engine.terminate();
        try {
          lockFile.close();
        } catch { /* already closed */ }
      }
    },
    async replace(swap) {
      await engine.call({ op: "shutdown" });
      const blob = await swap();
      const loadDataDir = blob ? new Uint8Array(await blob.arrayBuffer()) : undefined;
      await engine.call(
        { op: "open", dataDir, loadDataDir },
        loadDataDir ? [loadDataDir.buffer] : [],
      );
    },
  };
  return client;
}

function queries(engine: EngineWorker, tx: number | undefined): Pick<SqlClient, "query" | "exec"> {
  return {
    query<T extends Row = Row>(
      text: string,
      params: readonly unknown[] = [],
      operation = "query",
    ): Promise<T[]> {
      return engine.call<T[]>({ op: "query", text, params, operation, tx });
    },
    exec(script: string, operation = "exec"): Promise<void> {
      return engine.call<void>({ op: "exec", script, operation, tx });
    },
  };
}

function txClient(engine: EngineWorker, tx: number): SqlClient {
  const client: SqlClient = {
    ...queries(engine, tx),
    engine: "pglite",
    async transaction<T>(fn: (inner: SqlClient) => Promise<T>): Promise<T> {
      const name = `sp_${crypto.randomUUID().replaceAll("-", "")}`;
      await client.exec(`SAVEPOINT ${name}`);
      try {
        const out = await fn(client);
        await client.exec(`RELEASE SAVEPOINT ${name}`);
        return out;
      } catch (err) {
        await client.exec(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => {});
        throw err;
      }
    },
    session: (fn) => fn(client),
  };
  return client;
}
