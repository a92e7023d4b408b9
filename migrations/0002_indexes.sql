-- 0002: indexes. GiST on every geometry, btree on modality and created_at, foreign-key lookups,
-- and a partial index for the common anomaly types ('positive', 'negative'), ordered for
-- "top anomalies of a type" queries.

CREATE INDEX surveys_bbox_gist ON surveys USING gist (bbox);
CREATE INDEX grids_grid_bbox_gist ON grids USING gist (grid_bbox);
CREATE INDEX anomalies_geom_gist ON anomalies USING gist (geom);

CREATE INDEX surveys_modality_idx ON surveys (modality);
CREATE INDEX manifests_modality_idx ON manifests (modality);
CREATE INDEX surveys_created_at_idx ON surveys (created_at);
CREATE INDEX grids_created_at_idx ON grids (created_at);
CREATE INDEX models_created_at_idx ON models (created_at);
CREATE INDEX anomalies_created_at_idx ON anomalies (created_at);
CREATE INDEX manifests_created_at_idx ON manifests (created_at);
CREATE INDEX metadata_created_at_idx ON metadata (created_at);
CREATE INDEX runs_started_at_idx ON runs (started_at);

CREATE INDEX surveys_run_id_idx ON surveys (run_id);
CREATE INDEX surveys_source_manifest_id_idx ON surveys (source_manifest_id);
CREATE INDEX grids_manifest_id_idx ON grids (manifest_id);
CREATE INDEX models_grid_id_idx ON models (grid_id);
CREATE INDEX anomalies_model_id_idx ON anomalies (model_id);
CREATE INDEX manifests_run_id_idx ON manifests (run_id);
CREATE INDEX metadata_run_id_key_idx ON metadata (run_id, key);

CREATE INDEX anomalies_common_type_idx ON anomalies (anomaly_type, confidence DESC)
  WHERE anomaly_type IN ('positive', 'negative');
