/**
 * Test support (not part of the public surface): decide whether the server suite runs, and give
 * each test file its own scratch database on the server.
 *
 * @module
 */
import postgres from "postgres";

/** The server URL the suite uses (`DATABASE_URL`), if any. */
export const SERVER_URL: string | undefined = Deno.env.get("DATABASE_URL") || undefined;
/** True in CI: an unreachable server is then a failure, not a skip. */
export const IN_CI: boolean = Boolean(Deno.env.get("CI"));

async function reachable(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/**
 * Whether to skip the server-engine tests of `file`: only when no server is reachable and `CI`
 * is not set; a message says so. In CI the tests run (and fail when the server is missing).
 */
export async function skipServer(file: string): Promise<boolean> {
  if (IN_CI) return false;
  if (SERVER_URL && await reachable(SERVER_URL)) return false;
  console.log(
    `%cSKIP%c server-engine tests of ${file}: ${
      SERVER_URL ? "DATABASE_URL is not reachable" : "DATABASE_URL is not set"
    } (start one with: eval "$(scripts/pg_cluster.sh start)"; in CI this is a failure)`,
    "color: yellow",
    "",
  );
  return true;
}

/**
 * Creates an empty scratch database next to `DATABASE_URL`'s and returns its URL and a function
 * that drops it. Each test file works in its own database, so files can run concurrently.
 */
export async function scratchDatabase(
  prefix: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!SERVER_URL) throw new Error("DATABASE_URL is not set (needed for server-engine tests)");
  const name = `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = postgres(SERVER_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end({ timeout: 1 });
  }
  const u = new URL(SERVER_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const a = postgres(SERVER_URL, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end({ timeout: 1 });
      }
    },
  };
}
