/**
 * {@link SqlClient} over PGlite (embedded PostgreSQL in WebAssembly) with the PostGIS extension,
 * storing its data in a folder.
 *
 * @module
 */
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { embeddedPostgis } from "./postgis_bundle.ts";
import { PersistenceError } from "./errors.ts";
import type { Row, SqlClient } from "./sql_client.ts";

/** A {@link SqlClient} for an embedded database, plus control of its PGlite instance. */
export interface PgliteClient extends SqlClient {
  /** Data folder of the instance. */
  readonly dataDir: string;
  /** The live PGlite instance (replaced by {@link PgliteClient.replace}). */
  readonly instance: PGlite;
  /** Closes the instance. */
  close(): Promise<void>;
  /**
   * Closes the instance, lets `swap` change the data folder (for a restore), and opens it again.
   * `loadDataDir` is a PGlite data-dir dump to load into the (then empty) folder.
   */
  replace(swap: () => Promise<Blob | undefined>): Promise<void>;
}

/**
 * Opens (creating when missing) an embedded database in `dataDir`, with PostGIS loaded.
 * Slow: seconds on first creation, about a second to reopen. Start it early and concurrently.
 *
 * @example
 * ```ts ignore
 * const client = await openPglite("/tmp/gam-out/db");
 * await client.query("SELECT postgis_lib_version()");
 * await client.close();
 * ```
 */
export async function openPglite(dataDir: string): Promise<PgliteClient> {
  await Deno.mkdir(dataDir, { recursive: true });
  // One process at a time: PGlite has no locking of its own, and two instances writing one
  // data folder corrupt it. The lock lives as long as the client.
  const lockFile = await Deno.open(`${dataDir.replace(/\/+$/, "")}.lock`, {
    create: true,
    write: true,
  });
  if (!(await lockFile.tryLock(true))) {
    lockFile.close();
    throw new PersistenceError(
      `The embedded database in "${dataDir}" is in use by another gam process; stop it, or ` +
        "set DATABASE_URL to a PostgreSQL server so that several processes can share one database",
      { operation: "openPglite" },
    );
  }
  let db: PGlite;
  try {
    db = await create(dataDir);
  } catch (err) {
    lockFile.close();
    throw err;
  }
  const client: PgliteClient = {
    ...wrapQueries(() => db),
    engine: "pglite",
    dataDir,
    get instance() {
      return db;
    },
    async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      try {
        return await db.transaction((tx) => fn(wrapTx(tx)));
      } catch (err) {
        throw err instanceof Error && !("code" in err)
          ? err
          : PersistenceError.from(err, "transaction");
      }
    },
    session<T>(fn: (conn: SqlClient) => Promise<T>): Promise<T> {
      return fn(client);
    },
    async close() {
      try {
        if (!db.closed) await db.close();
      } finally {
        try {
          lockFile.close();
        } catch { /* already closed */ }
      }
    },
    async replace(swap) {
      if (!db.closed) await db.close();
      const blob = await swap();
      db = await create(dataDir, blob);
    },
  };
  return client;
}

async function create(dataDir: string, loadDataDir?: Blob): Promise<PGlite> {
  try {
    return await PGlite.create({ dataDir, extensions: { postgis: embeddedPostgis }, loadDataDir });
  } catch (err) {
    throw new PersistenceError(
      `Cannot open the embedded database in "${dataDir}": ${(err as Error).message ?? err}` +
        " (is another process using it, or is the folder not a PGlite data folder?)",
      { operation: "openPglite", cause: err },
    );
  }
}

type Queryable = Pick<PGlite | Transaction, "query" | "exec">;

function wrapQueries(get: () => Queryable): Pick<SqlClient, "query" | "exec"> {
  return {
    async query<T extends Row = Row>(
      text: string,
      params: readonly unknown[] = [],
      operation = "query",
    ): Promise<T[]> {
      try {
        return (await get().query<T>(text, params as unknown[])).rows;
      } catch (err) {
        throw PersistenceError.from(err, operation);
      }
    },
    async exec(script: string, operation = "exec"): Promise<void> {
      try {
        await get().exec(script);
      } catch (err) {
        throw PersistenceError.from(err, operation);
      }
    },
  };
}

function wrapTx(tx: Transaction): SqlClient {
  const client: SqlClient = {
    ...wrapQueries(() => tx),
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
