/**
 * Decimal text → double, exactly as `Number(text)` rounds it (docs/input.md#decimals), for a field of a
 * larger byte buffer (`bytes[start, end)`), without creating the field's string. Returns NaN when the
 * field is not the CSV reader's decimal grammar `^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$` (csv.ts
 * `DECIMAL`).
 *
 * Why hand-written: ingest is the engine's bottleneck, and `Number(text.slice(a, b))` costs ~150 ns a
 * field. Most fields are what `String(x)` writes: 15-17 significant digits and a decimal exponent
 * within ±22. With W the significant digits as an integer and q the decimal exponent:
 *
 *   1. Clinger's fast path: when W < 2^53 (every 15-digit mantissa, many 16- and 17-digit ones) and
 *      |q| <= 22, W and 10^|q| are exact doubles, so the one IEEE division or product `W / 10^-q`,
 *      `W · 10^q` is the correctly rounded result.
 *   2. Otherwise, for up to 19 digits (W < 2^64, what fast_float's Eisel–Lemire path takes): W is held
 *      exactly as a double-double wh + wl, W · 10^q is carried to ~2^-100 relative error as h + l with
 *      h = RN(h + l) (error-free transformations: Dekker's product, Knuth's and Fast2Sum), and h is the
 *      answer when rounding both ends of an interval around h + l wider than that error gives h
 *      (rounding is monotonic, so every value inside, the true one included, rounds to h).
 *   3. The rest (more than 19 digits, |q| > 22, the rare interval that straddles a midpoint between two
 *      doubles: ties and near-ties) falls back to `Number()` on the field's text.
 * The digits are read four at a time where they can be (one check and four independent products), which
 * shortens the dependency chain of the digit loop; the exact double-double is only built for the fields
 * that need it, in a second pass over their digits.
 * test/engine/ingest/decimal.test.ts checks it against `Number()` on millions of random fields and on
 * hard cases.
 *
 * parseDecimal(Buffer.from('x,1.25,y'), 2, 6) === 1.25
 */

/** 10^0 … 10^22: the powers of ten that are exact doubles (5^22 < 2^53). */
const POWERS_OF_TEN = Float64Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** Each power split in two halves of 26 bits for Dekker's exact product (Veltkamp's split, done once). */
const SPLITTER = 134217729; // 2^27 + 1
const POWER_HIGH = POWERS_OF_TEN.map((p) => SPLITTER * p - (SPLITTER * p - p));
const POWER_LOW = POWERS_OF_TEN.map((p, k) => p - POWER_HIGH[k]);
/** 1 / 10^k rounded: the tail of a quotient is small enough that its own rounding error is negligible. */
const RECIPROCAL = POWERS_OF_TEN.map((p) => 1 / p);
/** Half-width of the interval around h + l, relative to h: far wider than the ~2^-100 error of step 2. */
const ERROR_BOUND = 2 ** -90;
const TWO_53 = 2 ** 53;
const TWO_32 = 2 ** 32;
const MAX_EXACT_DIGITS = 15;
const MAX_DIGITS = 19;
const MAX_EXACT_POWER = 22;

const ZERO = 48;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const LOWER_E = 101;
const UPPER_E = 69;

/**
 * `Number(text)` of the field `bytes[start, end)` (ASCII) when it is the decimal grammar, else NaN.
 * Bytes rather than a string: a typed-array load is cheaper than `charCodeAt`, and the scanner has the
 * bytes at hand.
 */
export function parseDecimal(bytes: Uint8Array, start: number, end: number): number {
  return scanDecimal(bytes, start, end) === end ? decimalValue[0] : NaN;
}

/**
 * The value the last scanDecimal read. A typed array, not the return value: a double returned from a
 * call that is not inlined (scanDecimal is too large to be) is boxed, an allocation per field.
 */
export const decimalValue = new Float64Array(1);
let decimalEnd = 0;

/**
 * The longest decimal of the grammar that starts at `bytes[start]` and ends by `limit`: its end (the
 * byte after it), its value, `Number(text)` of it, in `decimalValue[0]` (NaN when no decimal starts
 * there, or an exponent marker has no digits). The CSV scanner reads a field and finds the byte after it
 * (a comma, the line's end) in one pass; a field whose decimal is not followed by one is not plainly valid.
 */
