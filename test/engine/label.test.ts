import { describe, expect, it } from 'vitest';
import { nextPrice } from '../../src/engine/label.js';

describe('nextPrice (lead(price) over date order)', () => {
  it('shifts prices up by one row and leaves the last row null (NaN)', () => {
    const next = nextPrice(Float64Array.of(10, 11, 9.5, 12));
    expect(Array.from(next.subarray(0, 3))).toEqual([11, 9.5, 12]);
    expect(Number.isNaN(next[3])).toBe(true);
  });
  it('handles one row and no rows', () => {
    expect(Number.isNaN(nextPrice(Float64Array.of(5))[0])).toBe(true);
    expect(nextPrice(new Float64Array(0)).length).toBe(0);
  });
  it('does not modify its input', () => {
    const price = Float64Array.of(1, 2, 3);
    nextPrice(price);
    expect(Array.from(price)).toEqual([1, 2, 3]);
  });
});
