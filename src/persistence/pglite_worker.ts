/**
 * Worker entry that runs the embedded engine (PGlite with PostGIS) off the main thread: its
 * WebAssembly start-up (about a second on every open, several on a first creation) and every
 * query then leave the caller's event loop free, so ingestion, plugin sandboxes and grid writes
 * go on while the database starts. Spoken to by {@link import("./pglite_engine.ts").openPglite}
 * with the messages of `_pglite_protocol.ts`; not meant to be used directly.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { embeddedPostgis } from "./postgis_bundle.ts";
import { PersistenceError } from "./errors.ts";
import { type PgliteReply, type PgliteRequest, toWire } from "./_pglite_protocol.ts";
import { readTemplate, saveTemplate, unpackDataDir } from "./pglite_template.ts";

/** PGlite's start parameters plus a smaller buffer pool (see {@link START_PARAMS}). */
const defaults = (PGlite as unknown as { defaultStartParams: string[] }).defaultStartParams;

/**
 * PostgreSQL's default 128 MB of shared buffers are allocated and cleared at every start (about
 * 80 ms of a warm run); GAM's embedded database is tens of MB, so 32 MB hold it.
 */
const START_PARAMS = [...defaults, "-c", "shared_buffers=32MB"];

let db: PGlite | undefined;
let nextTx = 1;
const ROLLBACK = Symbol("rollback");
const transactions = new Map<
  number,
  { tx: Transaction; end: (commit: boolean) => void; done: Promise<void> }
>();

/**
 * Writes the template of a new data folder from the open, just created, database: PostGIS
 * installed (what migration 0001 would do next anyway), dumped as a gzipped tar (see
 * `pglite_template.ts`). A failure only costs the next new data folder its speed.
 */
async function writeTemplate(database: PGlite, template: string): Promise<void> {
  try {
    await database.exec("CREATE EXTENSION IF NOT EXISTS postgis");
    await saveTemplate(
      template,
      new Uint8Array(await (await database.dumpDataDir("gzip")).arrayBuffer()),
    );
  } catch {
    // The database itself is fine; only the template is missing.
  }
}

async function open(dataDir: string, loadDataDir?: Uint8Array, template?: string): Promise<void> {
  // A new data folder (no PG_VERSION yet) starts from the template when there is a valid one.
  const isNew = template !== undefined && loadDataDir === undefined &&
    !(await Deno.stat(`${dataDir}/PG_VERSION`).then(() => true, () => false));
  // Unpacked here with native writes rather than through PGlite's loadDataDir (seconds).
  const fromTemplate = isNew ? await readTemplate(template) : undefined;
  if (fromTemplate) await unpackDataDir(fromTemplate, dataDir);
  try {
    db = await PGlite.create({
      dataDir,
      extensions: { postgis: embeddedPostgis },
      loadDataDir: loadDataDir ? new Blob([loadDataDir as BlobPart]) : undefined,
      startParams: START_PARAMS,
    });
  } catch (err) {
    throw new PersistenceError(
      `Cannot open the embedded database in "${dataDir}": ${(err as Error).message ?? err}` +
        " (is another process using it, or is the folder not a PGlite data folder?)",
      { operation: "openPglite", cause: err },
    );
  }
  if (isNew && fromTemplate === undefined) await writeTemplate(db, template!);
}

function live(): PGlite {
  if (!db || db.closed) {
    throw new PersistenceError("The embedded database is closed", { operation: "query" });
  }
  return db;
}

function target(tx: number | undefined): Pick<PGlite | Transaction, "query" | "exec"> {
  if (tx === undefined) return live();
  const t = transactions.get(tx);
  if (!t) throw new PersistenceError(`Transaction ${tx} is not open`, { operation: "query" });
  return t.tx;
}

async function begin(): Promise<number> {
  const id = nextTx++;
  const started = Promise.withResolvers<void>();
  const done = live().transaction(async (tx) => {
    const ended = Promise.withResolvers<boolean>();
    transactions.set(id, { tx, end: ended.resolve, done });
    started.resolve();
    if (!(await ended.promise)) throw ROLLBACK;
  });
  done.catch((err) => started.reject(err)); // BEGIN itself failed
  await started.promise;
  return id;
}

async function end(id: number, commit: boolean): Promise<void> {
  const t = transactions.get(id);
  if (!t) throw new PersistenceError(`Transaction ${id} is not open`, { operation: "transaction" });
  t.end(commit);
  try {
    await t.done;
  } catch (err) {
    if (err !== ROLLBACK) throw PersistenceError.from(err, "transaction");
  } finally {
    transactions.delete(id);
  }
}

async function handle(m: PgliteRequest): Promise<{ value?: unknown; transfer?: Transferable[] }> {
  switch (m.op) {
    case "open":
      await open(m.dataDir, m.loadDataDir, m.template);
      return {};
    case "query":
      try {
        return { value: (await target(m.tx).query(m.text, m.params as unknown[])).rows };
      } catch (err) {
        throw PersistenceError.from(err, m.operation);
      }
    case "exec":
      try {
        await target(m.tx).exec(m.script);
        return {};
      } catch (err) {
        throw PersistenceError.from(err, m.operation);
      }
    case "begin":
      try {
        return { value: await begin() };
      } catch (err) {
        throw PersistenceError.from(err, "transaction");
      }
    case "end":
      await end(m.tx, m.commit);
      return {};
    case "dump": {
      const bytes = new Uint8Array(await (await live().dumpDataDir(m.compression)).arrayBuffer());
      return { value: bytes, transfer: [bytes.buffer] };
    }
    case "shutdown":
      if (db && !db.closed) await db.close();
      db = undefined;
      return {};
  }
}

self.onmessage = async (e: MessageEvent<PgliteRequest>) => {
  const m = e.data;
  let reply: PgliteReply;
  let transfer: Transferable[] = [];
  try {
    const out = await handle(m);
    reply = { id: m.id, ok: true, value: out.value };
    transfer = out.transfer ?? [];
  } catch (err) {
    reply = { id: m.id, ok: false, error: toWire(err) };
  }
  try {
    self.postMessage(reply, transfer);
  } catch (err) {
    // A value structured clone cannot carry: report it instead of leaving the caller waiting.
    self.postMessage({ id: m.id, ok: false, error: toWire(err) } satisfies PgliteReply);
  }
};
