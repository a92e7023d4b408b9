/**
 * The real survey files used by tests, examples and benchmarks, fetched as Pooch does: a
 * registry in the repository ({@linkcode DATASETS}: name, sha256, size, licence, citation,
 * original URL) and {@linkcode fetchDataset}, which looks in `../shared/data/`, then the user
 * cache folder, then downloads from the registered URL and checks the hash.
 *
 * @example The local path of the Rio survey
 * ```ts
 * import { fetchDataset } from "./mod.ts";
 * const path = await fetchDataset("rio-magnetic.csv.gz");
 * ```
 *
 * @module
 */
export { type DatasetEntry, DATASETS } from "./registry.ts";
export {
  cacheAction,
  DatasetUnavailableError,
  defaultDataCacheDir,
  fetchDataset,
  type FetchDatasetOptions,
  SHARED_DATA_DIR,
  UnknownDatasetError,
} from "./fetch.ts";
