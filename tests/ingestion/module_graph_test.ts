/**
 * Vetting plugin module graphs (`deno info`, nothing executed), the package-folder rule, the
 * built-in plugins' SDK rule, the graph hash, and the child's permission flags.
 */
import assert from "node:assert/strict";
import {
  BUILTIN_PLUGINS,
  childPermissionFlags,
  netFlagHosts,
  PluginLoadError,
  resolvePluginModule,
} from "../../src/ingestion/mod.ts";
import { checkSourceUrl } from "../../src/ingestion/mod.ts";
import { packageFolderOf, vetModuleGraph } from "../../src/ingestion/mod.ts";
import { pluginSource } from "./_attack.ts";

Deno.test("every built-in plugin's graph stays inside src/plugins and the plugin SDK", async () => {
  for (const id of BUILTIN_PLUGINS) {
    const g = await vetModuleGraph(resolvePluginModule(id), { plugin: id, builtin: true });
    assert.match(g.graphHash, /^sha256:[0-9a-f]{64}$/, id);
    assert.ok(g.importMap?.endsWith("/deno.json"), id);
    assert.ok(g.moduleCount > 1, id);
    // npm packages of the project's own import map (synthetic needs none at run time).
    assert.ok(g.remoteHosts.every((h) => h === "registry.npmjs.org"), id);
  }
  const a = await vetModuleGraph(resolvePluginModule("synthetic"), {
    plugin: "synthetic",
    builtin: true,
  });
  const b = await vetModuleGraph(resolvePluginModule("synthetic"), {
    plugin: "synthetic",
    builtin: true,
  });
  assert.equal(a.graphHash, b.graphHash, "the hash is stable");
});

