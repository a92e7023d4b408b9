/**
 * Test support (internal): a copy of the shipped configuration pointed at temporary folders
 * and at a loopback S3 server's bucket, credentials by auth profile from the environment (the
 * variables `scripts/s3_server.sh start` prints, passed to `gam` as its environment).
 *
 * @module
 */
import { parse, stringify } from "yaml";
import type { TestS3Server } from "../../src/storage/_testing.ts";
import { ROOT } from "../_gam_cli.ts";

// deno-lint-ignore no-explicit-any
export type Yaml = Record<string, any>;

/**
 * Writes `<dir>/ingestion.yaml`: the shipped config with outputs in `<dir>/out`, the cache in
 * `<dir>/cache`, and `storage:` on `bucket` of `server`. Returns its path and the environment
 * `gam` needs (the S3 credentials).
 *
 * For example `const { path, env } = await storageConfig(dir, server, "gam-dr")`, then
 * `gam(["db", "backup", "--to", "s3://gam-dr/x.dump", "--config", path], env)`; it needs the
 * loopback S3 server of a storage test: used by tests/storage/dr_drill_test.ts.
 */
export async function storageConfig(
  dir: string,
  server: TestS3Server,
  bucket: string,
  edit: (c: Yaml) => void = () => {},
): Promise<{ path: string; env: Record<string, string> }> {
  const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as Yaml;
  c.defaults.bbox = [10.0, 45.0, 10.3, 45.3];
  c.defaults.outputDir = `${dir}/out`;
  c.defaults.cacheDir = `${dir}/cache`;
  c.defaults.logLevel = "warn";
  c.auth = {
    ...(c.auth ?? {}),
    s3_key_id: { fromEnv: "GAM_S3_ACCESS_KEY_ID" },
    s3_secret: { fromEnv: "GAM_S3_SECRET_ACCESS_KEY" },
  };
  c.storage = {
    endpoint: server.endpoint,
    region: server.region,
    bucket,
    credentials: { accessKeyId: "s3_key_id", secretAccessKey: "s3_secret" },
    retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50 },
  };
  edit(c);
  const path = `${dir}/ingestion.yaml`;
  await Deno.writeTextFile(path, stringify(c));
  return {
    path,
    env: {
      GAM_S3_ACCESS_KEY_ID: server.accessKeyId,
      GAM_S3_SECRET_ACCESS_KEY: server.secretAccessKey,
    },
  };
}
