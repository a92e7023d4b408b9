/**
 * `report.html` in a real browser: a real `gam run` (child process, synthetic gravity and
 * magnetic over a small box) writes the report, headless Chromium (Debian `chromium`) opens
 * it from disk, and the test checks that every `<img>` and SVG `<image>` loaded and decoded,
 * that nothing but the page itself and `data:` URLs was requested (every other request is
 * intercepted and aborted; Content-Security-Policy violations count as requests), and saves a
 * full-page screenshot to `out/artifacts/report.png` for CI.
 *
 * Without Chromium the test is skipped with a message, except in CI (`CI` set), where it fails.
 * `GAM_CHROMIUM` overrides the browser path (default `/usr/bin/chromium`).
 */
import assert from "node:assert/strict";
import { decode } from "fast-png";
import { type BrowserContext, chromium } from "playwright-core";
import { parse, stringify } from "yaml";
import { exists, gam, migrateServerDatabase, ROOT } from "../_gam_cli.ts";

await migrateServerDatabase();

const CHROMIUM = Deno.env.get("GAM_CHROMIUM") ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = await exists(CHROMIUM);
const IN_CI = Boolean(Deno.env.get("CI"));
const SCREENSHOT = `${ROOT}out/artifacts/report.png`;

if (!HAVE_CHROMIUM && !IN_CI) {
  console.log(
    `report_browser_test: skipped, ${CHROMIUM} is not installed (apt-get install chromium)`,
  );
}

/** What a page did while loading. */
interface PageCheck {
  /** URLs requested other than the page itself and `data:` URLs (all were aborted). */
  requests: string[];
  /** Content-Security-Policy violations: `blocked URI (directive)`. */
  violations: string[];
  /** Every `<img>` and SVG `<image>`: whether it loaded and decoded, and its pixel size. */
  images: { kind: string; src: string; ok: boolean; width: number; height: number }[];
  /** Rendered size of each map image (the first `<image>` of a map SVG), CSS pixels. */
  maps: { width: number; height: number }[];
  /** Console errors and uncaught page errors. */
  errors: string[];
}

/** Records load/error events (of HTML elements) and CSP violations before the page runs. */
const INIT_SCRIPT = `(() => {
  const loaded = new WeakSet(), failed = new WeakSet(), violations = [];
  document.addEventListener("load", (e) => loaded.add(e.target), true);
  document.addEventListener("error", (e) => failed.add(e.target), true);
  document.addEventListener("securitypolicyviolation",
    (e) => violations.push(e.blockedURI + " (" + e.violatedDirective + ")"));
  Object.defineProperty(window, "__gamCheck", { value: { loaded, failed, violations } });
})();`;

/** Runs in the page after load: the state of every image. */
const INSPECT = `(async () => {
  const g = window.__gamCheck;
  const imgs = [...document.images].map((i) => ({
    kind: "img",
    src: i.currentSrc.slice(0, 48),
    ok: i.complete && i.naturalWidth > 0 && g.loaded.has(i) && !g.failed.has(i),
    width: i.naturalWidth,
    height: i.naturalHeight,
  }));
  const svg = await Promise.all([...document.querySelectorAll("svg image")].map(async (el) => {
    const href = el.getAttribute("href") ?? el.getAttribute("xlink:href") ?? "";
    // Chromium fires no load event an observer can catch for SVG <image>, but the element
    // itself can be decoded: decode() rejects when its image did not load.
    const decoded = await el.decode().then(() => true, () => false);
    const probe = new Image();
    probe.src = href;
    let width = 0, height = 0;
    try {
      await probe.decode();
      width = probe.naturalWidth;
      height = probe.naturalHeight;
    } catch { /* not decodable: width stays 0 */ }
    return {
      kind: "svg image",
      src: href.slice(0, 48),
      ok: decoded && width > 0,
      width,
      height,
    };
  }));
  return {
    images: [...imgs, ...svg],
    violations: g.violations,
    maps: [...document.querySelectorAll('section.grid svg[aria-label$=" map"] image:first-of-type')]
      .map((s) => {
        const r = s.getBoundingClientRect();
        return { width: r.width, height: r.height };
      }),
  };
})()`;

async function launch(profileDir: string): Promise<BrowserContext> {
  return await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
  });
}

