/**
 * The registry of the real survey files the tests, examples and benchmarks use: name, sha256,
 * size, licence, citation and where each comes from. The bytes are never in the repository;
 * {@linkcode fetchDataset} finds or downloads them and checks the hash.
 *
 * @module
 */

/** One registered data file. */
export interface DatasetEntry {
  /** File name, as in `../shared/data/` and in the cache folder. */
  readonly file: string;
  /** `sha256:<hex>` of the exact bytes the tests expect. */
  readonly sha256: string;
  /** Size in bytes. */
  readonly size: number;
  /** What the file holds, in one line. */
  readonly description: string;
  /** Licence, as a data manifest records it. */
  readonly licence: string;
  /** Citation, as a data manifest records it. */
  readonly citation: string;
  /** DOI of the data, where the data's README cites a work that has one. */
  readonly doi?: string;
  /**
   * The original public file these bytes come from. `url` is where it is published; `sha256` its
   * hash where the publisher states one (it differs from {@linkcode DatasetEntry.sha256} when
   * the format differs); `note` says how our file relates to it.
   */
  readonly source: { readonly url: string; readonly sha256?: string; readonly note: string };
  /**
   * A URL serving exactly these bytes, when one is known: {@linkcode fetchDataset} downloads from
   * it and checks {@linkcode DatasetEntry.sha256}. Absent when the only public copy is in another
   * format (then the error message says how to convert the source).
   */
  readonly url?: string;
}

