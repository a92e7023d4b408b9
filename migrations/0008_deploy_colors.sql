-- 0008: blue/green deployments (issue 18). Each color (a whole deployment: its processes, its
-- configuration, its output and cache folders) is recorded with the result of its last canary
-- comparison, and one row names the color whose `gam serve` fires the schedules. Both live in
-- the database that every color shares, so the owner survives restarts and every process of
-- every color reads the same answer. Expand-only: two new tables.

CREATE TABLE deploy_colors (
  color        text PRIMARY KEY CHECK (color IN ('blue', 'green')),
  config_path  text NOT NULL,
  profile      text,
  config_hash  text NOT NULL,
  output_dir   text NOT NULL,
  cache_dir    text NOT NULL,
  deployed_at  timestamptz NOT NULL DEFAULT now(),
  -- The last canary comparison of this color against the schedule owner: passed, the color it
  -- was compared with, when, and the per-bbox, per-grid report. NULL: never compared.
  canary       jsonb
);

CREATE TABLE deploy_schedule_owner (
  singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  color          text NOT NULL CHECK (color IN ('blue', 'green')),
  previous_color text CHECK (previous_color IN ('blue', 'green')),
  changed_at     timestamptz NOT NULL DEFAULT now()
);