/** Opens `file` in a new page of `context`, intercepting every request, and inspects it. */
async function inspectPage(
  context: BrowserContext,
  file: string,
  screenshot?: string,
): Promise<PageCheck> {
  const pageUrl = new URL(`file://${file}`).href;
  const requests: string[] = [];
  const errors: string[] = [];
  const page = await context.newPage();
  try {
    await page.addInitScript(INIT_SCRIPT);
    await page.route("**/*", async (route) => {
      const url = route.request().url();
      if (url === pageUrl || url.startsWith("data:")) return await route.continue();
      requests.push(url);
      await route.abort("blockedbyclient");
    });
    // Also what routing might not see (service workers, prefetches) and web sockets.
    page.on("request", (r) => {
      const url = r.url();
      if (url !== pageUrl && !url.startsWith("data:") && !requests.includes(url)) {
        requests.push(url);
      }
    });
    page.on("websocket", (ws) => requests.push(ws.url()));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(pageUrl, { waitUntil: "networkidle" });
    const found = await page.evaluate(INSPECT) as Omit<PageCheck, "requests" | "errors">;
    if (screenshot) {
      await Deno.mkdir(screenshot.slice(0, screenshot.lastIndexOf("/")), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
    }
    return { ...found, requests, errors };
  } finally {
    await page.close();
  }
}

Deno.test({
  name:
    "report.html of a real run loads every image in Chromium, requests nothing, and is screenshotted",
  ignore: !HAVE_CHROMIUM && !IN_CI,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    if (!HAVE_CHROMIUM) {
      throw new Error(
        `${CHROMIUM} is not installed; CI must install the Debian package "chromium" (.ci/run)`,
      );
    }
    // A real run: the shipped config over a small box, outputs in a temp folder.
    const dir = await Deno.makeTempDir({ prefix: "gam-report-" });
    const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`));
    c.defaults.bbox = [10.0, 45.0, 10.4, 45.4];
    c.defaults.outputDir = `${dir}/out`;
    c.defaults.cacheDir = `${dir}/cache`;
    c.defaults.logLevel = "warn";
    const config = `${dir}/ingestion.yaml`;
    await Deno.writeTextFile(config, stringify(c));
    const run = await gam(["run", "--config", config, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    const grids = summary.modalities.reduce(
      (n: number, m: { grids: unknown[] }) => n + m.grids.length,
      0,
    );
    assert.equal(grids, 4, "gravity and magnetic, fine and coarse");
    const report = `${summary.runDir}/report.html`;

    const context = await launch(await Deno.makeTempDir({ prefix: "gam-chromium-" }));
    try {
      const check = await inspectPage(context, report, SCREENSHOT);
      assert.deepEqual(check.requests, [], "no request but the page itself and data: URLs");
      assert.deepEqual(check.violations, [], "no Content-Security-Policy violation");
      assert.deepEqual(check.errors, [], "no console or page errors");
      // Per grid: the map, the colour bar and the histogram's bars (SVG <image>s).
      assert.equal(check.images.filter((i) => i.kind === "img").length, 0);
      assert.equal(check.images.filter((i) => i.kind === "svg image").length, 3 * grids);
      for (const img of check.images) {
        assert.ok(img.ok && img.width > 0 && img.height > 0, `${img.kind} ${img.src}… loaded`);
        assert.ok(img.src.startsWith("data:image/png;base64,"), `${img.src} is inline`);
      }
      assert.equal(check.maps.length, grids);
      for (const m of check.maps) {
        assert.ok(Math.max(m.width, m.height) >= 480, `a map is drawn ${m.width} x ${m.height}`);
        // A square box in degrees at 45.2°N is drawn cos(45.2°) as wide as high.
        const aspect = m.width / m.height, want = Math.cos((45.2 * Math.PI) / 180);
        assert.ok(Math.abs(aspect - want) < 0.02, `map aspect ${aspect}, expected ${want}`);
      }

      // The screenshot shows colour-mapped maps: many distinct colours, not a blank page.
      const shot = decode(await Deno.readFile(SCREENSHOT));
      assert.equal(shot.width, 1280);
      const colours = new Set<number>();
      const px = shot.data, step = shot.channels;
      for (let i = 0; i < px.length; i += step) {
        colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
      }
      assert.ok(colours.size > 200, `the screenshot has ${colours.size} distinct colours`);

      // The checks can fail: a copy of the report with a network image and a local file
      // reference is caught, with and without the page's Content-Security-Policy.
      const html = await Deno.readTextFile(report);
      const bad = '<img src="http://127.0.0.1:9/probe.png" alt="probe">' +
        '<svg><image href="file:///etc/hostname" width="1" height="1"/></svg></body>';
      const withCsp = `${dir}/tampered-csp.html`;
      await Deno.writeTextFile(withCsp, html.replace("</body>", bad));
      const a = await inspectPage(context, withCsp);
      assert.ok(
        a.violations.some((v) => v.startsWith("http://127.0.0.1:9/probe.png")),
        a.violations.join(),
      );
      assert.deepEqual(
        a.images.filter((i) => !i.ok).map((i) => i.src),
        ["http://127.0.0.1:9/probe.png", "file:///etc/hostname"],
        "the probe images did not load",
      );
      const noCsp = `${dir}/tampered.html`;
      await Deno.writeTextFile(
        noCsp,
        html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, "").replace(
          "</body>",
          bad,
        ),
      );
      const b = await inspectPage(context, noCsp);
      assert.ok(b.requests.includes("http://127.0.0.1:9/probe.png"), b.requests.join());
      assert.ok(b.requests.includes("file:///etc/hostname"), b.requests.join());
    } finally {
      await context.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
