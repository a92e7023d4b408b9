/**
 * Streaming text records (internal): the ASEG-GDF2 and Geosoft XYZ readers take a file one
 * line at a time from a stream of chunks (gzip decompressed on the way when the file starts
 * with gzip's magic bytes), so a survey is never held as text, only as the columns it becomes.
 *
 * @module
 */

const NL = 10, CR = 13;

/** Called per line with the line's bytes `bytes[start..end)` (no newline, no CR). */
export type LineHandler = (bytes: Uint8Array, start: number, end: number, line: number) => void;

/**
 * Reads `path` line by line. Lines are handed over as views into a buffer that is reused:
 * handlers copy what they keep.
 *
 * @param path File path (gzip or not).
 * @param onLine Handler per line, with its 1-based line number.
 * @returns The number of lines.
 */
export async function forEachLine(path: string, onLine: LineHandler): Promise<number> {
  using file = await Deno.open(path, { read: true });
  const head = new Uint8Array(2);
  const got = await file.read(head);
  await file.seek(0, Deno.SeekMode.Start);
  let stream: ReadableStream<Uint8Array<ArrayBuffer>> = file.readable;
  if (got === 2 && head[0] === 0x1f && head[1] === 0x8b) {
    stream = stream.pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<
        Uint8Array<ArrayBuffer>,
        Uint8Array<ArrayBuffer>
      >,
    );
  }
  let carry: Uint8Array = new Uint8Array(0);
  let line = 0;
  const emit = (bytes: Uint8Array, s: number, e: number) => {
    if (e > s && bytes[e - 1] === CR) e--;
    onLine(bytes, s, e, ++line);
  };
  for await (const chunk of stream) {
    let start = 0;
    let nl = chunk.indexOf(NL);
    if (carry.length > 0) {
      if (nl < 0) {
        carry = concat(carry, chunk);
        continue;
      }
      const joined = concat(carry, chunk.subarray(0, nl));
      emit(joined, 0, joined.length);
      carry = new Uint8Array(0);
      start = nl + 1;
      nl = chunk.indexOf(NL, start);
    }
    while (nl >= 0) {
      emit(chunk, start, nl);
      start = nl + 1;
      nl = chunk.indexOf(NL, start);
    }
    if (start < chunk.length) carry = chunk.slice(start);
  }
  if (carry.length > 0) emit(carry, 0, carry.length);
  return line;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * A Float64 column grown in place (doubling), trimmed once at the end.
 */
export class ColumnBuilder {
  #data = new Float64Array(4096);
  #n = 0;
  /** Appends a value. */
  push(v: number): void {
    if (this.#n === this.#data.length) {
      const grown = new Float64Array(this.#data.length * 2);
      grown.set(this.#data);
      this.#data = grown;
    }
    this.#data[this.#n++] = v;
  }
  /** Values pushed so far. */
  get length(): number {
    return this.#n;
  }
  /** The values (a copy trimmed to length). */
  finish(): Float64Array<ArrayBuffer> {
    const out = this.#data.slice(0, this.#n);
    this.#data = new Float64Array(0);
    return out;
  }
}

/** An Int32 column grown in place, as {@linkcode ColumnBuilder}. */
export class CodeBuilder {
  #data = new Int32Array(4096);
  #n = 0;
  /** Appends a code. */
  push(v: number): void {
    if (this.#n === this.#data.length) {
      const grown = new Int32Array(this.#data.length * 2);
      grown.set(this.#data);
      this.#data = grown;
    }
    this.#data[this.#n++] = v;
  }
  /** The codes (a copy trimmed to length). */
  finish(): Int32Array<ArrayBuffer> {
    const out = this.#data.slice(0, this.#n);
    this.#data = new Int32Array(0);
    return out;
  }
}

/**
 * Splits `bytes[start..end)` on runs of blanks (spaces, tabs, and commas when `commas`),
 * writing token bounds into `starts`/`ends`; returns the token count (at most `starts.length`,
 * one more meaning "more than fit").
 */
export function splitBlanks(
  bytes: Uint8Array,
  start: number,
  end: number,
  starts: Int32Array,
  ends: Int32Array,
  commas = false,
): number {
  let n = 0;
  let p = start;
  const max = starts.length;
  while (p < end) {
    let c = bytes[p];
    while (p < end && (c === 32 || c === 9 || (commas && c === 44))) c = bytes[++p];
    if (p >= end) break;
    if (n === max) return max + 1;
    starts[n] = p;
    while (p < end && (c = bytes[p]) !== 32 && c !== 9 && !(commas && c === 44)) p++;
    ends[n++] = p;
  }
  return n;
}
