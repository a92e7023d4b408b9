/**
 * Ingestion services that outlive a run: a long-running process (`gam serve`) keeps one
 * {@linkcode IngestionService} per configuration and set of modalities, so its circuit breakers
 * and rate-limit buckets hold across scheduled runs. A new configuration (hot reload) gets new
 * services; the old ones are closed.
 *
 * @module
 */
import type { IngestionService } from "../ingestion/mod.ts";
import type { Logger } from "../observability/mod.ts";

/**
 * Long-lived ingestion services, keyed by configuration hash and modalities.
 *
 * @example Usage
 * ```ts
 * import { IngestionServices } from "./ingestion_services.ts";
 * import { IngestionService } from "../ingestion/mod.ts";
 * import { synthetic } from "../plugins/in_process.ts";
 * const plugin = synthetic.createPlugin();
 * const providers = {
 *   gravity: {
 *     id: synthetic.manifest.id,
 *     version: synthetic.manifest.version,
 *     fetch: (r: Parameters<typeof plugin.fetch>[0]) => plugin.fetch(r),
 *   },
 * };
 * const services = new IngestionServices();
 * const hash = "config-hash"; // the configuration's hash: a new one replaces the service
 * const service = services.get(hash, ["gravity"], () => new IngestionService({ providers }));
 * console.log(service.modalities);
 * await services.close();
 * ```
 */
export class IngestionServices {
  readonly #services = new Map<string, { hash: string; service: IngestionService }>();
  /** The process's logger, which the services log to (a run's log ends with the run). */
  readonly logger?: Logger;

  /** @param options `logger`: the process's logger for the services' lines. */
  constructor(options: { logger?: Logger } = {}) {
    this.logger = options.logger;
  }

  /**
   * The service of `hash` and `modalities`, made by `create` the first time. Services of other
   * configuration hashes are closed (the configuration changed).
   */
  get(
    hash: string,
    modalities: readonly string[],
    create: () => IngestionService,
  ): IngestionService {
    const key = `${hash}|${[...modalities].sort().join(",")}`;
    for (const [k, v] of this.#services) {
      if (v.hash !== hash) {
        this.#services.delete(k);
        v.service.close().catch(() => {});
      }
    }
    let entry = this.#services.get(key);
    if (!entry) {
      entry = { hash, service: create() };
      this.#services.set(key, entry);
    }
    return entry.service;
  }

  /** Number of services kept (for tests). */
  get size(): number {
    return this.#services.size;
  }

  /** Closes every service. */
  async close(): Promise<void> {
    const all = [...this.#services.values()];
    this.#services.clear();
    await Promise.all(all.map((e) => e.service.close().catch(() => {})));
  }
}
