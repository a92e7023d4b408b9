-- 0003: run leases (issue 14). A run records which process owns it (host name, pid, the
-- process's start time and the kernel instance it runs on) and renews a heartbeat while it
-- works, so that a run whose process died (SIGKILL, out of memory, power loss) is found at the
-- next start and marked 'interrupted' instead of staying 'running' forever.
-- Expand-only: nullable columns and an index; rows written before this migration keep NULLs.

ALTER TABLE runs
  ADD COLUMN owner_host          text,
  ADD COLUMN owner_pid           integer,
  -- Process start time as the kernel counts it (Linux: field 22 of /proc/<pid>/stat, clock
  -- ticks since boot); with owner_pid it identifies the process even after the pid is reused.
  ADD COLUMN owner_process_start text,
  -- The kernel instance: boot id and pid namespace (Linux), so that pids are compared only
  -- where they mean the same process.
  ADD COLUMN owner_instance      text,
  ADD COLUMN heartbeat_at        timestamptz,
  -- Why the run ended as it did, when something other than its own process ended it.
  ADD COLUMN status_detail       text;

CREATE INDEX runs_running_idx ON runs (started_at) WHERE status = 'running';
