/**
 * Decimal numbers parsed straight from bytes (internal): shared by the table, ASEG-GDF2 and
 * Geosoft XYZ readers.
 *
 * @module
 */

const SP = 32, TAB = 9;

const POW10 = [
  1e0,
  1e1,
  1e2,
  1e3,
  1e4,
  1e5,
  1e6,
  1e7,
  1e8,
  1e9,
  1e10,
  1e11,
  1e12,
  1e13,
  1e14,
  1e15,
  1e16,
  1e17,
  1e18,
  1e19,
  1e20,
  1e21,
  1e22,
];

/**
 * Parses bytes[s..e) (surrounding blanks allowed) as a decimal number. Returns undefined when
 * it is not a number. Fast path: <= 15 significant digits and |decimal exponent| <= 22, where
 * `mantissa * 10^k` or `mantissa / 10^k` of two exact doubles is correctly rounded (Clinger).
 */
export function parseNumber(bytes: Uint8Array, s: number, e: number): number | undefined {
  while (s < e && (bytes[s] === SP || bytes[s] === TAB)) s++;
  while (e > s && (bytes[e - 1] === SP || bytes[e - 1] === TAB)) e--;
  if (s >= e) return undefined;
  let i = s;
  let neg = false;
  let c = bytes[i];
  if (c === 45 || c === 43) {
    neg = c === 45;
    i++;
  }
  let mant = 0;
  let digits = 0;
  let scale = 0;
  let any = false;
  while (i < e && (c = bytes[i]) >= 48 && c <= 57) {
    if (digits > 0 || c !== 48) digits++;
    mant = mant * 10 + (c - 48);
    any = true;
    i++;
  }
  if (i < e && bytes[i] === 46) {
    i++;
    while (i < e && (c = bytes[i]) >= 48 && c <= 57) {
      if (digits > 0 || c !== 48) digits++;
      mant = mant * 10 + (c - 48);
      scale--;
      any = true;
      i++;
    }
  }
  if (!any) return slowNumber(bytes, s, e);
  if (i < e && (bytes[i] | 0x20) === 101) {
    i++;
    let eneg = false;
    if (i < e && (bytes[i] === 45 || bytes[i] === 43)) {
      eneg = bytes[i] === 45;
      i++;
    }
    let ex = 0;
    const es = i;
    while (i < e && (c = bytes[i]) >= 48 && c <= 57 && ex < 100000) {
      ex = ex * 10 + (c - 48);
      i++;
    }
    if (i === es) return undefined;
    scale += eneg ? -ex : ex;
  }
  if (i !== e) return undefined;
  if (digits > 15 || scale < -22 || scale > 22) return slowNumber(bytes, s, e);
  const v = scale < 0 ? mant / POW10[-scale] : mant * POW10[scale];
  return neg ? -v : v;
}

function slowNumber(bytes: Uint8Array, s: number, e: number): number | undefined {
  let text = "";
  for (let i = s; i < e; i++) text += String.fromCharCode(bytes[i]);
  if (/^[+-]?nan$/i.test(text)) return NaN;
  if (/^[+-]?inf(inity)?$/i.test(text)) return undefined;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