export function scanDecimal(bytes: Uint8Array, start: number, limit: number): number {
  const end = limit;
  let i = start;
  let negative = false;
  let c = i < end ? bytes[i] : -1;
  if (c === PLUS || c === MINUS) {
    negative = c === MINUS;
    i++;
  }
  const integerStart = i;
  while (i < end && bytes[i] === ZERO) i++; // leading zeros: not significant
  // The significant digits W accumulate in w, exact while w < 2^53, and W mod 2^32 in low (int32
  // arithmetic wraps): together they give W exactly up to 2^64 (step 2).
  let w = 0;
  let low = 0;
  // The digits before the dot, then (second pass) those after it.
  let fractionStart = -1;
  let significant = 0;
  for (;;) {
    const from = i;
    // Four digits at a time: each byte minus '0' is a digit 0-9 exactly when neither it nor it + 6 has
    // a bit above the lowest four (a byte below '0' is negative).
    while (i + 4 <= end) {
      const d0 = bytes[i] - ZERO;
      const d1 = bytes[i + 1] - ZERO;
      const d2 = bytes[i + 2] - ZERO;
      const d3 = bytes[i + 3] - ZERO;
      if (((d0 | d1 | d2 | d3 | (d0 + 6) | (d1 + 6) | (d2 + 6) | (d3 + 6)) & ~15) !== 0) break;
      const v = d0 * 1000 + d1 * 100 + d2 * 10 + d3;
      w = w * 10000 + v;
      low = (Math.imul(low, 10000) + v) | 0;
      i += 4;
    }
    for (; i < end; i++) {
      const d = bytes[i] - ZERO;
      if (d >>> 0 > 9) break;
      w = w * 10 + d;
      low = (Math.imul(low, 10) + d) | 0;
    }
    significant += i - from;
    if (fractionStart >= 0 || i >= end || bytes[i] !== DOT) break;
    i++;
    fractionStart = i;
    if (significant === 0) while (i < end && bytes[i] === ZERO) i++; // 0.000…: zeros before the first significant digit
  }
  const mantissaEnd = i;
  const mantissaDigits = fractionStart < 0 ? i - integerStart : i - integerStart - 1;
  decimalEnd = i;
  if (mantissaDigits === 0) return found(NaN);
  let exponent = 0;
  c = i < end ? bytes[i] : -1;
  if (c === LOWER_E || c === UPPER_E) {
    i++;
    let exponentNegative = false;
    c = i < end ? bytes[i] : -1;
    if (c === PLUS || c === MINUS) {
      exponentNegative = c === MINUS;
      i++;
    }
    const exponentStart = i;
    for (; i < end; i++) {
      const d = bytes[i] - ZERO;
      if (d >>> 0 > 9) break;
      if (exponent < 1e6) exponent = exponent * 10 + d;
    }
    decimalEnd = i;
    if (i === exponentStart) return found(NaN);
    if (exponentNegative) exponent = -exponent;
  }
  if (significant === 0) return found(negative ? -0 : 0);
  if (significant > MAX_DIGITS) return found(viaNumber(bytes, start, decimalEnd));
  // value = W · 10^q
  const q = (fractionStart < 0 ? 0 : fractionStart - mantissaEnd) + exponent;
  if (q > MAX_EXACT_POWER || q < -MAX_EXACT_POWER) return found(viaNumber(bytes, start, decimalEnd));

  // 1. Clinger's fast path: W exact (w < 2^53 means no step of the digit loop rounded).
  if (significant <= MAX_EXACT_DIGITS || w < TWO_53) {
    const x = q < 0 ? w / POWERS_OF_TEN[-q] : w * POWERS_OF_TEN[q];
    return found(negative ? -x : x);
  }

  // 2. W exactly as wh + wl. The digit loop's roundings (only in its last few steps, above 2^53) leave
  // w within 2^13 of W, so the difference is the signed 32-bit difference of W mod 2^32 and w mod 2^32
  // (w is an integer here); Fast2Sum renormalises w + difference exactly (|w| is far the larger).
  const difference = (low - (w - Math.floor(w / TWO_32) * TWO_32)) | 0;
  const wh = w + difference;
  const wl = difference - (wh - w);
  if (q === 0) return found(negative ? -wh : wh); // wh = RN(W)

  // W · 10^q as h + l.
  const power = POWERS_OF_TEN[q < 0 ? -q : q];
  const powerHigh = POWER_HIGH[q < 0 ? -q : q];
  const powerLow = POWER_LOW[q < 0 ? -q : q];
  let h: number;
  let l: number;
  if (q < 0) {
    const q1 = wh / power;
    const p = q1 * power;
    const pe = productError(q1, powerHigh, powerLow, p);
    const remainder = wh - p - pe + wl;
    const q2 = remainder * RECIPROCAL[-q]; // the quotient's tail needs only ~2^-52 relative accuracy
    h = q1 + q2;
    l = q2 - (h - q1);
  } else {
    const p = wh * power;
    const pe = productError(wh, powerHigh, powerLow, p);
    const t = pe + wl * power;
    h = p + t;
    l = t - (h - p);
  }

  // 3. Both ends of [h + l - e, h + l + e] round to h: so does the true value, inside it.
  const e = h * ERROR_BOUND;
  if (h + (l + e) !== h || h + (l - e) !== h) return found(viaNumber(bytes, start, decimalEnd));
  return found(negative ? -h : h);
}

/** A value scanDecimal read: stored (unboxed), and its end returned. Small enough to be inlined. */
function found(value: number): number {
  decimalValue[0] = value;
  return decimalEnd;
}

/** x·P - p exactly (Dekker's product, P pre-split as high + low), where p = RN(x·P). */
function productError(x: number, high: number, low: number, p: number): number {
  const t = SPLITTER * x;
  const xh = t - (t - x);
  const xl = x - xh;
  return xh * high - p + xh * low + xl * high + xl * low;
}

/** The platform's conversion, for what the fast paths do not decide (the field is ASCII: checked). */
function viaNumber(bytes: Uint8Array, start: number, end: number): number {
  return Number(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1'));
}
