import assert from "node:assert/strict";
import { parseTable, readTable, TableError, TableSyntaxError } from "./table.ts";
import { fetchDataset } from "../datasets/mod.ts";
import { gzipSync } from "node:zlib";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("readTable() reads the gzip CSV rio-magnetic.csv.gz by column names", async () => {
  const t = await readTable(await fetchDataset("rio-magnetic.csv.gz"), {
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
  const t = await readTable(await fetchDataset("south-africa-gravity.ast.gz"), {
    columns: [2, "1", 4],
  });
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

Deno.test("readTable() (gam-core fast path) reads exactly what parseTable() reads", async () => {
  // Random decimals of every shape the fast path handles, next to ones it leaves to the
  // TypeScript loop (long mantissas, big exponents, NaN, quotes, CRLF, comments, blank lines).
  let seed = 7;
  const r = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const num = () => {
    const digits = String(Math.floor(r() * 1e9)).padStart(1 + Math.floor(r() * 9), "0");
    const dot = Math.floor(r() * (digits.length + 1));
    let t = (r() < 0.3 ? "-" : r() < 0.1 ? "+" : "") + digits.slice(0, dot) + "." +
      digits.slice(dot);
    if (t.endsWith(".") && r() < 0.5) t = t.slice(0, -1);
    if (t === "." || t === "-." || t === "+.") t += "5";
    if (r() < 0.2) t += `e${r() < 0.5 ? "-" : ""}${Math.floor(r() * 40)}`;
    if (r() < 0.02) t = "12345678901234567.25e-3";
    if (r() < 0.01) t = "NaN";
    return t;
  };
  const rows = Array.from({ length: 3000 }, () => [num(), num(), num()]);
  const files: [string, string, (string | number)[]][] = [
    ["a.csv", "x,y,z\n" + rows.map((r) => r.join(",")).join("\n") + "\n", ["z", "x"]],
    ["b.txt", rows.map((r) => "  " + r.join(" \t ")).join("\r\n"), [3, 1, 2]],
    ["c.tsv", '# c\r\n"x"\t"y"\r\n\r\n1.5\t"2"\r\n  \r\n3\tnan\r\n# end\n', ["y", "x"]],
    ["d.csv", "x;y\n1;2\n3;4", ["y"]],
    ["e.csv", 'name,x\n"a, b",1\n"c",2', ["x", "x"]],
  ];
  const dir = await Deno.makeTempDir({ prefix: "gam-table-test-" });
  try {
    for (const [name, text, columns] of files) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
      const fast = await readTable(`${dir}/${name}`, { columns });
      const ref = parseTable(enc(text), `${dir}/${name}`, { columns });
      if (name === "a.csv") {
        // The fast path took this file (it did not decline it to the loop).
        const { parse_table_columns } = await import("../compute/wasm/gam_core.js");
        const data = enc(text.slice(text.indexOf("\n") + 1));
        assert.equal(parse_table_columns(data, 44, 35, new Uint32Array([2, 0])).length, 6000);
      }
      assert.equal(fast.rows, ref.rows, name);
      for (let k = 0; k < columns.length; k++) {
        const a = new Uint8Array(fast.columns[k].slice().buffer);
        const b = new Uint8Array(ref.columns[k].slice().buffer);
        assert.deepEqual(a, b, `${name} column ${columns[k]}`);
      }
    }
    // A bad cell deep in the file: the fast path declines and the message names the line.
    const bad = "x,y\n" + rows.slice(0, 2000).map((r) => r[0] + "," + r[1]).join("\n") +
      "\n1,2x\n";
    await Deno.writeTextFile(`${dir}/bad.csv`, bad);
    await assert.rejects(
      () => readTable(`${dir}/bad.csv`, { columns: ["x", "y"] }),
      (e: unknown) => {
        assert.ok(e instanceof TableSyntaxError);
        assert.equal(e.message, `${dir}/bad.csv line 2002: column 'y' value '2x' is not a number`);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseTable() reads a text column as a dictionary with a code per row", () => {
  const text =
    '# survey\nline,x,v\nFL1-1,1,10\n\nFL1-1,2,11\n"FL1-2",3,12\nL1010 ,4,13\nFL1-1,5,14\n';
  const t = parseTable(enc(text), "s.csv", { columns: ["x", "v"], textColumns: ["line"] });
  assert.equal(t.rows, 5);
  assert.deepEqual(t.text[0].names, ["FL1-1", "FL1-2", "L1010"]);
  assert.deepEqual([...t.text[0].codes], [0, 0, 1, 2, 0]);
  assert.deepEqual([...t.columns[0]], [1, 2, 3, 4, 5]);
  const ws = parseTable(enc("1 2 T100\n3 4 L20\n5 6 T100\n"), "s.xyz", {
    header: false,
    columns: [1, 2],
    textColumns: [3],
  });
  assert.deepEqual(ws.text[0].names, ["T100", "L20"]);
  assert.deepEqual([...ws.text[0].codes], [0, 1, 0]);
});

Deno.test("readTable() reads a text column through the fast path as the loop does", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rows = ["line,x"];
    for (let i = 0; i < 5000; i++) {
      rows.push(`FL${Math.floor(i / 700)}-${i % 3 === 0 ? 1 : 2},${i}`);
    }
    await Deno.writeTextFile(`${dir}/t.csv`, rows.join("\n") + "\n");
    const t = await readTable(`${dir}/t.csv`, { columns: ["x"], textColumns: ["line"] });
    const loop = parseTable(await Deno.readFile(`${dir}/t.csv`), "t.csv", {
      columns: ["x"],
      textColumns: ["line"],
    });
    assert.equal(t.rows, 5000);
    assert.deepEqual(t.text[0].names, loop.text[0].names);
    assert.deepEqual(t.text[0].codes, loop.text[0].codes);
    for (let i = 0; i < 5000; i++) {
      assert.equal(t.text[0].names[t.text[0].codes[i]], rows[i + 1].split(",")[0]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseTable() names file, line and column for a missing or empty line name", () => {
  assert.throws(
    () => parseTable(enc("x,line\n1,L1\n2\n"), "m.csv", { columns: ["x"], textColumns: ["line"] }),
    (e: unknown) =>
      e instanceof TableSyntaxError && e.line === 3 && e.column === "'line'" &&
      /m\.csv line 3: column 'line' is missing/.test(e.message),
  );
  assert.throws(
    () => parseTable(enc("x,line\n1,L1\n2,\n"), "m.csv", { columns: ["x"], textColumns: ["line"] }),
    /m\.csv line 3: column 'line' is empty/,
  );
});

Deno.test("readTable() streams a file in chunks: same columns, text codes and error lines as one parse", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rows = ["# survey", "line,x,v"];
    for (let i = 0; i < 20_000; i++) {
      if (i % 997 === 0) rows.push("# a comment inside the data", "");
      rows.push(`${i % 3 === 0 ? "T" : "L"}${Math.floor(i / 150)},${i},${(i * 0.37).toFixed(2)}`);
    }
    const text = rows.join("\n") + "\n";
    await Deno.writeTextFile(`${dir}/t.csv`, text);
    await Deno.writeFile(`${dir}/t.csv.gz`, gzipSync(new TextEncoder().encode(text)));
    const whole = parseTable(enc(text), "t.csv", { columns: ["x", "v"], textColumns: ["line"] });
    for (const file of ["t.csv", "t.csv.gz"]) {
      const t = await readTable(`${dir}/${file}`, {
        columns: ["x", "v"],
        textColumns: ["line"],
        chunkBytes: 4096, // about 70 chunks
      });
      assert.equal(t.rows, whole.rows);
      assert.deepEqual(t.columns, whole.columns);
      assert.deepEqual(t.text[0].names, whole.text[0].names);
      assert.deepEqual(t.text[0].codes, whole.text[0].codes);
      assert.deepEqual(t.header, ["line", "x", "v"]);
    }
    // A bad cell far into the file is reported at its line in the file.
    const bad = text.split("\n");
    const at = bad.findIndex((l) => l.startsWith("L100,"));
    bad[at] = bad[at].replace(/,[^,]*$/, ",oops");
    await Deno.writeTextFile(`${dir}/bad.csv`, bad.join("\n"));
    await assert.rejects(
      readTable(`${dir}/bad.csv`, { columns: ["x", "v"], chunkBytes: 4096 }),
      (e: unknown) =>
        e instanceof TableSyntaxError && e.line === at + 1 &&
        e.message === `${dir}/bad.csv line ${at + 1}: column 'v' value 'oops' is not a number`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