/** The registered files, by file name. */
export const DATASETS: Readonly<Record<string, DatasetEntry>> = Object.freeze({
  "south-africa-gravity.ast.gz": {
    file: "south-africa-gravity.ast.gz",
    sha256: "sha256:810604e7024a9826f42bed9089ad2c97e8604017cd9aeafab0faed2d6ee8e649",
    size: 193530,
    description: "Land gravity survey, Republic of South Africa, January 1986; 14,559 stations " +
      "(latitude, longitude, elevation m, observed gravity mGal IGSN71; whitespace separated)",
    licence: "Public domain (NOAA NCEI)",
    citation: "NOAA National Centers for Environmental Information (NCEI, formerly NGDC), " +
      "regional gravity data for Africa; survey by R.J. Kleywegt",
    source: {
      url: "https://github.com/fatiando/harmonica/raw/v0.2.0/data/south-africa-gravity.ast.xz",
      note:
        "Harmonica's sample data (fetch_south_africa_gravity) is the same table xz-compressed " +
        "(original NCEI files: https://www.ngdc.noaa.gov/mgg/gravity/1999/data/regional/africa/). " +
        "Our file is gzip: convert with `xz -dc south-africa-gravity.ast.xz | gzip -n9 > " +
        "south-africa-gravity.ast.gz`; the gzip bytes, and so the hash, may differ from ours " +
        "(compression level and header), which the tests then reject.",
    },
  },
  "rio-magnetic.csv.gz": {
    file: "rio-magnetic.csv.gz",
    sha256: "sha256:5fcb8775a36d3348f2c6088e86bfc763e5f327b6b0e71e56ff0010e0773b4de0",
    size: 465047,
    description: "Airborne total-field magnetic anomaly survey north-west of Rio de Janeiro, " +
      "1978; 37,718 readings (longitude, latitude, total_field_anomaly_nt, height_ell_m, " +
      "line_type, line_number; CSV with header)",
    licence: "Geological Survey of Brazil (CPRM), GEOSGB open data",
    citation: "Geological Survey of Brazil (CPRM), GEOSGB portal; cropped sample as " +
      "distributed by the Fatiando a Terra project (Verde sample data)",
    source: {
      url: "https://github.com/fatiando/verde/raw/v1.5.0/data/rio-magnetic.csv.xz",
      sha256: "sha256:15f345cce85ad1156ab069a0b8ddf18e5cb84dc715f2bedcc743c2be21f6eab8",
      note: "Verde's sample data, downloaded by Verde's Pooch registry from " +
        "https://github.com/fatiando/verde/raw/{version}/data/ (verde/datasets/registry.txt " +
        "states the xz file's sha256 above; which release tags carry exactly that file was not " +
        "checked; Harmonica's registry lists an older four-column version, sha256 134542c1...). " +
        "Our file is gzip: " +
        "convert with `xz -dc rio-magnetic.csv.xz | gzip -n9 > rio-magnetic.csv.gz`; the gzip " +
        "bytes may differ from ours.",
    },
  },
  "icgem-sample.gdf": {
    file: "icgem-sample.gdf",
    sha256: "sha256:06d864f3b60ce4e683c498527ff1c3d86f8ac88902c5f1485b7320f767cd1411",
    size: 3611,
    description: "A response body of the ICGEM Calculation Service in GDF (EIGEN-6C4 header, " +
      "7 x 8 grid of test values)",
    licence: "GFZ Potsdam ICGEM service format; Harmonica test data (BSD-3-Clause)",
    // EIGEN-6C4 (Foerste et al. 2014, GFZ Data Services), the model the README names.
    doi: "10.5880/icgem.2015.1",
    citation: "GFZ Potsdam ICGEM Calculation Service; sample from the Harmonica project's tests",
    source: {
      url: "https://raw.githubusercontent.com/fatiando/harmonica/main/harmonica/tests/data/" +
        "icgem-sample.gdf",
      note: "Harmonica's test file, same format and values; the download is checked against our " +
        "sha256 (line endings or trailing bytes may differ, then it is rejected).",
    },
    url: "https://raw.githubusercontent.com/fatiando/harmonica/main/harmonica/tests/data/" +
      "icgem-sample.gdf",
  },
  "gravity-earth-0.5deg.nc": {
    file: "gravity-earth-0.5deg.nc",
    sha256: "sha256:c236c1a731eefe494b7b1106e76102559d082492141c478a5a417236e61f1fb2",
    size: 2092724,
    description: "Global gravity magnitude on a 0.5 degree grid (721 x 361) at 10 km " +
      "ellipsoidal height, EIGEN-6C4 via the ICGEM Calculation Service (netCDF classic)",
    licence: "GFZ Potsdam ICGEM; EIGEN-6C4 (CC BY 4.0)",
    // EIGEN-6C4 (Foerste et al. 2014, GFZ Data Services), the model the README names.
    doi: "10.5880/icgem.2015.1",
    citation: "Foerste et al. (2014), EIGEN-6C4, GFZ Data Services; grid via the ICGEM " +
      "Calculation Service, as distributed with Harmonica sample data",
    source: {
      url: "https://github.com/fatiando/harmonica/raw/v0.2.0/data/gravity-earth-0.5deg.nc.xz",
      sha256: "sha256:02c62a251225e2e76722a80d87c488160fbdcae2c1a8bbc2386c32e68ea8f43a",
      note:
        "Harmonica's sample data (harmonica/datasets/registry.txt states the xz file's sha256 " +
        "above). Decompress with `xz -d gravity-earth-0.5deg.nc.xz`; the result should be our " +
        "file (xz decompression is exact), and the hash check confirms it.",
    },
  },
});

/**
 * The DOI of a registered data file, recognised by its name and size (the bytes the registry
 * lists), or `undefined`.
 *
 * @param fileName The file's base name.
 * @param size Its size, bytes.
 * @returns The DOI, when the file is a registered dataset that has one.
 *
 * @example Usage
 * ```ts
 * import { DATASETS, datasetDoi } from "./registry.ts";
 * datasetDoi("gravity-earth-0.5deg.nc", DATASETS["gravity-earth-0.5deg.nc"].size);
 * // "10.5880/icgem.2015.1"
 * ```
 */
export function datasetDoi(fileName: string, size: number): string | undefined {
  const entry = Object.hasOwn(DATASETS, fileName) ? DATASETS[fileName] : undefined;
  return entry !== undefined && entry.size === size ? entry.doi : undefined;
}
