/**
 * The durable record of the remote cache mirror's replications: one small JSON file per cache
 * entry under `<cacheDir>/.replication/`, written with the project's atomic writes
 * (`writeFileAtomic`: temporary file, fsync, rename). A local write records `pending` before it
 * returns; the uploader records `replicated` (with the object's version id) once the bucket holds
 * the entry. A crash or a bucket outage therefore leaves `pending` records, which the next start
 * finds and resumes: none is lost.
 *
 * Why files and not a table: the cache works without a database (and with an embedded one that
 * a single process may open), the record must sit beside the entry it describes (a cache folder
 * copied or cleared carries or drops its journal with it), and `gam cache ls` reads it without
 * opening anything.
 *
 * @module
 */
import { z } from "zod";
import { writeFileAtomic } from "../fs/mod.ts";
import { entrySegments } from "./cache_store.ts";

/** Folder of the journal, inside the cache folder (dot folders are not entries). */
export const JOURNAL_DIR = ".replication";

/** The replication state of one cache entry. */
export const ReplicationRecordSchema = z.strictObject({
  /** Entry path, e.g. `ingestion/gravity/<key>`. */
  path: z.string(),
  /**
   * `pending`: written locally, not yet in the bucket; `replicated`: the bucket holds this
   * content; `from-bucket`: the local copy was downloaded from the bucket (nothing to upload).
   */
  state: z.enum(["pending", "replicated", "from-bucket"]),
  /** The entry's canonical checksum (`sha256:<hex>`) when the record was written. */
  checksum: z.string().optional(),
  /** When the local write was recorded (ISO 8601). */
  queuedAt: z.string(),
  /** Upload attempts so far. */
  attempts: z.number().int().min(0),
  /** The last upload error, for `gam cache ls`. */
  lastError: z.string().optional(),
  /** When the bucket got the entry (ISO 8601). */
  replicatedAt: z.string().optional(),
  /** SHA-256 of the archive in the bucket, `sha256:<hex>`. */
  sha256: z.string().optional(),
  /** The object's version id in the bucket, when the bucket is versioned. */
  versionId: z.string().optional(),
});

/** One journal record. */
export type ReplicationRecord = z.infer<typeof ReplicationRecordSchema>;

/**
 * The journal of one cache folder.
 *
 * @example Record a write, then its replication
 * ```ts
 * import { ReplicationJournal } from "./replication_journal.ts";
 * const dir = await Deno.makeTempDir();
 * const journal = new ReplicationJournal(dir);
 * await journal.markPending("ingestion/gravity/k1", "sha256:00");
 * console.assert((await journal.pending()).length === 1);
 * await journal.markReplicated("ingestion/gravity/k1", { sha256: "ab" });
 * console.assert((await journal.pending()).length === 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ReplicationJournal {
  /** The journal folder. */
  readonly dir: string;

  /** @param cacheDir The cache folder the journal belongs to. */
  constructor(cacheDir: string) {
    this.dir = `${cacheDir.replace(/\/+$/, "")}/${JOURNAL_DIR}`;
  }

  #file(path: string): string {
    entrySegments(path);
    return `${this.dir}/${encodeURIComponent(path)}.json`;
  }

  /** The record of `path`, or `undefined` (never recorded, or unreadable). */
  async get(path: string): Promise<ReplicationRecord | undefined> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.#file(path));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
    const parsed = ReplicationRecordSchema.safeParse(safeJson(text));
    return parsed.success ? parsed.data : undefined;
  }

  /** Records that `path` was written locally and must be uploaded. Durable when it resolves. */
  async markPending(path: string, checksum?: string): Promise<ReplicationRecord> {
    const record: ReplicationRecord = {
      path,
      state: "pending",
      ...(checksum !== undefined ? { checksum } : {}),
      queuedAt: new Date().toISOString(),
      attempts: 0,
    };
    await this.#write(record);
    return record;
  }

  /** Records a failed upload attempt of a pending entry. */
  async markFailed(path: string, error: string): Promise<void> {
    const now = await this.get(path);
    if (now === undefined || now.state !== "pending") return;
    await this.#write({ ...now, attempts: now.attempts + 1, lastError: error.slice(0, 500) });
  }

  /**
   * Records that the bucket holds `path`. With `expectedQueuedAt`, only when the record is
   * still the one the upload started from (a newer local write stays pending).
   */
  async markReplicated(
    path: string,
    info: { sha256: string; versionId?: string; expectedQueuedAt?: string },
  ): Promise<boolean> {
    const now = await this.get(path);
    if (
      info.expectedQueuedAt !== undefined &&
      (now === undefined || now.queuedAt !== info.expectedQueuedAt)
    ) {
      return false;
    }
    await this.#write({
      path,
      state: "replicated",
      ...(now?.checksum !== undefined ? { checksum: now.checksum } : {}),
      queuedAt: now?.queuedAt ?? new Date().toISOString(),
      attempts: (now?.attempts ?? 0) + 1,
      replicatedAt: new Date().toISOString(),
      sha256: info.sha256,
      ...(info.versionId !== undefined ? { versionId: info.versionId } : {}),
    });
    return true;
  }

  /** Records that the local copy of `path` came from the bucket. */
  async markFromBucket(
    path: string,
    info: { checksum?: string; sha256: string; versionId?: string },
  ): Promise<void> {
    const at = new Date().toISOString();
    await this.#write({
      path,
      state: "from-bucket",
      ...(info.checksum !== undefined ? { checksum: info.checksum } : {}),
      queuedAt: at,
      attempts: 0,
      replicatedAt: at,
      sha256: info.sha256,
      ...(info.versionId !== undefined ? { versionId: info.versionId } : {}),
    });
  }

  /** Forgets `path` (its entry is gone locally). */
  async remove(path: string): Promise<void> {
    await Deno.remove(this.#file(path)).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }

  /** Every record, by path. */
  async all(): Promise<Map<string, ReplicationRecord>> {
    const out = new Map<string, ReplicationRecord>();
    let names: string[] = [];
    try {
      names = [];
      for await (const e of Deno.readDir(this.dir)) {
        if (e.isFile && e.name.endsWith(".json") && !e.name.startsWith(".")) names.push(e.name);
      }
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return out;
      throw e;
    }
    for (const name of names.sort()) {
      const text = await Deno.readTextFile(`${this.dir}/${name}`).catch(() => undefined);
      const parsed = ReplicationRecordSchema.safeParse(safeJson(text ?? ""));
      if (parsed.success) out.set(parsed.data.path, parsed.data);
    }
    return out;
  }

  /** The pending records, oldest first. */
  async pending(): Promise<ReplicationRecord[]> {
    return [...(await this.all()).values()].filter((r) => r.state === "pending")
      .sort((a, b) => a.queuedAt < b.queuedAt ? -1 : a.queuedAt > b.queuedAt ? 1 : 0);
  }

  async #write(record: ReplicationRecord): Promise<void> {
    await writeFileAtomic(this.#file(record.path), JSON.stringify(record) + "\n");
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
