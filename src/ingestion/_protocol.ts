/**
 * The wire protocol between the sandbox host and a plugin's child process (internal).
 *
 * Both directions carry length-prefixed frames over the child's stdin (host → child) and stdout
 * (child → host):
 *
 * ```
 * frame = u32le bodyLength, body
 * body  = u32le jsonLength, json (UTF-8), zero padding (body offset to a multiple of 8), attachments
 * ```
 *
 * The JSON holds the message; each typed array in it is replaced by a placeholder
 * `{"\u0000ta": [type, byteOffset, length]}` whose raw little-endian bytes are an attachment
 * (8-byte aligned, offset from the start of the attachments). A million points therefore cross
 * as 24 MB of bytes, not as decimal text. The reader checks `bodyLength` against its cap before
 * it allocates the body and `jsonLength` against the metadata cap before it parses.
 *
 * Host → child: `init`, `fetch`, `abort`. Child → host: `hello` (the module imported: its
 * manifest), `import-error`, `ready`, `init-error`, `result`, `error`.
 *
 * @module
 */

/** An error as it crosses the process boundary. */
export interface WireError {
  name: string;
  message: string;
  retryable?: boolean;
  status?: number;
  url?: string;
  retryAfterMs?: number;
}

/** Host → child. */
export type HostMessage =
  | {
    type: "init";
    options: {
      params: Record<string, unknown>;
      auth?: string;
      allowInsecureHttp: string[];
      scratchDir: string;
    };
  }
  | {
    type: "fetch";
    id: number;
    request: {
      modality: string;
      bbox: [number, number, number, number];
      params: Record<string, unknown>;
      traceId: string;
      traceparent: string;
      grantedHosts: string[];
      correlationId: string;
    };
  }
  | { type: "abort"; id: number };

/** Child → host. */
export type ChildMessage =
  | { type: "hello"; manifest: unknown; hasFactory: boolean }
  | { type: "import-error"; error: WireError }
  | { type: "ready" }
  | { type: "init-error"; error: WireError }
  | { type: "result"; id: number; data: unknown }
  | { type: "error"; id: number; error: WireError };

/** Serialises an error for the wire, keeping the fields retry decisions need. */
export function toWireError(e: unknown): WireError {
  if (e instanceof Error) {
    const x = e as Error & Partial<WireError>;
    const out: WireError = { name: String(x.name), message: String(x.message) };
    if (typeof x.retryable === "boolean") out.retryable = x.retryable;
    if (typeof x.status === "number") out.status = x.status;
    if (typeof x.url === "string") out.url = x.url;
    if (typeof x.retryAfterMs === "number") out.retryAfterMs = x.retryAfterMs;
    return out;
  }
  return { name: "Error", message: String(e) };
}

const TA_KEY = "\u0000ta";

type TypedArrayCtor =
  | Float64ArrayConstructor
  | Float32ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor;

const TYPED: Record<string, TypedArrayCtor> = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
};

const pad8 = (n: number) => (n + 7) & ~7;

/**
 * Encodes a message as one frame (length prefix included). Typed arrays anywhere in `message`
 * become raw attachments.
 *
 * @example Usage
 * ```ts
 * import { decodeBody, encodeFrame } from "./_protocol.ts";
 * const f = encodeFrame({ type: "ready" });
 * decodeBody(f.subarray(4)); // { type: "ready" }
 * ```
 */
export function encodeFrame(message: unknown): Uint8Array {
  const parts: Uint8Array[] = [];
  let offset = 0;
  const json = JSON.stringify(message, function (this: unknown, _k, v: unknown) {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const name = v.constructor.name;
      if (!(name in TYPED)) throw new TypeError(`a ${name} cannot cross the plugin boundary`);
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      const at = offset;
      parts.push(bytes);
      offset += pad8(bytes.byteLength);
      return { [TA_KEY]: [name, at, (v as unknown as { length: number }).length] };
    }
    return v;
  });
  const text = new TextEncoder().encode(json);
  // Offsets inside the body: the attachments start 8-byte aligned from the body's start.
  const head = pad8(4 + text.byteLength);
  const bodyLength = head + offset;
  if (bodyLength > 0xffff_ffff) {
    throw new RangeError(`a message of ${bodyLength} bytes is too large`);
  }
  const frame = new Uint8Array(4 + bodyLength);
  const view = new DataView(frame.buffer);
  view.setUint32(0, bodyLength, true);
  view.setUint32(4, text.byteLength, true);
  frame.set(text, 8);
  let at = 4 + head;
  for (const p of parts) {
    frame.set(p, at);
    at += pad8(p.byteLength);
  }
  return frame;
}

