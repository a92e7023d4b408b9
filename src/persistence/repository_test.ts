/**
 * The repository suite, run against both engines: embedded PGlite (always) and the PostgreSQL
 * server at DATABASE_URL (skipped with a message only when unreachable outside CI).
 */
import assert from "node:assert/strict";
import type { Anomaly } from "../contracts/mod.ts";
import { scratchDatabase, skipServer } from "./_testing.ts";
import {
  anomaliesInBboxSql,
  contentChecksums,
  type Database,
  openDatabase,
  PersistenceError,
  type Repository,
} from "./mod.ts";
import { mulberry32 as rng } from "../plugins/in_process.ts";

const skipServerSuite = await skipServer("src/persistence/repository_test.ts");

/** `count` anomalies uniform in [lon0, lon0+10] x [lat0, lat0+10], confidence in [0, 1). */
function anomalies(count: number, seed: number, lon0 = 10, lat0 = -30): Anomaly[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, i) => ({
    lon: lon0 + r() * 10,
    lat: lat0 + r() * 10,
    depth: r() * 500,
    confidence: r(),
    type: i % 3 === 0 ? "negative" : "positive",
    attributes: { peak: r() * 10, index: i },
  }));
}

const SHA = (c: string) => c.repeat(64);

/** Loads a small but complete run and returns its ids. */
async function loadRun(repo: Repository, runId: string) {
  const run = await repo.createRun({ id: runId, configHash: "cfg-1" });
  const manifest = await repo.upsertManifest({
    kind: "raw",
    cacheKey: `${runId}-gravity-raw`,
    modality: "gravity",
    source: "synthetic",
    pluginId: "synthetic",
    pluginVersion: "1.0.0",
    checksumSha256: SHA("a"),
    sizeBytes: 1234,
    licence: "CC-BY-4.0",
    citation: "Synthetic, 2026",
    retrievedAt: new Date("2026-11-01T00:00:00Z"),
    expiresAt: new Date("2026-12-01T00:00:00Z"),
    cachePath: "/cache/ingestion/gravity/k1",
    runId,
  });
  const survey = await repo.insertSurvey({
    modality: "gravity",
    bbox: [10, -30, 20, -20],
    runId,
    sourceManifestId: manifest.id,
    acquisition: { start: new Date("2020-01-01T00:00:00Z"), end: new Date("2020-02-01T00:00:00Z") },
    ingestStatus: "ingested",
  });
  const gridManifest = await repo.upsertManifest({
    kind: "grid",
    cacheKey: `${runId}-gravity-grid`,
    modality: "gravity",
    source: "synthetic",
    checksumSha256: SHA("b"),
    sizeBytes: 4_000_000,
    retrievedAt: new Date("2026-11-01T00:00:00Z"),
    cachePath: "/cache/preprocessing/gravity/h/v1.0.0",
    runId,
  });
  const grid = await repo.insertGrid({
    surveyId: survey.id,
    gridVersion: "1.0.0",
    resolutionDeg: 0.01,
    storageUri: "file:///out/grid.zarr",
    stats: { count: 1_000_000, nanRatio: 0.02 },
    bbox: [10, -30, 20, -20],
    manifestId: gridManifest.id,
  });
  const model = await repo.insertModel({
    gridId: grid.id,
    modelType: "anomaly-flagging",
    meshConfig: { zThreshold: 3 },
  });
  await repo.insertAnomalies(model.id, anomalies(500, 42));
  await repo.putMetadata(runId, "stage.grid.seconds", 1.25);
  await repo.putMetadata(runId, "provenance", { git: "abc123", wasm: "deadbeef" });
  await repo.finishRun(runId, "succeeded");
  return { run, manifest, survey, grid, model };
}

async function expectPersistenceError(
  p: Promise<unknown>,
  table: string,
  constraint: string,
): Promise<PersistenceError> {
  const err = await p.then(() => undefined, (e) => e);
  assert.ok(err instanceof PersistenceError, `expected a PersistenceError, got ${err}`);
  assert.equal(err.table, table, err.message);
  assert.equal(err.constraint, constraint, err.message);
  assert.match(err.message, new RegExp(`table "${table}"`));
  assert.match(err.message, new RegExp(`constraint "${constraint}"`));
  return err;
}

