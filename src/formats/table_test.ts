import assert from "node:assert/strict";
import { parseTable, readTable, TableError, TableSyntaxError } from "./table.ts";

const DATA = new URL("../../../shared/data/", import.meta.url);
const RIO = new URL("rio-magnetic.csv.gz", DATA).pathname;
const SA = new URL("south-africa-gravity.ast.gz", DATA).pathname;
const enc = (s: string) => new TextEncoder().encode(s);

async function requireFile(path: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch {
    throw new Error(`shared data file ${path} is missing (see ../shared/data/README.md)`);
  }
}

Deno.test("readTable() reads the gzip CSV rio-magnetic.csv.gz by column names", async () => {
  await requireFile(RIO);
  const t = await readTable(RIO, {
    columns: ["longitude", "latitude", "total_field_anomaly_nt"],
  });
  assert.equal(t.rows, 37718);
  assert.equal(t.delimiter, ",");
  assert.deepEqual(t.names, ["longitude", "latitude", "total_field_anomaly_nt"]);
  // First and last data rows of the file (checked with zcat | head/tail).
  assert.deepEqual([t.columns[0][0], t.columns[1][0], t.columns[2][0]], [
    -42.590424,
    -22.499878,
    115.41,
  ]);
  assert.deepEqual(
    [t.columns[0][37717], t.columns[1][37717], t.columns[2][37717]],
    [-42.027496, -22.073776, 61.45],
  );
  for (const v of t.columns[1]) assert.ok(v > -23 && v < -22);
});

Deno.test("readTable() reads the whitespace south-africa-gravity.ast.gz by 1-based index", async () => {
  await requireFile(SA);
  const t = await readTable(SA, { columns: [2, "1", 4] });
  assert.equal(t.rows, 14559);
  assert.equal(t.header, null);
  assert.equal(t.delimiter, "whitespace");
  assert.deepEqual(t.names, ["column 2", "column 1", "column 4"]);
  assert.deepEqual([t.columns[0][0], t.columns[1][0], t.columns[2][0]], [
    17.719,
    -34.3915,
    979724.79,
  ]);
  assert.equal(t.columns[2][14558], 978211.38);
});

Deno.test("parseTable() numbers are the correctly rounded doubles of their text", () => {
  const texts = [
    "0.1",
    "-42.590424",
    "979724.79",
    "1e-7",
    "-3.5E+3",
    "123456789012345678",
    "0.30000000000000004",
    "4.9e-324",
    "1.7976931348623157e308",
    "+12",
    ".5",
    "5.",
    "00012.5000",
  ];
  const t = parseTable(enc("v\n" + texts.join("\n") + "\n"), "n.csv", { columns: ["v"] });
  assert.deepEqual([...t.columns[0]], texts.map(Number));
});

Deno.test("parseTable() handles TSV, CRLF, quotes, comments, blank lines and NaN", () => {
  const tsv = parseTable(
    enc('# survey\r\n"lon"\t"lat"\r\n\r\n1.5\t2\r\n  \r\n3\tnan\r\n'),
    "a.tsv",
    {
      columns: ["lat", "lon"],
    },
  );
  assert.equal(tsv.delimiter, "\t");
  assert.deepEqual([...tsv.columns[1]], [1.5, 3]);
  assert.equal(tsv.columns[0][0], 2);
  assert.ok(Number.isNaN(tsv.columns[0][1]));
  const csv = parseTable(enc('name,x\n"a, b",1\n"c",2'), "q.csv", { columns: ["x", "x"] });
  assert.deepEqual([...csv.columns[0]], [1, 2]);
  assert.deepEqual([...csv.columns[1]], [1, 2]);
});

Deno.test("parseTable() rejects a non-numeric cell naming file, line and column", () => {
  const text = "longitude,latitude\n1,2\n# note\n3,abc\n";
  assert.throws(
    () => parseTable(enc(text), "rio.csv.gz", { columns: ["longitude", "latitude"] }),
    (e: unknown) => {
      assert.ok(e instanceof TableSyntaxError);
      assert.equal(e.message, "rio.csv.gz line 4: column 'latitude' value 'abc' is not a number");
      assert.equal(e.line, 4);
      return true;
    },
  );
});

Deno.test("parseTable() rejects a short row naming the line", () => {
  assert.throws(
    () => parseTable(enc("1 2 3\n4 5\n"), "s.txt", { columns: [1, 3] }),
    /^TableSyntaxError: s\.txt line 2: column 'column 3' is missing \(the row has 2 fields\)$/,
  );
});

Deno.test("parseTable() rejects a missing column listing the header", () => {
  assert.throws(
    () => parseTable(enc("lon,lat\n1,2\n"), "a.csv", { columns: ["depth"] }),
    (e: unknown) =>
      e instanceof TableError &&
      e.message === "a.csv: column 'depth' not found; the header has 'lon', 'lat'",
  );
  assert.throws(
    () => parseTable(enc("1 2\n"), "a.txt", { columns: [3] }),
    /a\.txt: column 3 does not exist; the first row has 2 columns/,
  );
  assert.throws(
    () => parseTable(enc("1 2\n"), "a.txt", { columns: ["lat"] }),
    /given by name but the file has no header row/,
  );
});

Deno.test("readTable() rejects an empty file and a header-only file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/empty.csv`, new Uint8Array());
    await assert.rejects(
      readTable(`${dir}/empty.csv`, { columns: [1] }),
      (e: unknown) => e instanceof TableError && /empty\.csv: file is empty/.test(e.message),
    );
    const gz = new Blob([enc("x,y\n")]).stream().pipeThrough(new CompressionStream("gzip"));
    await Deno.writeFile(
      `${dir}/header.csv.gz`,
      new Uint8Array(await new Response(gz).arrayBuffer()),
    );
    await assert.rejects(
      readTable(`${dir}/header.csv.gz`, { columns: ["x"] }),
      /header\.csv\.gz: file has no data rows/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
