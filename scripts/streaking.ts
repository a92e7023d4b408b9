/**
 * Streaking measure of grid files (the criterion of the low-inclination RTP test): the energy of
 * east-west differences over that of north-south ones, per km, outside an 8-cell edge band,
 * over cells whose three values are finite. 1 for an isotropic field; N-S streaks make it
 * larger, E-W elongation smaller.
 *
 *   deno run -A scripts/streaking.ts out/runs/<id>/grids/magnetic-rtp.zarr [more grids]
 *
 * @module
 */
import { KM_PER_DEGREE } from "../src/compute/mod.ts";
import { readGrid } from "../src/formats/mod.ts";

for (const file of Deno.args) {
  const g = await readGrid(file);
  const nx = g.lon.length, ny = g.lat.length, v = g.values;
  const cos = Math.cos(((g.lat[0] + g.lat[ny - 1]) / 2) * Math.PI / 180);
  const dx = g.resolution.lon * cos * KM_PER_DEGREE, dy = g.resolution.lat * KM_PER_DEGREE;
  let ex = 0, ey = 0;
  for (let r = 8; r < ny - 9; r++) {
    for (let c = 8; c < nx - 9; c++) {
      const a = v[r * nx + c], b = v[r * nx + c + 1], d = v[(r + 1) * nx + c];
      if (a === a && b === b && d === d) {
        ex += ((b - a) / dx) ** 2;
        ey += ((d - a) / dy) ** 2;
      }
    }
  }
  console.log(`${file}: E-W / N-S gradient energy ${(ex / ey).toFixed(3)}`);
}
