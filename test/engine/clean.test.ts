import { describe, expect, it } from 'vitest';
import { dropNulls } from '../../src/engine/clean.js';
import { partitionRows, selectRows } from '../../src/engine/columns.js';
import { assembleFeatures } from '../../src/engine/features/assemble.js';
import type { LabelledColumns } from '../../src/engine/types.js';

function table(rsi: number[], next: number[]): LabelledColumns {
  const n = rsi.length;
  return {
    day: Int32Array.from({ length: n }, (_, i) => 18000 + i),
    price: Float64Array.from({ length: n }, (_, i) => 1 + i),
    volume: Float64Array.from({ length: n }, (_, i) => 100 * (i + 1)),
    marketCap: Float64Array.from({ length: n }, (_, i) => (i === 2 ? 0 : 1000 * (i + 1))),
    rsi: Float64Array.from(rsi),
    nextPrice: Float64Array.from(next),
  };
}

describe('dropNulls', () => {
  it('drops rows with a NaN rsi or next price and keeps the rest in order, every column', () => {
    const t = table([NaN, NaN, 40, 55, 60], [2, 3, 4, 5, NaN]);
    const out = dropNulls(t);
    expect(Array.from(out.day)).toEqual([18002, 18003]);
    expect(Array.from(out.price)).toEqual([3, 4]);
    expect(Array.from(out.marketCap)).toEqual([0, 4000]); // a zero market cap is a number, kept
    expect(Array.from(out.rsi)).toEqual([40, 55]);
    expect(Array.from(out.nextPrice)).toEqual([4, 5]);
    expect(out.day).toBeInstanceOf(Int32Array);
  });
  it('returns an empty table when every row has a null', () => {
    expect(dropNulls(table([NaN, NaN], [1, NaN])).price.length).toBe(0);
  });
});

describe('selectRows', () => {
  it('selects the rows whose mask equals the wanted value', () => {
    const t = table([1, 2, 3, 4], [5, 6, 7, 8]);
    const mask = Uint8Array.of(1, 0, 0, 1);
    expect(Array.from(selectRows(t, mask, 1).rsi)).toEqual([1, 4]);
    expect(Array.from(selectRows(t, mask, 0).rsi)).toEqual([2, 3]);
    expect(selectRows(t, mask, 0).day).toBeInstanceOf(Int32Array);
  });
  it('gives one run of rows as views of the table, not copies', () => {
    const t = table([1, 2, 3, 4], [5, 6, 7, 8]);
    const out = selectRows(t, Uint8Array.of(0, 1, 1, 0));
    expect(Array.from(out.rsi)).toEqual([2, 3]);
    expect(out.rsi.buffer).toBe(t.rsi.buffer);
    expect(selectRows(t, Uint8Array.of(0, 0, 0, 0)).price.length).toBe(0);
  });
  it('partitions rows by two labels in one pass, each part as selectRows gives it', () => {
    const t = table([1, 2, 3, 4, 5, 6], [5, 6, 7, 8, 9, 10]);
    const roles = Uint8Array.of(1, 0, 1, 1, 2, 0);
    const [first, second] = partitionRows(t, roles, 1, 0);
    expect(first).toEqual(selectRows(t, roles, 1));
    expect(second).toEqual(selectRows(t, roles, 0));
    expect(Array.from(first.day)).toEqual([18000, 18002, 18003]);
    expect(Array.from(second.nextPrice)).toEqual([6, 10]);
    expect(second.day).toBeInstanceOf(Int32Array);
  });
});

describe('assembleFeatures', () => {
  it('orders the vector price, volume, marketCap, rsi (docs/features.md#the-default-features)', () => {
    const t = table([7, 8], [1, 2]);
    const [price, volume, marketCap, rsi] = assembleFeatures(t);
    expect(price).toBe(t.price);
    expect(volume).toBe(t.volume);
    expect(marketCap).toBe(t.marketCap);
    expect(rsi).toBe(t.rsi);
  });
});
