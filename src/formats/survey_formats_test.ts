/**
 * The exchange-format readers (ASEG-GDF2, Geosoft XYZ) on the fixtures of
 * `tests/data/survey_formats/` (provenance in its README), gzip, large streamed files and
 * bad input.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { AsegGdfDefinitionError, parseAsegGdfDefinition, readAsegGdf } from "./aseg_gdf.ts";
import { readGeosoftXyz } from "./geosoft_xyz.ts";
import { TableError, TableSyntaxError } from "./table.ts";
import { moduleTempDir } from "../_testing/temp_dir.ts";

const DATA = new URL("../../tests/data/survey_formats/", import.meta.url).pathname;

/** The fixture's records, sliced by the widths its definition gives (an independent split). */
async function fixedRecords(dat: string, widths: number[]): Promise<string[][]> {
  const text = await Deno.readTextFile(dat);
  return text.split("\n").filter((l) => l !== "" && !l.startsWith("COMM")).map((l) => {
    let p = 0;
    return widths.map((w) => l.slice(p, p += w).trim());
  });
}

Deno.test("readAsegGdf() reads ASEG's MuppetTown airborne magnetic sample by field and long name", async () => {
  const s = await readAsegGdf(`${DATA}muppettown.dat`, {
    columns: ["GDA94LON", "wgs84_lat", "MAGCOMP"],
    line: "LINE",
  });
  const widths = [5, 8, 4, 8, 12, 11, 11, 12, 13, 10, 10, 10, 10, 10, 8, 8, 8];
  const rec = await fixedRecords(`${DATA}muppettown.dat`, widths);
  assert.equal(s.rows, rec.length);
  assert.equal(s.rows, 10);
  assert.deepEqual(s.names, ["GDA94LON", "GDA94LAT", "MAGCOMP"]);
  assert.deepEqual(s.units, ["degrees", "degrees", "nT"]);
  assert.deepEqual([...s.columns[0]], rec.map((r) => Number(r[8])));
  assert.deepEqual([...s.columns[1]], rec.map((r) => Number(r[7])));
  assert.deepEqual([...s.columns[2]], rec.map((r) => Number(r[10])));
  assert.deepEqual(s.lines?.names, ["10010"]);
  assert.deepEqual([...s.lines!.codes], rec.map(() => 0));
});

Deno.test("readAsegGdf() follows the specification: COMM records, DATA prefix, fixed widths, NULL, arrays", async () => {
  const s = await readAsegGdf(`${DATA}spec_example.dat`, {
    columns: ["longitude", "LATITUDE", "total_field", "SPEC[2]"],
    line: "line_name",
  });
  const rec = await fixedRecords(`${DATA}spec_example.dat`, [4, 6, 6, 11, 10, 9, 6, 6, 6]);
  assert.equal(s.rows, 10);
  assert.deepEqual([...s.columns[0]], rec.map((r) => Number(r[3])));
  assert.deepEqual([...s.columns[1]], rec.map((r) => Number(r[4])));
  const mag = rec.map((r) => r[5] === "-9999.00" ? NaN : Number(r[5]));
  assert.deepEqual([...s.columns[2]], mag);
  assert.ok(Number.isNaN(s.columns[2][5]), "the NULL value reads as NaN");
  assert.deepEqual([...s.columns[3]], rec.map((r) => r[8] === "-99.0" ? NaN : Number(r[8])));
  assert.deepEqual(s.lines?.names, ["L1010", "L1020", "T100"]);
  assert.deepEqual([...s.lines!.codes], rec.map((r) => ["L1010", "L1020", "T100"].indexOf(r[1])));
  assert.deepEqual(s.units, ["degrees", "degrees", "nT", "cps"]);
});

Deno.test("readAsegGdf() streams a gzip .dat and many records across chunk boundaries", async () => {
  const dir = await moduleTempDir({ prefix: "gam-gdf2-" });
  await Deno.copyFile(`${DATA}spec_example.dfn`, `${dir}/big.dfn`);
  const rows: string[] = [];
  const n = 120_000; // about 7.7 MB of records: many stream chunks, lines split across them
  for (let i = 0; i < n; i++) {
    const name = `L${1000 + Math.floor(i / 5000) * 10}`;
    const lon = 147 + (i % 5000) * 1e-4, lat = -34 - Math.floor(i / 5000) * 1e-2;
    rows.push(
      "DATA" + name.padEnd(6) + String(i % 1e6).padStart(6) + lon.toFixed(6).padStart(11) +
        lat.toFixed(6).padStart(10) + (500 + (i % 97)).toFixed(2).padStart(9) +
        "  10.0  20.5   3.0",
    );
  }
  await Deno.writeFile(`${dir}/big.dat.gz`, gzipSync(new TextEncoder().encode(rows.join("\r\n"))));
  const s = await readAsegGdf(`${dir}/big.dat.gz`, {
    definition: `${dir}/big.dfn`,
    columns: ["LONGITUDE", "LATITUDE", "MAG"],
    line: "LINE",
  });
  assert.equal(s.rows, n);
  assert.equal(s.lines!.names.length, n / 5000);
  for (const i of [0, 4999, 5000, 77_777, n - 1]) {
    assert.equal(s.columns[0][i], Number((147 + (i % 5000) * 1e-4).toFixed(6)));
    assert.equal(s.columns[2][i], 500 + (i % 97));
    assert.equal(s.lines!.names[s.lines!.codes[i]], `L${1000 + Math.floor(i / 5000) * 10}`);
  }
});

