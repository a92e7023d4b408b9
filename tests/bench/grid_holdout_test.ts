/**
 * `deno task bench:grid-holdout --survey`: the benchmark on a survey other than Rio (issue 19:
 * a larger survey held elsewhere judges minimum curvature on lines). A small east-west survey
 * with north-south tie lines is written to a file; the test checks that the flight lines are
 * told from the ties by their direction, that every fourth one across the survey is held back,
 * and that both tools grid and are scored. It asserts no time and no RMS ratio.
 */
import assert from "node:assert/strict";
import { denoTask } from "../_gam_cli.ts";

const holdout = (...args: string[]) => denoTask("bench:grid-holdout", args);

/** 20 east-west lines 0.01° apart, read every 0.0005°, and 3 north-south ties, as CSV. */
function survey(): { text: string; rows: number; perLine: number[] } {
  const field = (x: number, y: number) => 100 * Math.sin(20 * x) + 80 * Math.cos(30 * y);
  const rows: string[] = ["name,easting_deg,northing_deg,tmi_nt"];
  const perLine: number[] = [];
  for (let k = 0; k < 20; k++) {
    const y = 40.005 + 0.01 * k;
    let n = 0;
    for (let x = 10; x <= 10.3; x += 0.0005) {
      const yy = y + 0.0004 * Math.sin(90 * x); // a slightly wavy track
      rows.push(`L${100 + k},${x.toFixed(5)},${yy.toFixed(5)},${field(x, yy).toFixed(3)}`);
      n++;
    }
    perLine.push(n);
  }
  for (const x of [10.05, 10.15, 10.25]) {
    for (let y = 40; y <= 40.2; y += 0.0005) {
      rows.push(`T${Math.round(x * 100)},${x},${y.toFixed(5)},${field(x, y).toFixed(3)}`);
    }
  }
  return { text: rows.join("\n") + "\n", rows: rows.length - 1, perLine };
}

Deno.test({
  name: "bench:grid-holdout --survey holds back every fourth flight line of any survey",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gam-holdout-test-" });
    try {
      const s = survey();
      const path = `${dir}/ew-survey.csv`;
      await Deno.writeTextFile(path, s.text);
      const r = await holdout(
        ...["--survey", path, "--columns", "easting_deg,northing_deg,tmi_nt", "--line", "name"],
        ...["--bbox", "10,40,10.3,40.2", "--spacing", "0.005", "--split", "readings,lines"],
      );
      assert.equal(r.code, 0, r.stderr);
      // Lines 2, 6, 10, 14 and 18 from the south: the ties (north-south) are not flight lines.
      const held = [2, 6, 10, 14, 18].reduce((n, k) => n + s.perLine[k], 0);
      assert.match(
        r.stdout,
        new RegExp(`ew-survey\\.csv, 5 of 20 flight lines held back: ${s.rows - held} readings`),
      );
      assert.match(r.stdout, /ew-survey\.csv, 10% of readings held back: \d+ readings gridded/);
      for (const tool of ["gam grid mincurv", "gmt blockmedian\\+surface"]) {
        const scored = r.stdout.match(
          new RegExp(`^${tool} +RMS ([0-9.]+) \\((\\d+) points\\)`, "gm"),
        );
        assert.equal(scored?.length, 2, `${tool} gridded and was scored on both splits`);
      }
      assert.doesNotMatch(r.stdout, /FAILED/);

      // A bbox off the spacing is widened to it: both tools grid the same 61 x 41 nodes, and
      // each grid is scored on its own axes (scored on assumed ones, gam's RMS was 213 mGal
      // against GMT's 16 on the South African stations).
      const off = await holdout(
        ...["--survey", path, "--columns", "easting_deg,northing_deg,tmi_nt", "--line", "name"],
        ...["--bbox", "10.0012,40.0007,10.2991,40.1999", "--spacing", "0.005"],
        ...["--split", "readings"],
      );
      assert.equal(off.code, 0, off.stderr);
      assert.match(off.stdout, /61 x 41 nodes at 0\.005° over \[10, 40, 10\.3, 40\.2\]/);
      const rms = [...off.stdout.matchAll(/RMS ([0-9.]+) \(/g)].map((m) => Number(m[1]));
      assert.equal(rms.length, 2);
      assert.ok(rms[0] < 3 * rms[1] && rms[1] < 3 * rms[0], `comparable errors: ${rms}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("bench:grid-holdout --survey refuses a survey without its columns, naming the flag", async () => {
  const r = await holdout("--survey", "/nonexistent.csv", "--split", "readings");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--columns must name 3 columns \(longitude, latitude, value\)/);
  const b = await holdout(
    ...["--survey", "/nonexistent.csv", "--columns", "a,b,c", "--bbox", "10,40,9,41"],
  );
  assert.equal(b.code, 2);
  assert.match(b.stderr, /--bbox/);
  const d = await holdout("--spacing", "0", "--split", "readings");
  assert.equal(d.code, 2);
  assert.match(d.stderr, /--spacing must be a number of degrees above 0, got "0"/);
  const u = await holdout("--spacing=-1", "--no-such-flag");
  assert.equal(u.code, 2);
  assert.match(u.stderr, /bench:grid-holdout: .*no-such-flag/);
});