function suite(engine: "pglite" | "postgres") {
  Deno.test({
    name: `repository suite (${engine})`,
    ignore: engine === "postgres" && skipServerSuite,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      let db: Database;
      let cleanup: () => Promise<void>;
      if (engine === "postgres") {
        const scratch = await scratchDatabase("gam_repo_test");
        // A server is migrated explicitly (openDatabase only verifies a server's migrations).
        db = await openDatabase({ url: scratch.url, migrate: true });
        cleanup = async () => {
          await db.close();
          await scratch.drop();
        };
      } else {
        const dir = await Deno.makeTempDir({ prefix: "gam_repo_test_" });
        db = await openDatabase({ url: null, dataDir: `${dir}/db` });
        cleanup = async () => {
          await db.close();
          await Deno.remove(dir, { recursive: true });
        };
      }
      const repo = db.repo;
      try {
        assert.equal(db.engine, engine);

        await t.step("every migration is applied and PostGIS is present", async () => {
          const st = await db.migrationStatus();
          assert.deepEqual(st.pending, []);
          const files = [...Deno.readDirSync(new URL("../../migrations", import.meta.url))]
            .map((e) => Number(e.name.slice(0, 4))).sort((a, b) => a - b);
          assert.ok(files.includes(5), "0005_survey_inputs.sql is among the migrations");
          assert.deepEqual(st.applied.map((a) => a.version), files);
          assert.ok(st.applied.every((a) => !a.changed && !a.missing));
          const [{ v }] = await db.sql.query<{ v: string }>("SELECT postgis_lib_version() AS v");
          assert.match(v, /^3\./);
          const again = await db.migrate();
          assert.equal(again.applied.length, 0);
          assert.equal(again.alreadyApplied, files.length);
        });

        let ids!: Awaited<ReturnType<typeof loadRun>>;
        await t.step("a complete run round-trips through every table", async () => {
          ids = await loadRun(repo, "run-a");
          const run = await repo.getRun("run-a");
          assert.equal(run?.status, "succeeded");
          assert.ok(run?.finishedAt instanceof Date);
          assert.equal(run?.configHash, "cfg-1");
          const survey = await repo.getSurvey(ids.survey.id);
          assert.deepEqual(survey?.bbox, [10, -30, 20, -20]);
          assert.equal(survey?.acquisition?.start?.toISOString(), "2020-01-01T00:00:00.000Z");
          assert.equal(survey?.acquisition?.end?.toISOString(), "2020-02-01T00:00:00.000Z");
          assert.equal(survey?.sourceManifestId, ids.manifest.id);
          const grid = await repo.getGrid(ids.grid.id);
          assert.deepEqual(grid?.stats, { count: 1_000_000, nanRatio: 0.02 });
          assert.equal(grid?.resolutionDeg, 0.01);
          const model = await repo.getModel(ids.model.id);
          assert.deepEqual(model?.meshConfig, { zThreshold: 3 });
          const manifest = await repo.getManifest(ids.manifest.id);
          assert.equal(manifest?.checksumSha256, SHA("a"));
          assert.equal(manifest?.expiresAt?.toISOString(), "2026-12-01T00:00:00.000Z");
          const meta = await repo.listMetadata("run-a");
          assert.deepEqual(meta.map((m) => [m.key, m.value]), [
            ["stage.grid.seconds", 1.25],
            ["provenance", { git: "abc123", wasm: "deadbeef" }],
          ]);
          assert.equal(await repo.getSurvey(999_999), undefined);
        });

        await t.step("a survey keeps its source CRS and named flight lines", async () => {
          const s = await repo.insertSurvey({
            modality: "magnetic",
            bbox: [10, 45, 11, 46],
            sourceCrs: "EPSG:32632",
          });
          assert.equal(s.sourceCrs, "EPSG:32632");
          assert.equal((await repo.getSurvey(ids.survey.id))!.sourceCrs, null);
          const lines = [
            { name: "FL1-1", kind: "line" as const, readings: 60 },
            { name: "T100", kind: "tie" as const, readings: 5 },
            { name: "L'1; DROP TABLE surveys", readings: 0 },
          ];
          assert.equal(await repo.insertSurveyLines(s.id, lines), 3);
          assert.deepEqual(await repo.surveyLines(s.id), [
            { code: 0, name: "FL1-1", kind: "line", readings: 60 },
            { code: 1, name: "T100", kind: "tie", readings: 5 },
            { code: 2, name: "L'1; DROP TABLE surveys", kind: null, readings: 0 },
          ]);
          assert.deepEqual(await repo.surveyLines(ids.survey.id), []);
          await expectPersistenceError(
            repo.insertSurveyLines(s.id, [{ name: "FL1-1", readings: 1 }]),
            "survey_lines",
            "survey_lines_pkey",
          );
          await expectPersistenceError(
            repo.insertSurvey({ modality: "magnetic", bbox: [10, 45, 11, 46], sourceCrs: "utm" }),
            "surveys",
            "surveys_source_crs_format",
          );
        });

        await t.step("anomalies keep lon, lat, depth, confidence exactly", async () => {
          const input = anomalies(500, 42);
          const page = await repo.anomaliesInBbox([-180, -90, 180, 90], { limit: 1000 });
          assert.equal(page.items.length, 500);
          assert.equal(page.next, undefined);
          const byIndex = new Map(page.items.map((a) => [a.attributes.index as number, a]));
          for (const [i, a] of input.entries()) {
            const got = byIndex.get(i)!;
            assert.equal(got.lon, a.lon);
            assert.equal(got.lat, a.lat);
            assert.equal(got.depth, a.depth);
            assert.equal(got.confidence, a.confidence);
            assert.equal(got.type, a.type);
            assert.equal(got.modelId, ids.model.id);
          }
        });

        await t.step(
          "upsertManifest() updates the same cache entry instead of duplicating it",
          async () => {
            const again = await repo.upsertManifest({
              kind: "raw",
              cacheKey: "run-a-gravity-raw",
              modality: "gravity",
              source: "synthetic",
              checksumSha256: SHA("a"),
              sizeBytes: 1234,
              retrievedAt: new Date("2026-11-01T00:00:00Z"),
              cachePath: "/cache/ingestion/gravity/k1",
              pinned: true,
            });
            assert.equal(again.id, ids.manifest.id);
            assert.equal(again.pinned, true);
            assert.equal(again.runId, "run-a"); // kept when the update has none
          },
        );

        await t.step("SQL-injection strings are stored literally", async () => {
          const evil = "gravity'); DROP TABLE surveys; --";
          const evilType = `x' OR '1'='1`;
          const evilKey = `"; DELETE FROM anomalies; --`;
          const s = await repo.insertSurvey({ modality: evil, bbox: [0, 0, 1, 1] });
          const g = await repo.insertGrid({
            surveyId: s.id,
            gridVersion: "$1",
            resolutionDeg: 0.1,
            storageUri: "file:///x",
            stats: { [evilKey]: evil },
            bbox: [0, 0, 1, 1],
          });
          const m = await repo.insertModel({
            gridId: g.id,
            modelType: "m",
            meshConfig: { [evilKey]: 1 },
          });
          await repo.insertAnomalies(m.id, [{
            lon: 0.5,
            lat: 0.5,
            depth: 0,
            confidence: 0.5,
            type: evilType,
            attributes: { [evilKey]: evilType },
          }]);
          assert.equal((await repo.getSurvey(s.id))?.modality, evil);
          assert.deepEqual((await repo.getGrid(g.id))?.stats, { [evilKey]: evil });
          assert.equal((await repo.getGrid(g.id))?.gridVersion, "$1");
          const page = await repo.anomaliesInBbox([0, 0, 1, 1], { anomalyType: evilType });
          assert.equal(page.items.length, 1);
          assert.deepEqual(page.items[0].attributes, { [evilKey]: evilType });
          assert.equal((await repo.gridsInBbox([0, 0, 1, 1], { modality: evil })).length, 1);
          // The other rows are all still there.
          const [{ c }] = await db.sql.query<{ c: unknown }>("SELECT count(*) AS c FROM anomalies");
          assert.equal(Number(c), 501);
        });

        await t.step("gridsInBbox() returns grids whose extent intersects the box", async () => {
          const hit = await repo.gridsInBbox([19, -21, 25, -15]);
          assert.deepEqual(hit.map((g) => g.id), [ids.grid.id]);
          assert.deepEqual(hit[0].bbox, [10, -30, 20, -20]);
          assert.deepEqual(await repo.gridsInBbox([21, -19, 25, -15]), []);
          assert.deepEqual(
            await repo.gridsInBbox([19, -21, 25, -15], { modality: "magnetic" }),
            [],
          );
          await assert.rejects(() => repo.gridsInBbox([20, 0, 10, 1]), RangeError);
        });

        await t.step(
          "anomaliesInBbox() filters by box and confidence, orders, and pages",
          async () => {
            const box = [12, -28, 17, -23] as const;
            const expected = anomalies(500, 42).filter((a) =>
              a.lon >= 12 && a.lon <= 17 && a.lat >= -28 && a.lat <= -23 && a.confidence >= 0.3
            ).sort((a, b) => b.confidence - a.confidence);
            assert.ok(expected.length > 40, `fixture too small: ${expected.length}`);
            const seen: number[] = [];
            let after;
            let pages = 0;
            do {
              const page = await repo.anomaliesInBbox(box, {
                minConfidence: 0.3,
                limit: 17,
                after,
              });
              seen.push(...page.items.map((a) => a.confidence));
              after = page.next;
              pages++;
            } while (after);
            assert.equal(pages, Math.ceil(expected.length / 17));
            assert.deepEqual(seen, expected.map((a) => a.confidence));
            const neg = await repo.anomaliesInBbox(box, { anomalyType: "negative", limit: 1000 });
            assert.ok(neg.items.length > 0 && neg.items.every((a) => a.type === "negative"));
            await assert.rejects(() => repo.anomaliesInBbox(box, { limit: 0 }), RangeError);
          },
        );

        await t.step(
          "surveyLineage() gathers survey, grids, models, anomalies, manifests",
          async () => {
            const lin = await repo.surveyLineage(ids.survey.id, { maxAnomalies: 10 });
            assert.ok(lin);
            assert.equal(lin.survey.id, ids.survey.id);
            assert.deepEqual(lin.grids.map((g) => g.id), [ids.grid.id]);
            assert.deepEqual(lin.models.map((m) => m.id), [ids.model.id]);
            assert.equal(lin.anomalies.length, 10);
            assert.equal(lin.anomalyCount, 500);
            const conf = lin.anomalies.map((a) => a.confidence);
            assert.deepEqual(conf, [...conf].sort((a, b) => b - a));
            assert.deepEqual(lin.manifests.map((m) => m.kind).sort(), ["grid", "raw"]);
            assert.equal(await repo.surveyLineage(123_456_789), undefined);
          },
        );

        await t.step(
          "confidence out of range is rejected by the database, nothing inserted",
          async () => {
            const rows = anomalies(3, 7);
            rows[2] = { ...rows[2], confidence: 1.5 };
            const err = await expectPersistenceError(
              repo.insertAnomalies(ids.model.id, rows),
              "anomalies",
              "anomalies_confidence_range",
            );
            assert.match(err.message, /confidence must be a number in \[0, 1\]/);
            assert.equal(err.code, "23514");
            const [{ c }] = await db.sql.query<{ c: unknown }>(
              "SELECT count(*) AS c FROM anomalies",
            );
            assert.equal(Number(c), 501);
            await assert.rejects(
              () => repo.insertAnomalies(ids.model.id, [{ ...rows[0], confidence: NaN }]),
              /anomalies\[0\]\.confidence must be a finite number, got NaN/,
            );
            await expectPersistenceError(
              repo.insertAnomalies(ids.model.id, [{ ...rows[0], depth: -5 }]),
              "anomalies",
              "anomalies_depth_nonneg",
            );
          },
        );

        await t.step(
          "invalid geometry is rejected by the CHECK (ST_IsValid) constraints",
          async () => {
            // A self-intersecting "bow tie" polygon.
            const bowTie = "SRID=4326;POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))";
            await expectPersistenceError(
              db.sql.query("INSERT INTO surveys (modality, bbox) VALUES ($1, $2::geometry)", [
                "gravity",
                bowTie,
              ]),
              "surveys",
              "surveys_bbox_valid",
            );
            await expectPersistenceError(
              db.sql.query(
                `INSERT INTO grids (survey_id, grid_version, resolution_deg, storage_uri, grid_bbox)
               VALUES ($1, 'bad', 0.1, 'x', $2::geometry)`,
                [ids.survey.id, bowTie],
              ),
              "grids",
              "grids_grid_bbox_valid",
            );
            await expectPersistenceError(
              db.sql.query(
                `INSERT INTO anomalies (model_id, geom, confidence, anomaly_type)
               VALUES ($1, ST_SetSRID(ST_MakePoint('NaN'::float8, 0, 0), 4326), 0.5, 'positive')`,
                [ids.model.id],
              ),
              "anomalies",
              "anomalies_geom_valid",
            );
          },
        );

        await t.step("other constraints are reported with table and constraint names", async () => {
          await expectPersistenceError(
            repo.insertGrid({
              surveyId: ids.survey.id,
              gridVersion: "1.0.0",
              resolutionDeg: 0.01,
              storageUri: "x",
              bbox: [10, -30, 20, -20],
            }),
            "grids",
            "grids_survey_version_unique",
          );
          await expectPersistenceError(
            repo.insertGrid({
              surveyId: 987_654,
              gridVersion: "1",
              resolutionDeg: 0.01,
              storageUri: "x",
              bbox: [10, -30, 20, -20],
            }),
            "grids",
            "grids_survey_id_fkey",
          );
          await expectPersistenceError(
            repo.upsertManifest({
              kind: "raw",
              cacheKey: "k",
              modality: "gravity",
              source: "s",
              checksumSha256: "NOT-HEX",
              sizeBytes: 1,
              retrievedAt: new Date(),
              cachePath: "/c",
            }),
            "manifests",
            "manifests_checksum_format",
          );
          await expectPersistenceError(
            db.sql.query("UPDATE runs SET status = 'exploded' WHERE id = 'run-a'"),
            "runs",
            "runs_status_check",
          );
        });

        await t.step("a run can be marked interrupted", async () => {
          await repo.createRun({ id: "run-int" });
          assert.equal((await repo.getRun("run-int"))?.status, "running");
          const r = await repo.finishRun("run-int", "interrupted");
          assert.equal(r.status, "interrupted");
          await assert.rejects(() => repo.finishRun("no-such-run", "failed"), RangeError);
        });

        await t.step(
          "ON DELETE: a survey takes its grids, models, anomalies; manifests set null",
          async () => {
            const other = await loadRun(repo, "run-b");
            const count = async (table: string) =>
              Number(
                (await db.sql.query<{ c: unknown }>(`SELECT count(*) AS c FROM ${table}`))[0].c,
              );
            const before = await count("anomalies");
            await db.sql.query("DELETE FROM manifests WHERE id = $1", [other.manifest.id]);
            assert.equal((await repo.getSurvey(other.survey.id))?.sourceManifestId, null);
            await db.sql.query("DELETE FROM surveys WHERE id = $1", [other.survey.id]);
            assert.equal(await repo.getGrid(other.grid.id), undefined);
            assert.equal(await repo.getModel(other.model.id), undefined);
            assert.equal(await count("anomalies"), before - 500);
            await db.sql.query("DELETE FROM runs WHERE id = 'run-b'");
            assert.deepEqual(await repo.listMetadata("run-b"), []);
          },
        );

        await t.step(
          "100,000 anomalies load in batches; the bbox query uses the GiST index",
          async () => {
            const m = await repo.insertModel({ gridId: ids.grid.id, modelType: "bulk" });
            const t0 = performance.now();
            const inserted = await repo.insertAnomalies(m.id, anomalies(100_000, 7, -10, -10));
            const ms = performance.now() - t0;
            console.log(`  [${engine}] inserted 100,000 anomalies in ${(ms / 1000).toFixed(2)} s`);
            assert.equal(inserted, 100_000);
            const page = await repo.anomaliesInBbox([-5, -5, -4.5, -4.5], {
              minConfidence: 0.5,
              limit: 20,
            });
            assert.equal(page.items.length, 20);
            // Fresh statistics first: without them the plan depends on whether autovacuum's
            // ANALYZE has run yet on the 100,000 new rows, which is a matter of timing.
            await db.sql.exec("ANALYZE anomalies");
            const plan = (await db.sql.query<Record<string, string>>(
              `EXPLAIN ${anomaliesInBboxSql()} LIMIT 20`,
              [-5, -5, -4.5, -4.5, 0.5, null, null, null],
            )).map((r) => Object.values(r)[0]).join("\n");
            if (engine === "postgres") {
              assert.match(
                plan,
                /anomalies_geom_gist/,
                `plan does not use the GiST index:\n${plan}`,
              );
            } else {
              console.log(`  [pglite] plan uses GiST: ${/anomalies_geom_gist/.test(plan)}`);
            }
          },
        );

        await t.step(
          "backup, drop everything, restore: same rows and content checksums",
          async () => {
            const before = await contentChecksums(db.sql);
            assert.equal(Object.keys(before).length, 8);
            assert.ok(before.anomalies.rows > 100_000);
            const dir = await Deno.makeTempDir({ prefix: "gam_backup_test_" });
            try {
              const file = `${dir}/gam.backup`;
              const info = await db.backup(file);
              assert.ok(info.bytes > 0);
              assert.equal(info.rows.anomalies, before.anomalies.rows);
              await db.sql.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
              assert.deepEqual(await contentChecksums(db.sql), {});
              await db.restore(file);
              assert.deepEqual(await contentChecksums(db.sql), before);
              // Still a working database: the repository and migrations see the restored state.
              assert.equal((await db.migrationStatus()).pending.length, 0);
              assert.equal((await repo.getRun("run-a"))?.status, "succeeded");
            } finally {
              await Deno.remove(dir, { recursive: true });
            }
          },
        );
      } finally {
        await cleanup();
      }
    },
  });
}

suite("pglite");
suite("postgres");
