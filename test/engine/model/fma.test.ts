import { describe, expect, it } from 'vitest';
import { fma, fmaExact } from '../../../src/engine/model/fma.js';

/** Exact a·b + c as a rational m·2^e, then correctly rounded by an independent route (a decimal
 * string of the exact value parsed by Number(), which rounds to nearest, ties to even). */
function fmaByDecimal(a: number, b: number, c: number): number {
  const toFraction = (x: number): [bigint, bigint] => {
    // x = num / 2^k exactly; x has at most 1074 fractional binary digits.
    let k = 0n;
    let v = x;
    while (!Number.isInteger(v)) {
      v *= 2;
      k++;
    }
    return [BigInt(v), k];
  };
  const [na, ka] = toFraction(a);
  const [nb, kb] = toFraction(b);
  const [nc, kc] = toFraction(c);
  const kp = ka + kb;
  const k = kp > kc ? kp : kc;
  const num = na * nb * (1n << (k - kp)) + nc * (1n << (k - kc));
  // num / 2^k = num * 5^k / 10^k: an exact decimal.
  const scaled = num * 5n ** k;
  const negative = scaled < 0n;
  let digits = (negative ? -scaled : scaled).toString();
  const places = Number(k);
  if (digits.length <= places) digits = '0'.repeat(places - digits.length + 1) + digits;
  const text = `${negative ? '-' : ''}${digits.slice(0, digits.length - places)}.${digits.slice(digits.length - places) || '0'}`;
  return Number(text);
}

/** Deterministic pseudo-random doubles with a spread of exponents (test input only). */
function* doubles(count: number, seed: number): Generator<number> {
  let x = seed >>> 0;
  const next = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let i = 0; i < count; i++) {
    const sign = next() < 0.5 ? -1 : 1;
    yield sign * (1 + next()) * 2 ** Math.floor(next() * 80 - 40);
  }
}

describe('fma (a·b + c rounded once)', () => {
  it('keeps the low bits a separate multiply and add would lose', () => {
    const e = 2 ** -30;
    // (1 + e)(1 - e) - 1 = -e² exactly; a*b rounds to 1 first and gives 0.
    expect((1 + e) * (1 - e) - 1).toBe(0);
    expect(fma(1 + e, 1 - e, -1)).toBe(-(e * e));
    expect(fma(0.1, 10, -1)).toBe(fmaByDecimal(0.1, 10, -1));
    expect(fma(0.1, 10, -1)).not.toBe(0);
  });

  it('agrees with exact rational arithmetic on random inputs, including near-cancellation', () => {
    const xs = [...doubles(3000, 12345)];
    for (let i = 0; i + 2 < xs.length; i += 3) {
      const [a, b, c] = [xs[i], xs[i + 1], xs[i + 2]];
      expect(fma(a, b, c)).toBe(fmaByDecimal(a, b, c));
      const cancel = -(a * b) + c * 2 ** -60; // c close to -a·b: the hard case
      expect(fma(a, b, cancel)).toBe(fmaByDecimal(a, b, cancel));
    }
  });

  it('rounds exact halfway cases to even', () => {
    // (1 + 2^-52)(1 + 2^-52) = 1 + 2^-51 + 2^-104; adding -2^-104 leaves 1 + 2^-51 exactly,
    // and adding 2^-53 - 2^-104 lands exactly halfway between 1 + 2^-51 and 1 + 3·2^-52.
    const u = 1 + 2 ** -52;
    expect(fma(u, u, -(2 ** -104))).toBe(1 + 2 ** -51);
    expect(fma(u, u, 2 ** -53 - 2 ** -104)).toBe(fmaByDecimal(u, u, 2 ** -53 - 2 ** -104));
  });

  it('rounds past the midpoint when th + RN(tl + ul) is exactly halfway and its error points past it', () => {
    // a·b = 0.5 + 2^-54 − 2^-106: uh = 0.5, ul = 2^-54 − 2^-106; c + uh is halfway between 2^52 + 2 and
    // 2^52 + 3, tl + ul rounds to exactly 0.5, and only the error of that rounding says "round up".
    const a = 1 + 2 ** -52;
    const b = 0.5 - 2 ** -54;
    expect(fma(a, b, 2 ** 52 + 2)).toBe(2 ** 52 + 3);
    expect(fma(-a, b, -(2 ** 52 + 2))).toBe(-(2 ** 52 + 3));
    // The same family, scaled and signed: ties and near-ties either way, against exact arithmetic.
    const xs = [...doubles(1500, 777)];
    for (let i = 0; i + 2 < xs.length; i += 3) {
      const [r1, r2, r3] = [xs[i], xs[i + 1], xs[i + 2]];
      const s1 = Math.floor(Math.abs(r1) * 7) % 40 - 20;
      const s2 = Math.floor(Math.abs(r2) * 11) % 40 - 20;
      const ka = 1 + (Math.floor(Math.abs(r3) * 13) % 4);
      const aa = Math.sign(r1) * (1 + ka * 2 ** -52) * 2 ** s1;
      const bb = (0.5 + Math.sign(r2) * 2 ** -54) * 2 ** s2;
      const t = (2 ** 52 + (Math.floor(Math.abs(r3) * 1e6) % 1000)) * Math.sign(r1) * 2 ** (s1 + s2);
      expect(fma(aa, bb, t)).toBe(fmaByDecimal(aa, bb, t));
    }
  });

  it('takes the exact path for huge, tiny and special values', () => {
    expect(fma(2 ** 1000, 2 ** 20, -(2 ** 1020))).toBe(0);
    expect(fma(2 ** -600, 2 ** -500, 2 ** -1074)).toBe(fmaByDecimal(2 ** -600, 2 ** -500, 2 ** -1074));
    expect(fma(2 ** -537, 2 ** -537, 0)).toBe(2 ** -1074);
    expect(fma(Infinity, 0, 1)).toBeNaN();
    expect(fma(Infinity, 2, 1)).toBe(Infinity);
    expect(Object.is(fma(-0, 1, 0), 0)).toBe(true);
    expect(Object.is(fma(-0, 1, -0), -0)).toBe(true);
    expect(fmaExact(3, 5, 7)).toBe(22);
  });
});
