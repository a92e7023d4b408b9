-- 0005: survey inputs (issue 20). A survey records the coordinate reference system its
-- coordinates were delivered in (before they were transformed to EPSG:4326), and its flight
-- lines: the line dictionary of the data (names as delivered, `L1010`, `T100`, `FL1-1`), each
-- line's kind where the format or the configuration says (traverse or tie line) and its number
-- of readings. Expand-only: a nullable column and a new table; older surveys have neither.

ALTER TABLE surveys
  ADD COLUMN source_crs text
    CONSTRAINT surveys_source_crs_format CHECK (source_crs IS NULL OR source_crs ~ '^EPSG:[0-9]+$');

CREATE TABLE survey_lines (
  survey_id bigint NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
  -- The code of the line in the survey's data (`points.line`), 0-based.
  code      integer NOT NULL CONSTRAINT survey_lines_code_nonneg CHECK (code >= 0),
  name      text NOT NULL CONSTRAINT survey_lines_name_nonempty CHECK (name <> ''),
  kind      text CONSTRAINT survey_lines_kind_check CHECK (kind IN ('line', 'tie')),
  readings  bigint NOT NULL CONSTRAINT survey_lines_readings_nonneg CHECK (readings >= 0),
  PRIMARY KEY (survey_id, code),
  CONSTRAINT survey_lines_name_unique UNIQUE (survey_id, name)
);