Deno.test("ASEG-GDF2 errors name the file, line and field", async () => {
  assert.throws(
    () =>
      parseAsegGdfDefinition("DEFN 1 ST=RECD,RT=;X:F10.2\nDEFN 2 ST=RECD,RT=;MAG:Q10\n", "a.dfn"),
    (e: unknown) =>
      e instanceof AsegGdfDefinitionError && e.line === 2 &&
      /a\.dfn line 2: field 'MAG:Q10'/.test(e.message),
  );
  const dir = await moduleTempDir({ prefix: "gam-gdf2-" });
  await Deno.copyFile(`${DATA}spec_example.dfn`, `${dir}/bad.dfn`);
  const good = (await Deno.readTextFile(`${DATA}spec_example.dat`)).split("\n");
  good[2] = good[2].replace("513.75", "5x3.75");
  await Deno.writeTextFile(`${dir}/bad.dat`, good.join("\n"));
  await assert.rejects(
    readAsegGdf(`${dir}/bad.dat`, { columns: ["LONGITUDE", "LATITUDE", "MAG"] }),
    (e: unknown) =>
      e instanceof TableSyntaxError && e.line === 3 &&
      e.message === `${dir}/bad.dat line 3: column 'MAG' value '5x3.75' is not a number`,
  );
  await Deno.writeTextFile(`${dir}/bad.dat`, good.slice(0, 2).join("\n") + "\nDATAL1010 12\n");
  await assert.rejects(
    readAsegGdf(`${dir}/bad.dat`, { columns: ["MAG"] }),
    (e: unknown) =>
      e instanceof TableSyntaxError && e.line === 3 && /definition 9 fields in 64/.test(e.message),
  );
  await assert.rejects(
    readAsegGdf(`${dir}/bad.dat`, { columns: ["GRAV"] }),
    (e: unknown) =>
      e instanceof TableError && /field 'GRAV' is not defined in .*bad\.dfn/.test(e.message),
  );
  await assert.rejects(
    readAsegGdf(`${dir}/bad.dat`, { columns: ["MAG"], definition: `${dir}/none.dfn` }),
    /its definition file .*none\.dfn does not exist/,
  );
});

Deno.test("readGeosoftXyz() keeps Line and Tie headers as named lines with kinds, * as NaN", async () => {
  const s = await readGeosoftXyz(`${DATA}spec_example.xyz`, { columns: ["x", "Y", "MAG", 4] });
  const rows = (await Deno.readTextFile(`${DATA}spec_example.xyz`)).split("\n")
    .filter((l) => /^\s+\d/.test(l)).map((l) => l.trim().split(/\s+/));
  assert.equal(s.rows, rows.length);
  assert.deepEqual(s.names, ["X", "Y", "MAG", "ALT"]);
  assert.deepEqual([...s.columns[0]], rows.map((r) => Number(r[0])));
  assert.deepEqual([...s.columns[2]], rows.map((r) => r[2] === "*" ? NaN : Number(r[2])));
  assert.deepEqual(s.lines?.names, ["L1010", "L1020", "T100"]);
  assert.deepEqual(s.lines?.kinds, ["line", "line", "tie"]);
  assert.deepEqual([...s.lines!.codes], [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
});

Deno.test("readGeosoftXyz() reads files without headers by index, and names bad rows", async () => {
  const dir = await moduleTempDir({ prefix: "gam-xyz-" });
  await Deno.writeTextFile(`${dir}/plain.xyz`, "1 2 3\n4 5 6\n");
  const plain = await readGeosoftXyz(`${dir}/plain.xyz`, { columns: [3, 1] });
  assert.deepEqual([...plain.columns[0]], [3, 6]);
  assert.equal(plain.lines, undefined);
  await assert.rejects(
    readGeosoftXyz(`${dir}/plain.xyz`, { columns: ["MAG"] }),
    /channel 'MAG' was given by name but no comment line names the 3 channels/,
  );
  await Deno.writeTextFile(`${dir}/early.xyz`, "/ X Y MAG\n1 2 3\nLine 10\n4 5 6\n");
  await assert.rejects(
    readGeosoftXyz(`${dir}/early.xyz`, { columns: ["MAG"] }),
    (e: unknown) =>
      e instanceof TableSyntaxError && e.line === 2 &&
      /before the first Line or Tie/.test(e.message),
  );
  await Deno.writeTextFile(`${dir}/bad.xyz`, "/ X Y MAG\nLine 10\n1 2 3\n4 5 abc\n7 8\n");
  await assert.rejects(
    readGeosoftXyz(`${dir}/bad.xyz`, { columns: ["X", "MAG"] }),
    (e: unknown) =>
      e instanceof TableSyntaxError &&
      e.message === `${dir}/bad.xyz line 4: column 'MAG' value 'abc' is not a number`,
  );
  await Deno.writeTextFile(`${dir}/short.xyz`, "/ X Y MAG\nLine 10\n1 2 3\n7 8\n");
  await assert.rejects(
    readGeosoftXyz(`${dir}/short.xyz`, { columns: ["MAG"] }),
    (e: unknown) =>
      e instanceof TableSyntaxError &&
      e.message === `${dir}/short.xyz line 4: column 'MAG' is missing (the row has 2 values)`,
  );
});