/** Caps checked while decoding a body. */
export interface DecodeCaps {
  /** Largest JSON part, bytes. @default unlimited */
  maxJsonBytes?: number;
  /** Largest element count of one typed array. @default unlimited */
  maxArrayLength?: number;
  /** Longest string anywhere in the message, UTF-16 code units. @default unlimited */
  maxStringLength?: number;
}

/** A decoded body broke a {@linkcode DecodeCaps} limit or is malformed. */
export class FrameError extends RangeError {
  /** Which cap, or `"malformed"`. */
  readonly limit: "maxJsonBytes" | "maxArrayLength" | "maxStringLength" | "malformed";
  /** The value found (bytes, elements or code units), when it is a cap. */
  readonly found: number | undefined;
  /**
   * @param limit Which cap, or `"malformed"`.
   * @param detail What was found.
   * @param found The value found.
   */
  constructor(limit: FrameError["limit"], detail: string, found?: number) {
    super(detail);
    this.name = "FrameError";
    this.limit = limit;
    this.found = found;
  }
}

/**
 * Decodes a frame body (without its 4-byte length prefix). Typed arrays are views on `body`
 * when aligned, copies otherwise.
 *
 * @throws {FrameError} for a malformed body or a broken cap.
 *
 * @example Usage
 * ```ts
 * import { decodeBody, encodeFrame } from "./_protocol.ts";
 * const f = encodeFrame({ a: new Float64Array([1, 2]) });
 * (decodeBody(f.subarray(4)) as { a: Float64Array }).a[1]; // 2
 * ```
 */
export function decodeBody(body: Uint8Array, caps: DecodeCaps = {}): unknown {
  if (body.byteLength < 4) throw new FrameError("malformed", "a frame body shorter than 4 bytes");
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const jsonLength = view.getUint32(0, true);
  if (caps.maxJsonBytes !== undefined && jsonLength > caps.maxJsonBytes) {
    throw new FrameError(
      "maxJsonBytes",
      `its message holds ${jsonLength} bytes of JSON (metadata and strings), above the limit of ` +
        `${caps.maxJsonBytes}`,
      jsonLength,
    );
  }
  if (4 + jsonLength > body.byteLength) {
    throw new FrameError("malformed", "a frame whose JSON part runs past its end");
  }
  const start = pad8(4 + jsonLength);
  const attachments = body.subarray(Math.min(start, body.byteLength));
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body.subarray(4, 4 + jsonLength));
  } catch {
    throw new FrameError("malformed", "a frame whose JSON part is not UTF-8");
  }
  const maxStr = caps.maxStringLength;
  try {
    return JSON.parse(text, (k, v: unknown) => {
      if (maxStr !== undefined) {
        if (typeof v === "string" && v.length > maxStr) {
          throw new FrameError(
            "maxStringLength",
            `a string of ${v.length} characters${k ? ` (at key "${k}")` : ""}, above the limit ` +
              `of ${maxStr}`,
            v.length,
          );
        }
        if (k.length > maxStr) {
          throw new FrameError(
            "maxStringLength",
            `a key of ${k.length} characters, above the limit of ${maxStr}`,
            k.length,
          );
        }
      }
      if (v !== null && typeof v === "object" && TA_KEY in v) {
        return typedArrayOf((v as Record<string, unknown>)[TA_KEY], attachments, caps);
      }
      return v;
    });
  } catch (e) {
    if (e instanceof FrameError) throw e;
    throw new FrameError("malformed", `a frame whose JSON part does not parse: ${e}`);
  }
}

function typedArrayOf(ref: unknown, attachments: Uint8Array, caps: DecodeCaps): unknown {
  if (!Array.isArray(ref) || ref.length !== 3) {
    throw new FrameError("malformed", "a malformed typed-array placeholder");
  }
  const [name, at, length] = ref as [unknown, unknown, unknown];
  const Ctor = typeof name === "string" ? TYPED[name] : undefined;
  if (
    !Ctor || !Number.isSafeInteger(at) || !Number.isSafeInteger(length) || (at as number) < 0 ||
    (length as number) < 0
  ) {
    throw new FrameError("malformed", "a malformed typed-array placeholder");
  }
  const n = length as number, off = at as number;
  if (caps.maxArrayLength !== undefined && n > caps.maxArrayLength) {
    throw new FrameError(
      "maxArrayLength",
      `an array of ${n} elements, above the limit of ${caps.maxArrayLength}`,
      n,
    );
  }
  const bytes = n * Ctor.BYTES_PER_ELEMENT;
  if (off + bytes > attachments.byteLength) {
    throw new FrameError("malformed", "a typed array that runs past the end of its frame");
  }
  const abs = attachments.byteOffset + off;
  if (abs % Ctor.BYTES_PER_ELEMENT === 0) {
    return new Ctor(attachments.buffer as ArrayBuffer, abs, n);
  }
  return new Ctor(attachments.slice(off, off + bytes).buffer, 0, n);
}

