/**
 * The remote cache mirror: a {@linkcode CacheStore} that keeps the local folder store as its
 * first layer and the bucket's cache prefix as the second.
 *
 * - Local miss: the entry is looked up in the bucket (`<prefix>/<entry path>.tar`); its bytes are
 *   checked against the SHA-256 recorded in the object's metadata (and, on the wire, by the
 *   client's `x-amz-checksum-sha256`), unpacked into a private folder and published locally
 *   like any write. The typed cache then checks the entry's own storage digest and checksum as
 *   on every read, so a damaged object is never served. A bucket that cannot be reached is a
 *   miss (the source is asked), logged once per call.
 * - Local write: published locally first (the run never waits for the bucket), recorded
 *   `pending` in the {@linkcode ReplicationJournal} before `put` returns, then uploaded in the
 *   background. A failed upload stays pending and is retried with a growing delay while the
 *   process lives, and by the next process that opens the mirror ({@linkcode CacheMirror.resume}).
 *
 * An entry travels as one tar archive (sorted names, fixed times and owners, so the same entry
 * gives the same bytes and an unchanged entry is not uploaded again): one request per entry
 * whatever its number of chunks, published in one step by the bucket, and readable with the
 * standard tools (`tar -x`).
 *
 * @module
 */
import type { CacheStore, StoredEntry, StoredEntryInfo } from "../cache/mod.ts";
import { FsCacheStore, ReplicationJournal } from "../cache/mod.ts";
import { createLogger, type Logger } from "../observability/mod.ts";
import {
  type Counter,
  defaultRegistry,
  type Gauge,
  type MetricsRegistry,
} from "../observability/metrics/mod.ts";
import type { ObjectStore } from "./object_store.ts";
import { ObjectChecksumError, ObjectNotFoundError } from "./errors.ts";

/** Metadata key of the entry's canonical checksum (`sha256:<hex>`). */
export const META_CHECKSUM = "gam-checksum";
/** Metadata key of the entry's expiry (ISO 8601), to prefer a fresher copy in the bucket. */
export const META_EXPIRES_AT = "gam-expires-at";
/** Metadata key of the archive's format. */
export const META_FORMAT = "gam-format";
/** The archive format this module writes. */
export const ENTRY_FORMAT = "zarr-entry-tar/1";

/** Options of {@linkcode CacheMirror}. */
export interface CacheMirrorOptions {
  /** The bucket. */
  bucket: ObjectStore;
  /** Key prefix of the cache in the bucket, without trailing slash. @default "cache" */
  prefix?: string;
  /** Logger. @default a JSON logger at "warn" */
  logger?: Logger;
  /** Metrics registry. @default defaultRegistry */
  metrics?: MetricsRegistry;
  /** First retry delay of a failed upload, milliseconds (doubles up to 10 min). @default 5000 */
  retryDelayMs?: number;
  /**
   * Run once before the first upload (again after it fails), e.g. the S3 store's
   * `ensureBucket()`. @default nothing
   */
  prepare?: () => Promise<void>;
  /** Clock, for expiry. @default () => new Date() */
  now?: () => Date;
}

/** Counts of a {@linkcode CacheMirror.flush}. */
export interface FlushReport {
  /** Entries pending when the flush started that the bucket now holds. */
  replicated: number;
  /** Entries still pending afterwards (the bucket failed, or a newer write came meanwhile). */
  pending: number;
}

interface MirrorMetrics {
  remote: Counter<"outcome">;
  uploads: Counter<"outcome">;
  pending: Gauge;
}

function mirrorMetrics(registry: MetricsRegistry): MirrorMetrics {
  return {
    remote: registry.counter({
      name: "gam_cache_remote_requests_total",
      help: "Lookups in the bucket's cache prefix after a local miss, by outcome " +
        "(hit, miss, corrupt, error).",
      labelNames: ["outcome"],
    }),
    uploads: registry.counter({
      name: "gam_cache_replications_total",
      help: "Uploads of cache entries to the bucket by outcome (ok, unchanged, failed).",
      labelNames: ["outcome"],
    }),
    pending: registry.gauge({
      name: "gam_cache_replication_pending",
      help: "Cache entries written locally and not yet in the bucket.",
      labelNames: [],
    }),
  };
}

