-- 0004: queued runs (issue 16). A run executed as tiled jobs on the job queue (pg-boss, in its
-- own schema) is marked execution = 'queue': its liveness is the queue's (a job whose worker
-- died expires and is retried), so the process-lease reconciliation of local runs skips it.
-- queue_settled records, once per run, modality, step and key, how each tile, mosaic and
-- persist step ended: the fan-in that sends the next step counts these rows under a lock on
-- the run's row. Surveys are unique per run and modality, so a retried persist job cannot
-- store a second copy.
-- Expand-only: a defaulted column, a new table, a partial unique index.

ALTER TABLE runs
  ADD COLUMN execution text NOT NULL DEFAULT 'local'
    CONSTRAINT runs_execution_check CHECK (execution IN ('local', 'queue'));

CREATE TABLE queue_settled (
  run_id     text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  modality   text NOT NULL CONSTRAINT queue_settled_modality_nonempty CHECK (modality <> ''),
  step       text NOT NULL CONSTRAINT queue_settled_step_check
             CHECK (step IN ('tile', 'mosaic', 'persist')),
  key        text NOT NULL,
  outcome    text NOT NULL CONSTRAINT queue_settled_outcome_check
             CHECK (outcome IN ('ok', 'dead', 'cancelled')),
  detail     jsonb,
  settled_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, modality, step, key)
);

CREATE UNIQUE INDEX surveys_run_modality_key ON surveys (run_id, modality)
  WHERE run_id IS NOT NULL;