/**
 * Reads frames from a byte stream, checking each length prefix against `maxBodyBytes` before it
 * allocates the body.
 *
 * @example Usage
 * ```ts
 * import { encodeFrame, FrameReader } from "./_protocol.ts";
 * const stream = ReadableStream.from([encodeFrame({ type: "ready" })]);
 * const body = await new FrameReader(stream, 1024).next(); // Uint8Array, or null at the end
 * ```
 */
export class FrameReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #max: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;

  /**
   * @param stream The byte stream (a child's stdout, or stdin inside the child).
   * @param maxBodyBytes Largest body accepted, bytes.
   */
  constructor(stream: ReadableStream<Uint8Array>, maxBodyBytes: number) {
    this.#reader = stream.getReader();
    this.#max = maxBodyBytes;
  }

  /**
   * The next frame's body, or `null` when the stream ended cleanly between frames.
   *
   * @throws {FrameTooLargeError} when a length prefix is above the cap (nothing allocated).
   * @throws {FrameError} when the stream ends inside a frame.
   */
  async next(): Promise<Uint8Array | null> {
    const head = await this.#take(4);
    if (head === null) return null;
    const n = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
    if (n > this.#max) throw new FrameTooLargeError(n, this.#max);
    const body = this.#buffered >= n ? await this.#take(n) : await this.#fill(n);
    if (body === null) throw new FrameError("malformed", "the stream ended inside a frame");
    return body;
  }

  /**
   * A body not yet all read: allocated once, and filled as chunks arrive, so that a large
   * frame (a survey of millions of readings) is not held twice, as chunks and as their copy.
   */
  async #fill(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let at = 0;
    while (this.#chunks.length > 0) {
      const c = this.#chunks.shift()!;
      out.set(c, at);
      at += c.byteLength;
    }
    this.#buffered = 0;
    while (at < n) {
      const { value, done } = await this.#reader.read();
      if (done) throw new FrameError("malformed", "the stream ended inside a frame");
      const take = Math.min(value.byteLength, n - at);
      out.set(value.subarray(0, take), at);
      at += take;
      if (take < value.byteLength) {
        this.#chunks.push(value.subarray(take));
        this.#buffered = value.byteLength - take;
      }
    }
    return out;
  }

  /** Releases the stream. */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }

  async #take(n: number): Promise<Uint8Array | null> {
    while (this.#buffered < n) {
      const { value, done } = await this.#reader.read();
      if (done) {
        if (this.#buffered === 0) return null;
        throw new FrameError("malformed", "the stream ended inside a frame");
      }
      if (value.byteLength === 0) continue;
      this.#chunks.push(value);
      this.#buffered += value.byteLength;
    }
    // One chunk holds it all: no copy.
    if (this.#chunks[0].byteLength >= n) {
      const first = this.#chunks[0];
      const out = first.subarray(0, n);
      if (first.byteLength === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      this.#buffered -= n;
      // A body is decoded into typed-array views: give it its own buffer so that views are
      // aligned and the rest of the chunk can be freed.
      return n === 4 ? out : out.slice();
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.#chunks[0];
      const take = Math.min(c.byteLength, n - at);
      out.set(c.subarray(0, take), at);
      at += take;
      if (take === c.byteLength) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(take);
    }
    this.#buffered -= n;
    return out;
  }
}

/** A frame's length prefix is above the reader's cap; its body was not read. */
export class FrameTooLargeError extends RangeError {
  /** Declared body length, bytes. */
  readonly declared: number;
  /** The cap, bytes. */
  readonly max: number;
  /**
   * @param declared Declared body length, bytes.
   * @param max The cap, bytes.
   */
  constructor(declared: number, max: number) {
    super(`a message of ${declared} bytes, above the limit of ${max}`);
    this.name = "FrameTooLargeError";
    this.declared = declared;
    this.max = max;
  }
}