Deno.test("a module claiming to be built in is held to the SDK: a file outside it is refused", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-graph-" }));
  try {
    await Deno.writeTextFile(`${dir}/mod.ts`, pluginSource("x", {}));
    await assert.rejects(
      vetModuleGraph(`file://${dir}/mod.ts`, { plugin: "x", builtin: true }),
      (e: Error) =>
        e instanceof PluginLoadError &&
        /reaches .*mod.ts, outside the plugin's package/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the package folder is the nearest deno.json/package.json folder (not the GAM project), else the module's own", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-graph-" }));
  try {
    await Deno.mkdir(`${dir}/pkg/src/util`, { recursive: true });
    await Deno.mkdir(`${dir}/other`);
    await Deno.writeTextFile(
      `${dir}/pkg/deno.json`,
      JSON.stringify({ imports: { "#util/": "./src/util/" } }),
    );
    await Deno.writeTextFile(`${dir}/pkg/src/util/x.ts`, "export const x = 1;\n");
    await Deno.writeTextFile(`${dir}/other/y.ts`, "export const y = 2;\n");
    await Deno.writeTextFile(
      `${dir}/pkg/src/mod.ts`,
      pluginSource("pkg", { prelude: 'import { x } from "#util/x.ts";\n', fetch: "void x;" }),
    );
    assert.deepEqual(packageFolderOf(`${dir}/pkg/src/mod.ts`), {
      folder: `${dir}/pkg/`,
      config: `${dir}/pkg/deno.json`,
    });
    assert.deepEqual(packageFolderOf(`${dir}/other/y.ts`), { folder: `${dir}/other/` });
    // Never the user's home (nor a folder above the project or the working folder).
    const home = Deno.env.get("HOME");
    Deno.env.set("HOME", `${dir}/home`);
    try {
      await Deno.mkdir(`${dir}/home/plugins`, { recursive: true });
      await Deno.writeTextFile(`${dir}/home/package.json`, "{}");
      assert.deepEqual(packageFolderOf(`${dir}/home/plugins/p.ts`), {
        folder: `${dir}/home/plugins/`,
      });
      assert.throws(
        () => packageFolderOf(`${dir}/home/p.ts`),
        /put the plugin in a folder of its own/,
      );
    } finally {
      if (home === undefined) Deno.env.delete("HOME");
      else Deno.env.set("HOME", home);
    }
    assert.throws(() => packageFolderOf(`${Deno.cwd()}/p.ts`), /lies directly in/);
    const here = new URL("../../examples/plugins/constant_field.ts", import.meta.url).pathname;
    assert.equal(packageFolderOf(here).folder, here.replace(/constant_field\.ts$/, ""));

    const ok = await vetModuleGraph(`file://${dir}/pkg/src/mod.ts`, {
      plugin: "pkg",
      builtin: false,
    });
    assert.equal(ok.packageRoots[0], `${dir}/pkg/`);
    assert.ok(ok.packageRoots.slice(1).every((r) => /src\/ingestion\/\w+\.ts$/.test(r)));
    const before = ok.graphHash;
    // The hash follows the sources: one changed byte in a dependency changes it.
    await Deno.writeTextFile(`${dir}/pkg/src/util/x.ts`, "export const x = 3;\n");
    const after = await vetModuleGraph(`file://${dir}/pkg/src/mod.ts`, {
      plugin: "pkg",
      builtin: false,
    });
    assert.notEqual(after.graphHash, before);

    await Deno.writeTextFile(
      `${dir}/pkg/src/mod.ts`,
      pluginSource("pkg", { prelude: `import { y } from "../../other/y.ts";\n`, fetch: "void y;" }),
    );
    await assert.rejects(
      vetModuleGraph(`file://${dir}/pkg/src/mod.ts`, { plugin: "pkg", builtin: false }),
      new RegExp(
        `import "../../other/y.ts" in ${dir}/pkg/src/mod.ts:1:\\d+ reaches ${dir}/other/y.ts`,
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an npm dependency needs its registry in the import grant; type-only imports are not vetted", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-graph-" }));
  try {
    const api = new URL("../../src/ingestion/plugin_api.ts", import.meta.url).href;
    await Deno.writeTextFile(
      `${dir}/mod.ts`,
      pluginSource("n", {
        prelude: `import type { PluginManifest } from ${JSON.stringify(api)};\n` +
          `import { z } from "npm:zod@4.6.7";\n`,
        fetch: "void z;",
      }),
    );
    await assert.rejects(
      vetModuleGraph(`file://${dir}/mod.ts`, { plugin: "n", builtin: false }),
      /npm package zod@4.6.7 from registry.npmjs.org, which is not in its import grant/,
    );
    const g = await vetModuleGraph(`file://${dir}/mod.ts`, {
      plugin: "n",
      builtin: false,
      importHosts: ["registry.npmjs.org"],
    });
    assert.deepEqual(g.remoteHosts, ["registry.npmjs.org"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("plain http is enforced by not granting: bare hosts get port 443 unless allowInsecureHttp lists them", () => {
  assert.deepEqual(
    netFlagHosts(["icgem.gfz-potsdam.de", "10.0.0.5", "10.0.0.6:8080"], ["10.0.0.5:9000"]),
    ["icgem.gfz-potsdam.de:443", "10.0.0.5", "10.0.0.6:8080"],
  );
  // The decision function of the fetch helper and of the child's global fetch.
  assert.throws(() => checkSourceUrl("http://10.0.0.6:8080/x", []), /sources must use https/);
  assert.throws(() => checkSourceUrl("http://10.0.0.6:8080/x", ["10.0.0.7"]), /must use https/);
  assert.equal(checkSourceUrl("http://10.0.0.6:8080/x", ["10.0.0.6"]).host, "10.0.0.6:8080");
  assert.equal(checkSourceUrl("https://10.0.0.6/x", []).protocol, "https:");
});

Deno.test("the child's flags are exactly the grant: never -A, no flag for an empty list, imports denied by default", () => {
  const none = { net: [], read: [], env: [], run: [], ffi: [], sys: [], import: [] };
  assert.deepEqual(childPermissionFlags(none, { scratchDir: "/s" }), [
    "--allow-read=/s",
    "--allow-write=/s",
    "--deny-import",
  ]);
  const some = childPermissionFlags(
    { ...none, net: ["a.org"], read: ["/d"], env: ["K"], import: ["deno.land"] },
    { scratchDir: "/s" },
  );
  assert.deepEqual(some, [
    "--allow-read=/d,/s",
    "--allow-write=/s",
    "--allow-net=a.org:443",
    "--allow-env=K",
    "--allow-import=deno.land",
  ]);
  for (const f of some) assert.match(f, /^--(allow|deny)-[a-z]+=./);
  assert.throws(
    () => childPermissionFlags({ ...none, read: ["/a,/etc"] }, { scratchDir: "/s" }),
    /may not be empty or contain a comma/,
  );
});
