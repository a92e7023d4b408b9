import assert from "node:assert/strict";
import { readZarrGrid } from "../../formats/codecs.ts";
import { testData } from "../../datasets/_testing.ts";
import { gam as gamCli } from "../../../tests/_gam_cli.ts";

const DATA = await testData(["rio-magnetic.csv.gz", "south-africa-gravity.ast.gz"]);
const RIO = DATA.path["rio-magnetic.csv.gz"];
const SA = DATA.path["south-africa-gravity.ast.gz"];
const RIO_BOX = "-42.6,-22.5,-42.0,-22.0";

interface Run {
  code: number;
  stderr: string;
}

/** `gam grid <args>` through the tests' one runner. */
async function gam(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const r = await gamCli(["grid", ...args], env);
  return { code: r.code, stderr: r.stderr.trim() };
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  DATA.require();
  const dir = await Deno.makeTempDir({ prefix: "gam-grid-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const RIO_ARGS = [
  "--input",
  RIO,
  "--x",
  "longitude",
  "--y",
  "latitude",
  "--z",
  "total_field_anomaly_nt",
];

for (const method of ["block-mean", "block-median", "nearest", "idw", "linear"] as const) {
  Deno.test(`gam grid ${method} grids rio-magnetic.csv.gz into a Zarr group with sane values`, async () => {
    await withTemp(async (dir) => {
      const extra = method === "nearest" || method === "idw" ? ["--radius", "0.02"] : [];
      const r = await gam([
        ...RIO_ARGS,
        "--bbox",
        RIO_BOX,
        "--spacing",
        "0.005",
        "--method",
        method,
        ...extra,
        "--out",
        `${dir}/g.zarr`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /wrote .*g\.zarr: 101 x 121 nodes/);
      const g = await readZarrGrid(`${dir}/g.zarr`);
      assert.equal(g.lon.length, 121);
      assert.equal(g.lat.length, 101);
      let n = 0, lo = Infinity, hi = -Infinity;
      for (const v of g.values) {
        if (Number.isNaN(v)) continue;
        n++, lo = Math.min(lo, v), hi = Math.max(hi, v);
      }
      assert.ok(n > g.values.length * 0.5, `${n} of ${g.values.length} nodes have values`);
      // Data range of the file: -636.18 .. 875.12 nT; block means/medians, nearest, idw and
      // linear interpolation cannot leave it (float32 rounding aside).
      assert.ok(lo >= -636.19 && hi <= 875.13, `range ${lo} .. ${hi}`);
      const prov = g.attributes.provenance as { params: Record<string, unknown> }[];
      assert.equal(prov[0].params.method, method);
    });
  });
}

Deno.test("gam grid writes a GeoTIFF of south-africa-gravity.ast.gz that gdalinfo reads", async () => {
  await withTemp(async (dir) => {
    const r = await gam([
      "--input",
      SA,
      "--x",
      "2",
      "--y",
      "1",
      "--z",
      "4",
      "--bbox",
      "16,-35,33,-22",
      "--spacing",
      "0.25",
      "--method",
      "idw",
      "--k",
      "8",
      "--radius",
      "1",
      "--max-distance",
      "0.5",
      "--out",
      `${dir}/sa.tif`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    let info;
    try {
      const out = await new Deno.Command("gdalinfo", {
        args: ["-json", "-stats", `${dir}/sa.tif`],
        stdout: "piped",
      }).output();
      info = JSON.parse(new TextDecoder().decode(out.stdout));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return; // gdalinfo not installed
      throw e;
    }
    assert.deepEqual(info.size, [69, 53]);
    assert.deepEqual(info.geoTransform.map((v: number) => Math.round(v * 1e6) / 1e6), [
      15.875,
      0.25,
      0,
      -21.875,
      0,
      -0.25,
    ]);
    const stats = info.bands[0].metadata[""];
    // Observed gravity in South Africa: 978,000 .. 979,800 mGal.
    assert.ok(Number(stats.STATISTICS_MINIMUM) > 977_500, JSON.stringify(stats));
    assert.ok(Number(stats.STATISTICS_MAXIMUM) < 980_000, JSON.stringify(stats));
  });
});

Deno.test("gam grid reports a missing column on one line with exit 1", async () => {
  await withTemp(async (dir) => {
    const r = await gam([
      "--input",
      RIO,
      "--x",
      "longitude",
      "--y",
      "lat",
      "--z",
      "total_field_anomaly_nt",
      "--bbox",
      RIO_BOX,
      "--spacing",
      "0.01",
      "--method",
      "nearest",
      "--out",
      `${dir}/g.tif`,
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.split("\n").length, 1, r.stderr);
    assert.match(
      r.stderr,
      /rio-magnetic\.csv\.gz: column 'lat' not found; the header has 'longitude', 'latitude'/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], [], "no output file");
  });
});

Deno.test("gam grid reports a non-numeric cell with file and line, exit 1", async () => {
  await withTemp(async (dir) => {
    await Deno.writeTextFile(`${dir}/bad.csv`, "lon,lat,z\n10,1,5\n10.5,abc,6\n");
    const r = await gam([
      "--input",
      `${dir}/bad.csv`,
      "--x",
      "lon",
      "--y",
      "lat",
      "--z",
      "z",
      "--bbox",
      "9,0,11,2",
      "--spacing",
      "0.5",
      "--method",
      "nearest",
      "--out",
      `${dir}/g.tif`,
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^gam grid: .*bad\.csv line 3: column 'lat' value 'abc' is not a number$/,
    );
  });
});

Deno.test("gam grid rejects an empty file, exit 1", async () => {
  await withTemp(async (dir) => {
    await Deno.writeTextFile(`${dir}/empty.txt`, "");
    const r = await gam([
      "--input",
      `${dir}/empty.txt`,
      "--x",
      "1",
      "--y",
      "2",
      "--z",
      "3",
      "--bbox",
      "9,0,11,2",
      "--spacing",
      "0.5",
      "--method",
      "idw",
      "--out",
      `${dir}/g.zarr`,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /empty\.txt: file is empty/);
  });
});

Deno.test("gam grid rejects a bbox with no points, exit 1", async () => {
  await withTemp(async (dir) => {
    const r = await gam([
      ...RIO_ARGS,
      "--bbox",
      "10,10,11,11",
      "--spacing",
      "0.1",
      "--method",
      "nearest",
      "--out",
      `${dir}/g.tif`,
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /no point lies inside the bbox \[10, 10, 11, 11\] \(37718 points read\)/,
    );
  });
});

Deno.test("gam grid usage errors exit 2 with one line naming the flag", async () => {
  await withTemp(async (dir) => {
    const base = [...RIO_ARGS, "--bbox", RIO_BOX, "--out", `${dir}/g.tif`];
    const cases: [string[], Record<string, string>, RegExp][] = [
      [
        [...base, "--spacing", "0", "--method", "nearest"],
        {},
        /--spacing must be a finite number > 0 degrees, got 0/,
      ],
      [
        [...base, "--spacing", "-1", "--method", "nearest"],
        {},
        /--spacing must be a finite number > 0 degrees, got -1/,
      ],
      [
        [...base, "--spacing", "0.01", "--method", "kriging"],
        {},
        /--method must be one of block-mean, .*"kriging"/,
      ],
      [
        [...base, "--spacing", "0.01", "--method", "nearest", "--k", "5"],
        {},
        /--k applies to idw, not to nearest/,
      ],
      [[...base, "--spacing", "0.01"], {}, /--method is required/],
      [
        [
          ...RIO_ARGS,
          "--bbox",
          RIO_BOX,
          "--spacing",
          "0.01",
          "--method",
          "idw",
          "--out",
          `${dir}/g.png`,
        ],
        {},
        /--out must end in \.tif or \.zarr/,
      ],
      [
        [...base, "--spacing", "0.0001", "--method", "nearest"],
        { GAM_GRID_MAX_CELLS: "1000000" },
        /GAM_GRID_MAX_CELLS: the grid would have 5001 x 6001 = 30011001 nodes, above the limit of 1000000/,
      ],
      [
        [
          ...RIO_ARGS,
          "--bbox",
          "1,2,3",
          "--spacing",
          "0.01",
          "--method",
          "idw",
          "--out",
          `${dir}/g.tif`,
        ],
        {},
        /Invalid bbox in --bbox/,
      ],
    ];
    for (const [args, env, message] of cases) {
      const r = await gam(args, env);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr.split("\n").length, 1, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});
