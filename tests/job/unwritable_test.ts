/**
 * A failed disk write is reported with the system's message: `gam run` on a terminal (a real
 * pseudo-terminal from `script`) with a cache folder it cannot write.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { gamCommandLine, migrateServerDatabase, ROOT } from "../_gam_cli.ts";

await migrateServerDatabase();

Deno.test({
  name: "gam run on a terminal shows why a cache write failed, not [object Object]",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gam-unwritable-" });
    try {
      const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as Record<
        string,
        // deno-lint-ignore no-explicit-any
        any
      >;
      c.defaults.bbox = [10.0, 45.0, 10.4, 45.4];
      c.defaults.outputDir = `${dir}/out`;
      c.defaults.cacheDir = `${dir}/cache`;
      c.modalities.magnetic.enabled = false;
      await Deno.writeTextFile(`${dir}/c.yaml`, stringify(c));
      // A regular file where the grid cache's folder should be: unwritable even for root.
      await Deno.mkdir(`${dir}/cache`);
      await Deno.writeTextFile(`${dir}/cache/preprocessing`, "");
      const command = gamCommandLine(["run", "--config", `${dir}/c.yaml`])
        .map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
      const out = await new Deno.Command("script", {
        args: ["-qec", command, "/dev/null"],
        cwd: ROOT,
        env: { NO_COLOR: "1", CI: "" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, text);
      assert.match(
        text,
        /warn \[gravity\]: could not cache a processed grid: Not a directory \(os error 20\): mkdir '[^']*cache\/preprocessing\/gravity/,
      );
      assert.equal(text.includes("[object"), false, text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
