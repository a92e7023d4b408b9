/**
 * The `README.md` written next to a run's `manifest.json` in the bucket (and in the run
 * folder): what ran, the bbox, the modalities, which manifest, and how to open the grids from
 * GDAL (`/vsis3/`) and Python. No credentials: the reader brings their own.
 *
 * @module
 */
import type { StoredObject } from "./run_upload.ts";

/** Input of {@linkcode renderRunReadme}. */
export interface RunReadmeInput {
  /** The run manifest (`manifest.json`), with its `storage` section. */
  manifest: {
    runId: string;
    status: string;
    startedAt: string;
    finishedAt: string;
    bbox: readonly number[];
    configHash?: string;
    code?: unknown;
    modalities: {
      modality: string;
      outcome: string;
      grids: { branch: string; tif: string; checksum: string }[];
    }[];
    plugins?: Record<string, Record<string, unknown>>;
  };
  /** Bucket name. */
  bucket: string;
  /** Key prefix of each artefact kind of the run. */
  prefixes: Record<string, string>;
  /** Run-folder-relative path to object. */
  objects: Record<string, StoredObject>;
  /** Endpoint of the server, for the examples. */
  endpoint?: string;
  /** Region, for the examples. */
  region?: string;
}

function gdalEnv(endpoint: string | undefined, region: string | undefined): string[] {
  const lines = [
    "export AWS_ACCESS_KEY_ID=...        # your key: never written here",
    "export AWS_SECRET_ACCESS_KEY=...",
  ];
  if (region) lines.push(`export AWS_REGION=${region}`);
  if (endpoint) {
    const url = new URL(endpoint);
    lines.push(`export AWS_S3_ENDPOINT=${url.host}`);
    lines.push("export AWS_VIRTUAL_HOSTING=FALSE  # path-style addressing");
    if (url.protocol === "http:") lines.push("export AWS_HTTPS=NO");
  }
  return lines;
}

/**
 * Renders the run's README.
 *
 * @param input The manifest, bucket, prefixes and uploaded objects.
 * @returns Markdown text.
 *
 * @example Usage
 * ```ts
 * import { renderRunReadme } from "./run_readme.ts";
 * const md = renderRunReadme({
 *   manifest: {
 *     runId: "run-1", status: "succeeded", startedAt: "2026-12-04T10:00:00Z",
 *     finishedAt: "2026-12-04T10:01:00Z", bbox: [10, 45, 10.5, 45.5], modalities: [],
 *   },
 *   bucket: "gam", prefixes: { preprocessing: "phase1/preprocessing/2026-12-04/run-1/" },
 *   objects: {},
 * });
 * md.startsWith("# Run run-1"); // true
 * ```
 */
export function renderRunReadme(input: RunReadmeInput): string {
  const m = input.manifest;
  const [w, s, e, n] = m.bbox;
  const out: string[] = [];
  out.push(`# Run ${m.runId}`, "");
  out.push(
    `A \`gam run\` of the GAM pipeline: status **${m.status}**, started ${m.startedAt}, ` +
      `finished ${m.finishedAt}.`,
    "",
  );
  out.push(
    `- Bounding box (EPSG:4326 degrees, \`[minLon, minLat, maxLon, maxLat]\`): ` +
      `\`[${w}, ${s}, ${e}, ${n}]\``,
  );
  out.push(`- Modalities: ${m.modalities.map((x) => `${x.modality} (${x.outcome})`).join(", ")}`);
  if (m.configHash) out.push(`- Configuration hash: \`${m.configHash}\``);
  if (typeof m.code === "string") out.push(`- Code version: \`${m.code}\``);
  out.push(
    "- Manifest: `manifest.json` in this folder, the full provenance of the run; its " +
      "`storage.objects` gives every object's `s3://` URI with its version id and SHA-256, so " +
      "an object overwritten later can still be read at the version this run wrote.",
  );
  out.push("");
  out.push("## Where the artefacts are", "");
  for (const [kind, prefix] of Object.entries(input.prefixes)) {
    out.push(`- ${kind}: \`s3://${input.bucket}/${prefix}\``);
  }
  out.push("");
  const plugins = Object.entries(m.plugins ?? {});
  if (plugins.length > 0) {
    out.push("## Sources", "");
    for (const [modality, p] of plugins) {
      const doi = typeof p.doi === "string" ? ` DOI: [${p.doi}](https://doi.org/${p.doi}).` : "";
      out.push(
        `- ${modality}: plugin \`${p.id}\` ${p.version ?? ""}, licence ${
          p.licence ?? "unknown"
        }. ` +
          `Cite: ${p.citation ?? "(none given)"}.${doi}`,
      );
    }
    out.push("");
  }
  out.push("## Grids", "");
  out.push("| modality | branch | GeoTIFF object (version) | grid checksum |");
  out.push("| --- | --- | --- | --- |");
  let example: StoredObject | undefined;
  for (const mod of m.modalities) {
    for (const g of mod.grids) {
      const tif = input.objects[`grids/${g.tif.split("/").pop()}`];
      example ??= tif;
      out.push(
        `| ${mod.modality} | ${g.branch} | ${
          tif ? `\`${tif.key}\` (${tif.versionId ?? "-"})` : "-"
        } | \`${g.checksum}\` |`,
      );
    }
  }
  out.push("");
  out.push(
    "Each grid is there twice: a GeoTIFF (band 1 the values, NaN for no data; band 2, when " +
      "present, the distance to the nearest input point in km) and a Zarr v3 group (`.zarr/`, " +
      "arrays `values`, `lat`, `lon`).",
    "",
  );
  const key = example?.key ?? `${Object.values(input.prefixes)[0] ?? ""}<object>.tif`;
  out.push("### GDAL", "", "```sh");
  out.push(...gdalEnv(input.endpoint, input.region));
  out.push(`gdalinfo /vsis3/${input.bucket}/${key}`);
  if (example?.versionId) {
    out.push(
      `# this exact version: aws s3api get-object --bucket ${input.bucket} --key ${key} ` +
        `--version-id ${example.versionId} grid.tif`,
    );
  }
  out.push("```", "");
  out.push("### Python", "", "```python");
  out.push("# with the variables above set in the environment");
  out.push("from osgeo import gdal  # or: import rasterio; rasterio.open(path)");
  out.push(`ds = gdal.Open("/vsis3/${input.bucket}/${key}")`);
  out.push("values = ds.GetRasterBand(1).ReadAsArray()  # rows north to south");
  out.push("");
  out.push("# the Zarr group, with zarr-python 3 and s3fs:");
  out.push("import zarr");
  out.push(
    `group = zarr.open_group("s3://${input.bucket}/${key.replace(/\.tif$/, ".zarr")}", mode="r",`,
  );
  out.push(
    `                        storage_options={${
      input.endpoint ? `"endpoint_url": "${input.endpoint}"` : ""
    }})`,
  );
  out.push('values = group["values"][:]');
  out.push("```", "");
  return out.join("\n");
}
