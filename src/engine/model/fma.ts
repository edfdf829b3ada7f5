/**
 * Fused multiply-add: `fma(a, b, c)` = a·b + c rounded once (IEEE 754 fusedMultiplyAdd, Java's
 * `Math.fma`). JavaScript has no `Math.fma`, and Spark needs one: on Java 11+ its small-vector BLAS
 * (`dev.ludovic.netlib.blas.Java11BLAS`) computes `daxpy` as `y[i] = Math.fma(alpha, x[i], y[i])`
 * and `ddot` with `Math.fma`, so reproducing Spark's sums bit for bit means rounding the same way.
 *
 * Fast path (no allocation, a few dozen flops): Boldo & Melquiond, "Emulation of FMA and
 * correctly rounded sums: proved algorithms using rounding to odd", IEEE Trans. Computers 57(4),
 * 2008, Algorithm 5: (uh, ul) = ExactMult(a, b) (Dekker/Veltkamp), (th, tl) = TwoSum(c, uh),
 * v = RO(tl + ul) (round to odd), result = RN(th + v); the round to odd is replaced by a check for
 * the one case it decides, th + RN(tl + ul) exactly halfway between two doubles (see below). Inputs outside the range where the error-free
 * transformations are exact (huge or tiny magnitudes, non-finite values) take an exact BigInt path.
 */

const SPLITTER = 134217729; // 2^27 + 1, Veltkamp's constant for binary64
const FAST_MAX = 2 ** 900;
const FAST_MIN = 2 ** -900;

// Scratch view for reading and stepping the bits of a double (round to odd).
const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = LITTLE_ENDIAN ? 1 : 0;

/** a·b + c with a single rounding to nearest, ties to even. */
export function fma(a: number, b: number, c: number): number {
  const uh = a * b;
  const absUh = Math.abs(uh);
  if (
    !(absUh < FAST_MAX && Math.abs(c) < FAST_MAX && Math.abs(a) < FAST_MAX && Math.abs(b) < FAST_MAX) ||
    (absUh < FAST_MIN && a !== 0 && b !== 0)
  ) {
    return fmaExact(a, b, c);
  }
  if (uh === 0) return uh + c; // a or b is zero: IEEE rules for the sign of zero
  // ExactMult: uh + ul = a * b exactly.
  const ul = twoProductError(a, b, uh);
  // TwoSum: th + tl = c + uh exactly.
  const th = c + uh;
  let bb = th - c;
  const tl = c - (th - bb) + (uh - bb);
  // v = RN(tl + ul) and its error: the exact result is th + v + err.
  const v = tl + ul;
  bb = v - tl;
  const err = tl - (v - bb) + (ul - bb);
  const r = th + v;
  if (err === 0) return r;
  // v's error is far below half an ulp of r (|v| is at most about an ulp of th), so it changes the
  // rounding only when th + v is exactly halfway between r and its neighbour r + 2·e2 (e2 the error
  // of r): then the exact result lies past the midpoint when err points the same way. This is the
  // rounding the paper's RN(th + RO(tl + ul)) gives, without reading v's bits.
  bb = r - th;
  const e2 = th - (r - bb) + (v - bb);
  if (e2 === 0) return r;
  const w = 2 * e2;
  if (r + w - r !== w) return r;
  return err > 0 === e2 > 0 ? r + w : r;
}

/** The exact path: a·b + c in BigInt, rounded once. Also handles NaN and infinities. */
export function fmaExact(a: number, b: number, c: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) return a * b + c;
  if (a === 0 || b === 0) return a * b + c;
  const [ma, ea] = decompose(a);
  const [mb, eb] = decompose(b);
  const [mc, ec] = decompose(c);
  let product = ma * mb;
  const productExp = ea + eb;
  if (mc === 0n) return roundScaled(product, productExp, a * b);
  const e = Math.min(productExp, ec);
  product <<= BigInt(productExp - e);
  const addend = mc << BigInt(ec - e);
  const sum = product + addend;
  if (sum === 0n) return 0; // exact cancellation rounds to +0 (round to nearest)
  return roundScaled(sum, e, 0);
}

/** x = m · 2^e exactly, m a signed BigInt. */
function decompose(x: number): [bigint, number] {
  if (x === 0) return [0n, 0];
  scratch[0] = x;
  const hi = scratchWords[HI];
  const lo = scratchWords[LO];
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exponent: number;
  if (biased === 0) {
    exponent = -1074;
  } else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  return [hi >>> 31 ? -mantissa : mantissa, exponent];
}

/** Round s · 2^e (s ≠ 0) to the nearest double, ties to even; `zeroSign` gives the sign of a zero. */
function roundScaled(s: bigint, e: number, zeroSign: number): number {
  if (s === 0n) return zeroSign;
  const negative = s < 0n;
  let magnitude = negative ? -s : s;
  const bits = magnitude.toString(2).length;
  // Exponent of the result's last place: 53 significant bits, but never below the subnormal unit.
  const ulpExp = Math.max(e + bits - 53, -1074);
  const shift = ulpExp - e;
  let scaleExp = e;
  if (shift > 0) {
    const big = BigInt(shift);
    const quotient = magnitude >> big;
    const remainder = magnitude - (quotient << big);
    const half = 1n << (big - 1n);
    magnitude = quotient;
    if (remainder > half || (remainder === half && (quotient & 1n) === 1n)) magnitude += 1n;
    scaleExp = ulpExp;
  }
  // magnitude ≤ 2^53: exact as a Number; the power-of-two scaling is exact unless it overflows.
  let result = Number(magnitude);
  if (scaleExp > 1023) result = result * 2 ** 1023 * 2 ** (scaleExp - 1023);
  else if (scaleExp < -1022) result = result * 2 ** -1022 * 2 ** (scaleExp + 1022);
  else result *= 2 ** scaleExp;
  return negative ? -result : result;
}

/**
 * Dekker's TwoProduct: the exact error a·b − p of p = RN(a·b) (no overflow in the split). Shared with
 * the decimal parser (decimal.ts), which needs the same exact product.
 */
export function twoProductError(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}
