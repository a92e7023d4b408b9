/**
 * Test fixtures of the config tests: a minimal valid configuration whose line numbers the
 * tests rely on, and temp-folder helpers. Not part of the public surface.
 *
 * @module
 */

/**
 * A minimal valid base configuration, one array entry per line (line N is `BASE[N - 1]`).
 * Tests replace lines by number and assert issues at those lines.
 */
export const BASE: readonly string[] = [
  /* 1 */ "version: 1",
  /* 2 */ "defaults:",
  /* 3 */ "  bbox: [10, 45, 11, 46]",
  /* 4 */ "  workers: 2",
  /* 5 */ "modalities:",
  /* 6 */ "  gravity:",
  /* 7 */ "    units: mGal",
  /* 8 */ "    source:",
  /* 9 */ "      plugin: synthetic",
  /* 10 */ "    retry:",
  /* 11 */ "      maxAttempts: 3",
  /* 12 */ "    pipeline:",
  /* 13 */ "      version: 1.0.0",
  /* 14 */ "      definition: grid(spacing=0.1) -> qc",
  /* 15 */ "  magnetic:",
  /* 16 */ "    units: nT",
  /* 17 */ "    source:",
  /* 18 */ "      plugin: synthetic",
  /* 19 */ "    pipeline:",
  /* 20 */ "      version: 1.0.0",
  /* 21 */ "      definition: grid(spacing=0.1) -> qc",
];

/** `BASE` with the given 1-based lines replaced, as file text. */
export function withLines(changes: Record<number, string> = {}, base = BASE): string {
  return base.map((line, i) => changes[i + 1] ?? line).join("\n") + "\n";
}

/** A fresh temp folder holding `ingestion.yaml` (and `profiles/`), removed by the returned dispose. */
export async function tempConfig(
  text: string,
  profiles: Record<string, string> = {},
): Promise<{ dir: string; path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "gam_config_test_" });
  const path = `${dir}/ingestion.yaml`;
  await Deno.writeTextFile(path, text);
  if (Object.keys(profiles).length > 0) {
    await Deno.mkdir(`${dir}/profiles`);
    for (const [name, body] of Object.entries(profiles)) {
      await Deno.writeTextFile(`${dir}/profiles/${name}.yaml`, body);
    }
  }
  return {
    dir,
    path,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}