/**
 * A {@linkcode CacheStore} over a local folder, mirrored to a bucket.
 *
 * It needs an S3 server: exercised by src/storage/cache_mirror_test.ts.
 */
export class CacheMirror implements CacheStore {
  /** The local layer. */
  readonly local: FsCacheStore;
  /** The durable record of pending uploads. */
  readonly journal: ReplicationJournal;
  readonly #bucket: ObjectStore;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #metrics: MirrorMetrics;
  readonly #retryDelayMs: number;
  readonly #prepare: (() => Promise<void>) | undefined;
  readonly #now: () => Date;
  #prepared: Promise<void> | undefined;
  readonly #queue = new Set<string>();
  readonly #failures = new Map<string, number>();
  #busy: Promise<void> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * @param local The local cache folder, or its store.
   * @param options See {@linkcode CacheMirrorOptions}.
   */
  constructor(local: string | FsCacheStore, options: CacheMirrorOptions) {
    this.local = typeof local === "string" ? new FsCacheStore(local) : local;
    this.journal = new ReplicationJournal(this.local.root);
    this.#bucket = options.bucket;
    this.#prefix = (options.prefix ?? "cache").replace(/^\/+|\/+$/g, "");
    this.#log = (options.logger ?? createLogger({ level: "warn" })).child({
      component: "cache-mirror",
    });
    this.#metrics = mirrorMetrics(options.metrics ?? defaultRegistry);
    this.#retryDelayMs = options.retryDelayMs ?? 5000;
    this.#prepare = options.prepare;
    this.#now = options.now ?? (() => new Date());
  }

  /** The local folder (entries' `dir` are under it). */
  get location(): string {
    return this.local.location;
  }

  /** The object key of an entry's archive. */
  keyOf(path: string): string {
    return `${this.#prefix === "" ? "" : this.#prefix + "/"}${path}.tar`;
  }

  async get(path: string): Promise<StoredEntry | undefined> {
    const local = await this.local.get(path);
    if (local !== undefined) {
      // An expired local copy gives way to a fresher one in the bucket (another machine
      // refreshed the entry): one HEAD per read of an expired entry, none otherwise.
      const expires = Date.parse(String(gamOf(local.attributes)?.expiresAt));
      const now = this.#now().getTime();
      if (!(expires <= now) || !(await this.#fresherInBucket(path, expires, now))) return local;
      return await this.fetchRemote(path) ? (await this.local.get(path)) ?? local : local;
    }
    return await this.fetchRemote(path) ? await this.local.get(path) : undefined;
  }

  async #fresherInBucket(path: string, localExpires: number, now: number): Promise<boolean> {
    try {
      const head = await this.#bucket.head(this.keyOf(path));
      const remote = Date.parse(head?.metadata?.[META_EXPIRES_AT] ?? "");
      return remote > localExpires && remote > now;
    } catch (error) {
      this.#metrics.remote.inc({ outcome: "error" });
      this.#log.warn("the bucket could not be read; keeping the expired local entry", {
        entry: path,
        error,
      });
      return false;
    }
  }

  /**
   * Downloads the entry at `path` from the bucket into the local layer (verified). Resolves to
   * whether it did; a missing, damaged or unreachable object resolves to `false` (logged).
   */
  async fetchRemote(path: string): Promise<boolean> {
    const key = this.keyOf(path);
    let object: Awaited<ReturnType<ObjectStore["getBytes"]>>;
    try {
      object = await this.#bucket.getBytes(key);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) {
        this.#metrics.remote.inc({ outcome: "miss" });
        return false;
      }
      const corrupt = error instanceof ObjectChecksumError;
      this.#metrics.remote.inc({ outcome: corrupt ? "corrupt" : "error" });
      if (corrupt) {
        this.#log.error("a cache object in the bucket failed its checksum and was not used", {
          entry: path,
          key,
          error,
        });
      } else {
        this.#log.warn("the bucket could not be read; treating the entry as a miss", {
          entry: path,
          key,
          error,
        });
      }
      return false;
    }
    if (object.info.sha256 === undefined) {
      // Not written by the mirror: nothing to check it against.
      this.#metrics.remote.inc({ outcome: "corrupt" });
      this.#log.error("a cache object in the bucket has no recorded checksum and was not used", {
        entry: path,
        key,
      });
      return false;
    }
    try {
      await this.local.put(path, (dir) => untar(object.bytes, dir));
    } catch (error) {
      this.#metrics.remote.inc({ outcome: "corrupt" });
      this.#log.error("a cache object in the bucket could not be unpacked", {
        entry: path,
        key,
        error,
      });
      return false;
    }
    await this.journal.markFromBucket(path, {
      checksum: object.info.metadata?.[META_CHECKSUM],
      sha256: object.info.sha256,
      versionId: object.info.versionId,
    });
    this.#metrics.remote.inc({ outcome: "hit" });
    return true;
  }

  async put(path: string, fill: (dir: string) => Promise<void>): Promise<StoredEntryInfo> {
    const info = await this.local.put(path, fill);
    await this.journal.markPending(path, checksumOf(info.attributes));
    this.#enqueue(path);
    return info;
  }

  async delete(path: string): Promise<boolean> {
    const existed = await this.local.delete(path);
    await this.journal.remove(path);
    return existed;
  }

  async quarantine(path: string): Promise<string | undefined> {
    const aside = await this.local.quarantine(path);
    await this.journal.remove(path);
    return aside;
  }

  list(prefix?: string): Promise<StoredEntryInfo[]> {
    return this.local.list(prefix);
  }

  setPinned(path: string, pinned: boolean): Promise<void> {
    return this.local.setPinned(path, pinned);
  }

  lock(path: string): Promise<AsyncDisposable> {
    return this.local.lock(path);
  }

  tryLock(path: string): Promise<AsyncDisposable | undefined> {
    return this.local.tryLock(path);
  }

  cleanLeftovers(
    options?: { quarantineMaxAgeSeconds?: number; now?: Date },
  ): Promise<{ removed: number; bytes: number }> {
    return this.local.cleanLeftovers(options);
  }

  clear(): Promise<void> {
    return this.local.clear();
  }

  /**
   * Queues every upload the journal has pending (left by an earlier process or outage), and
   * forgets the records of entries no longer in the local folder (evicted or quarantined by a
   * tool working on the folder alone). Resolves to the number of pending uploads.
   */
  async resume(): Promise<number> {
    let pending = 0;
    for (const r of (await this.journal.all()).values()) {
      if (r.state === "pending") {
        pending++;
        this.#enqueue(r.path);
      } else if (!(await isEntry(this.local.dirOf(r.path)))) {
        // Checked without `get`, which would count as a use of the entry (LRU order).
        await this.journal.remove(r.path);
      }
    }
    return pending;
  }

  /**
   * Tries every pending upload now (once each, failures stay pending) and waits for them.
   * `gam run` calls it before it exits.
   */
  async flush(): Promise<FlushReport> {
    const before = await this.journal.pending();
    for (const r of before) this.#queue.add(r.path);
    // The background worker may be uploading; let it finish, then drain what is left.
    await this.#busy;
    await this.#drain();
    const after = await this.journal.all();
    const replicated = before.filter((r) => after.get(r.path)?.state === "replicated").length;
    const pending = [...after.values()].filter((r) => r.state === "pending").length;
    this.#metrics.pending.set(pending);
    return { replicated, pending };
  }

  /** Stops the retry timer and waits for an upload in progress (pending ones stay pending). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#queue.clear();
    await this.#busy;
  }

  /**
   * Uploads `path` now. Resolves to `ok`, `unchanged` (the bucket already holds these bytes)
   * or `gone` (the entry was removed locally); throws when the bucket fails.
   */
  async replicate(path: string): Promise<"ok" | "unchanged" | "gone"> {
    const record = await this.journal.get(path);
    let archive: Uint8Array;
    let expiresAt: unknown;
    {
      await using _lock = await this.local.lock(path);
      const stored = await this.local.get(path);
      if (stored === undefined) {
        await this.journal.remove(path);
        return "gone";
      }
      archive = await tar(stored.dir);
      expiresAt = gamOf(stored.attributes)?.expiresAt;
    }
    if (this.#prepare !== undefined) {
      this.#prepared ??= this.#prepare().catch((error) => {
        this.#prepared = undefined;
        throw error;
      });
      await this.#prepared;
    }
    // The store sends and checks the SHA-256, and skips the upload when the bucket already
    // holds these bytes (the archive of an unchanged entry is byte-identical).
    const put = await this.#bucket.putBytes(this.keyOf(path), archive, {
      contentType: "application/x-tar",
      metadata: {
        [META_FORMAT]: ENTRY_FORMAT,
        ...(record?.checksum !== undefined ? { [META_CHECKSUM]: record.checksum } : {}),
        ...(typeof expiresAt === "string" ? { [META_EXPIRES_AT]: expiresAt } : {}),
      },
    });
    await this.journal.markReplicated(path, {
      sha256: put.sha256,
      versionId: put.versionId,
      expectedQueuedAt: record?.state === "pending" ? record.queuedAt : undefined,
    });
    return put.uploaded ? "ok" : "unchanged";
  }

  #enqueue(path: string): void {
    if (this.#closed) return;
    this.#queue.add(path);
    this.#busy ??= this.#drain().finally(() => (this.#busy = undefined));
  }

  async #drain(): Promise<void> {
    while (this.#queue.size > 0) {
      const [path] = this.#queue;
      this.#queue.delete(path);
      try {
        const outcome = await this.replicate(path);
        this.#failures.delete(path);
        if (outcome !== "gone") this.#metrics.uploads.inc({ outcome });
      } catch (error) {
        this.#metrics.uploads.inc({ outcome: "failed" });
        const attempts = (this.#failures.get(path) ?? 0) + 1;
        this.#failures.set(path, attempts);
        await this.journal.markFailed(path, errorText(error)).catch(() => {});
        this.#log.warn("a cache entry could not be replicated to the bucket; it stays pending", {
          entry: path,
          bucket: this.#bucket.bucket,
          attempts,
          error,
        });
        this.#scheduleRetry();
      }
    }
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#retryTimer !== undefined) return;
    const attempts = Math.max(1, ...this.#failures.values());
    const delay = Math.min(this.#retryDelayMs * 2 ** (attempts - 1), 600_000);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      for (const path of this.#failures.keys()) this.#enqueue(path);
    }, delay);
    Deno.unrefTimer(this.#retryTimer);
  }
}

