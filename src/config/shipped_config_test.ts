import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { listProfiles, loadConfig } from "./loader.ts";

const CONFIG = fromFileUrl(new URL("../../config/ingestion.yaml", import.meta.url));
const PROFILES = fromFileUrl(new URL("../../config/profiles", import.meta.url));

Deno.test("the shipped config/ingestion.yaml is valid: synthetic gravity and magnetic over a small box", async () => {
  const { config } = await loadConfig({ configPath: CONFIG, env: {} });
  const [minLon, minLat, maxLon, maxLat] = config.defaults.bbox;
  assert.ok((maxLon - minLon) * (maxLat - minLat) <= 1, "default box of at most 1 square degree");
  for (const name of ["gravity", "magnetic"] as const) {
    const m = config.modalities[name];
    assert.equal(m.enabled, true);
    assert.equal(m.source.plugin, "synthetic");
    assert.equal(m.source.module, undefined, "built-in plugin by id alone");
    assert.deepEqual(m.source.permissions.net, [], "the offline default needs no network");
    assert.equal(typeof m.pipeline.definition, "string");
    assert.match(m.pipeline.definition as string, /->/);
  }
  assert.equal(config.modalities.gravity.units, "mGal");
  assert.equal(config.modalities.magnetic.units, "nT");
});

Deno.test("every shipped profile (dev, ci, prod) is valid over the shipped base", async () => {
  const names = await listProfiles(PROFILES);
  assert.deepEqual(names, ["ci", "dev", "prod"]);
  for (const profile of names) {
    const { config, sources } = await loadConfig({ configPath: CONFIG, profile, env: {} });
    assert.equal(sources.length, 2, profile);
    if (profile === "prod") assert.equal(config.modalities.gravity.schedule, "0 3 * * *");
    if (profile === "ci") assert.equal(config.modalities.gravity.retry.maxAttempts, 2);
  }
});
