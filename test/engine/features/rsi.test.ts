import { describe, expect, it } from 'vitest';
import { rsi } from '../../../src/engine/features/indicators/momentum.js';

const isNull = (v: number) => Number.isNaN(v);

describe('rsi (ta.momentum.RSIIndicator(close, window).rsi())', () => {
  it('is null for the first window - 1 rows and 100 on a strictly rising series', () => {
    const price = Float64Array.from({ length: 20 }, (_, i) => 1 + i * 0.5);
    const out = rsi(price);
    expect(Array.from(out.subarray(0, 13)).every(isNull)).toBe(true);
    // No down moves at all: emadn stays exactly 0, and ta returns 100 there.
    expect(Array.from(out.subarray(13))).toEqual(new Array(7).fill(100));
  });

  it('is 0 on a strictly falling series (emaup = 0, emadn > 0)', () => {
    const out = rsi(Float64Array.of(9, 8, 7, 6, 5), 3);
    expect(Array.from(out.subarray(2))).toEqual([0, 0, 0]);
  });

  it('is 100 on a flat series (emadn == 0, ta writes 100)', () => {
    const out = rsi(new Float64Array(6).fill(3.25), 4);
    expect(Array.from(out.subarray(3))).toEqual([100, 100, 100]);
  });

  it('matches a hand computation with window 2 (alpha = 1/2)', () => {
    // up:   0, 0.5*0+0.5*2 = 1, 0.5*1 = 0.5, 0.5*0.5+0.5*2 = 1.25
    // down: 0, 0,              0.5*1 = 0.5, 0.5*0.5       = 0.25
    const out = rsi(Float64Array.of(1, 3, 2, 4), 2);
    expect(isNull(out[0])).toBe(true);
    expect(out[1]).toBe(100); // down is still 0
    expect(out[2]).toBe(50); // up/down = 1
    expect(out[3]).toBeCloseTo(100 - 100 / 6, 12); // up/down = 5
  });

  it('matches a hand computation with window 4 (alpha = 1/4)', () => {
    // d = +1, -1, +2, -1
    // up:   0, .25, .1875, .140625 + .5 = .640625, .48046875
    // down: 0, 0,   .25,   .1875,                  .140625 + .25 = .390625
    const out = rsi(Float64Array.of(10, 11, 10, 12, 11), 4);
    expect(Array.from(out.subarray(0, 3)).every(isNull)).toBe(true);
    expect(out[3]).toBeCloseTo((100 * 0.640625) / (0.640625 + 0.1875), 12);
    expect(out[4]).toBeCloseTo((100 * 0.48046875) / (0.48046875 + 0.390625), 12);
  });

  it('reproduces ta 0.11.0 to the last bit, including repeated prices and window 3', () => {
    // Expected values printed by ta 0.11.0 on pandas 3.1.1 (Python), an independent source:
    //   ta.momentum.RSIIndicator(pd.Series(prices), window).rsi()
    // Window 3 is a case where pandas' alpha -> centre of mass -> alpha round trip changes alpha.
    const prices = [10, 10, 11, 11, 11, 10.5, 10.5, 12, 12, 12, 11, 13, 13, 12.25, 12.25, 14, 9, 9, 9.5];
    const ta3 = [
      NaN, NaN, 100.0, 100.0, 100.0, 37.20930232558141, 37.209302325581405, 88.01331853496116,
      88.01331853496116, 88.01331853496116, 31.205115592720134, 76.57129455909943, 76.57129455909943,
      49.197586132437145, 49.197586132437145, 82.34088904677495, 21.69158066219984, 21.691580662199826,
      32.82438266640132,
    ];
    expect(Array.from(rsi(Float64Array.from(prices), 3))).toEqual(ta3);

    const wilder = [
      44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.1, 45.42, 45.84, 46.08, 45.89, 46.03, 45.61, 46.28,
      46.28, 46.0, 46.03, 46.41, 46.22, 45.64,
    ];
    const ta14 = [
      ...new Array(13).fill(NaN), 71.80241065373282, 71.80241065373282, 65.18659892527093,
      65.55282196979275, 69.87561488969817, 65.45284830164374, 54.17929542054697,
    ];
    expect(Array.from(rsi(Float64Array.from(wilder)))).toEqual(ta14);
  });

  it('handles short inputs and window 1', () => {
    expect(rsi(new Float64Array(0)).length).toBe(0);
    expect(Array.from(rsi(Float64Array.of(1, 2, 3))).every(isNull)).toBe(true);
    // window 1: alpha = 1, every row counts, ema = the latest move.
    expect(Array.from(rsi(Float64Array.of(5, 6, 4), 1))).toEqual([100, 100, 0]);
  });

  it('rejects a window that is not a positive integer', () => {
    expect(() => rsi(Float64Array.of(1, 2), 0)).toThrow(RangeError);
    expect(() => rsi(Float64Array.of(1, 2), 2.5)).toThrow(RangeError);
  });

  it('does not modify its input', () => {
    const price = Float64Array.of(3, 1, 2);
    rsi(price, 2);
    expect(Array.from(price)).toEqual([3, 1, 2]);
  });
});
