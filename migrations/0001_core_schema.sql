-- 0001: core schema for GAM persistence (issue 8).
-- Geometries are EPSG:4326 (lon/lat degrees). Every geometry column has CHECK (ST_IsValid(...)).
-- Foreign keys state their ON DELETE behaviour explicitly:
--   runs      <- surveys.run_id, manifests.run_id        ON DELETE SET NULL (data outlives its run record)
--   runs      <- metadata.run_id                         ON DELETE CASCADE  (metadata belongs to its run)
--   manifests <- surveys/grids.*manifest_id              ON DELETE SET NULL (provenance link only)
--   surveys   <- grids <- models <- anomalies            ON DELETE CASCADE  (derived data goes with its source)

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE runs (
  id          text PRIMARY KEY CHECK (id <> ''),
  status      text NOT NULL DEFAULT 'running'
              CONSTRAINT runs_status_check
              CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'interrupted')),
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  config_hash text,
  CONSTRAINT runs_finished_matches_status CHECK ((status = 'running') = (finished_at IS NULL)),
  CONSTRAINT runs_finished_after_started CHECK (finished_at IS NULL OR finished_at >= started_at)
);

-- Cache manifest records (issue 6): one per fetched RawData or processed grid.
CREATE TABLE manifests (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind            text NOT NULL CONSTRAINT manifests_kind_check CHECK (kind IN ('raw', 'grid')),
  cache_key       text NOT NULL CHECK (cache_key <> ''),
  modality        text NOT NULL CHECK (modality <> ''),
  source          text NOT NULL,
  plugin_id       text,
  plugin_version  text,
  checksum_sha256 text NOT NULL
                  CONSTRAINT manifests_checksum_format CHECK (checksum_sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes      bigint NOT NULL CONSTRAINT manifests_size_nonneg CHECK (size_bytes >= 0),
  licence         text,
  citation        text,
  retrieved_at    timestamptz NOT NULL,
  expires_at      timestamptz,
  pinned          boolean NOT NULL DEFAULT false,
  cache_path      text NOT NULL,
  extra           jsonb NOT NULL DEFAULT '{}'::jsonb,
  run_id          text REFERENCES runs (id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT manifests_entry_unique UNIQUE (kind, cache_key, checksum_sha256)
);

CREATE TABLE surveys (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id             text REFERENCES runs (id) ON DELETE SET NULL,
  modality           text NOT NULL CONSTRAINT surveys_modality_nonempty CHECK (modality <> ''),
  bbox               geometry(Polygon, 4326) NOT NULL
                     CONSTRAINT surveys_bbox_valid CHECK (ST_IsValid(bbox)),
  source_manifest_id bigint REFERENCES manifests (id) ON DELETE SET NULL,
  acquisition        tstzrange,
  ingest_status      text NOT NULL DEFAULT 'pending'
                     CONSTRAINT surveys_ingest_status_check
                     CHECK (ingest_status IN ('pending', 'ingesting', 'ingested', 'failed')),
  created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE grids (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  survey_id      bigint NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
  grid_version   text NOT NULL CHECK (grid_version <> ''),
  resolution_deg double precision NOT NULL
                 CONSTRAINT grids_resolution_positive CHECK (resolution_deg > 0 AND resolution_deg <> 'Infinity'),
  storage_uri    text NOT NULL,
  stats          jsonb NOT NULL DEFAULT '{}'::jsonb,
  grid_bbox      geometry(Polygon, 4326) NOT NULL
                 CONSTRAINT grids_grid_bbox_valid CHECK (ST_IsValid(grid_bbox)),
  manifest_id    bigint REFERENCES manifests (id) ON DELETE SET NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT grids_survey_version_unique UNIQUE (survey_id, grid_version)
);

CREATE TABLE models (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  grid_id     bigint NOT NULL REFERENCES grids (id) ON DELETE CASCADE,
  model_type  text NOT NULL CHECK (model_type <> ''),
  mesh_config jsonb NOT NULL DEFAULT '{}'::jsonb,
  storage_uri text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- geom: lon, lat in degrees; Z = depth in metres below the surface (>= 0), as in the Anomaly contract.
CREATE TABLE anomalies (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model_id     bigint NOT NULL REFERENCES models (id) ON DELETE CASCADE,
  geom         geometry(PointZ, 4326) NOT NULL
               CONSTRAINT anomalies_geom_valid CHECK (ST_IsValid(geom)),
  confidence   double precision NOT NULL
               CONSTRAINT anomalies_confidence_range CHECK (confidence >= 0 AND confidence <= 1),
  anomaly_type text NOT NULL CHECK (anomaly_type <> ''),
  attributes   jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT anomalies_depth_nonneg CHECK (ST_Z(geom) >= 0)
);

-- Stage timings and provenance per run.
CREATE TABLE metadata (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id     text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key        text NOT NULL CHECK (key <> ''),
  value      jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