function gamOf(
  attributes: Record<string, unknown>,
): { checksum?: unknown; expiresAt?: unknown } | undefined {
  const gam = attributes.gam;
  return typeof gam === "object" && gam !== null ? gam : undefined;
}

function checksumOf(attributes: Record<string, unknown>): string | undefined {
  const checksum = gamOf(attributes)?.checksum;
  return typeof checksum === "string" ? checksum : undefined;
}

async function isEntry(dir: string): Promise<boolean> {
  return await Deno.stat(`${dir}/zarr.json`).then((st) => st.isFile, () => false);
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Archive of a folder's content with fixed names order, times and owners (same input, same bytes). */
async function tar(dir: string): Promise<Uint8Array> {
  const out = await new Deno.Command("tar", {
    args: [
      "--create",
      "--file=-",
      "--sort=name",
      "--mtime=@0",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "--format=gnu",
      `--directory=${dir}`,
      ".",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `tar of "${dir}" failed (status ${out.code}): ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  return out.stdout;
}

/**
 * Unpacks an archive made by {@linkcode tar} into `dir`. Only regular files and folders are
 * accepted (no links or devices, which could reach outside `dir`); GNU tar itself refuses
 * members with `..` and strips a leading `/`.
 */
async function untar(archive: Uint8Array, dir: string): Promise<void> {
  const listing = await tarWithInput(["--list", "--verbose", "--file=-"], archive);
  const bad = listing.split("\n").filter((l) => l !== "" && l[0] !== "-" && l[0] !== "d");
  if (bad.length > 0) {
    throw new Error(`the archive holds members other than files and folders: ${bad[0]}`);
  }
  await tarWithInput(
    ["--extract", "--file=-", "--no-same-owner", "--no-same-permissions", `--directory=${dir}`],
    archive,
  );
}

/** Runs `tar args` with `input` on its standard input; resolves to its standard output. */
async function tarWithInput(args: string[], input: Uint8Array): Promise<string> {
  const child = new Deno.Command("tar", {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const [out] = await Promise.all([
    child.output(),
    writer.write(input).then(() => writer.close()),
  ]);
  if (!out.success) {
    throw new Error(
      `tar ${args[0]} failed (status ${out.code}): ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}
