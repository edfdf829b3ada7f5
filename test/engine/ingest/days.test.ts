/**
 * Sort + dedupe: ascending days, the LAST row in file order wins for a repeated day, the repeated
 * days reported. Hand-checked small cases, then a comparison with a plain Map-based reading of the
 * same rule on random data.
 */
import { describe, expect, it } from 'vitest';
import { sortAndDedupe } from '../../../src/engine/ingest/days.js';
import type { DailyColumns } from '../../../src/engine/types.js';

function table(day: number[], price: number[]): DailyColumns {
  return {
    day: Int32Array.from(day),
    price: Float64Array.from(price),
    // volume and marketCap carry the row's file position so that the row kept can be identified.
    volume: Float64Array.from(day, (_d, i) => i),
    marketCap: Float64Array.from(day, (_d, i) => 1000 + i),
  };
}

describe('sortAndDedupe', () => {
  it('reads a file already in date order in one pass, repeated days next to each other, as the general path does', () => {
    // Ascending with runs of 1-4 rows a day, and long runs of distinct days (copied run by run).
    const day: number[] = [];
    for (let d = 0; d < 300; d++) for (let r = 0; r < (d % 7 === 3 ? 1 + (d % 4) : 1); r++) day.push(1000 + d);
    const input = table(day, day.map((d, i) => d + i / 1000));
    const { columns, collapsedDays, fileRows } = sortAndDedupe(input);
    // The rule itself: each day's last row, ascending.
    const last = new Map<number, number>();
    day.forEach((d, i) => last.set(d, i));
    const kept = [...last.values()];
    expect(Array.from(fileRows)).toEqual(kept);
    expect(Array.from(columns.volume)).toEqual(kept);
    expect(Array.from(columns.day)).toEqual(kept.map((i) => day[i]));
    expect(Array.from(collapsedDays)).toEqual([...last.keys()].filter((d) => day.indexOf(d) !== last.get(d)));
    expect(columns.day).toBeInstanceOf(Int32Array);
    // One row out of order takes the general path: the same rows kept.
    const shuffled = table([day[1], day[0], ...day.slice(2)], [0, 0, ...day.slice(2)]);
    expect(Array.from(sortAndDedupe(shuffled).columns.day)).toEqual(Array.from(columns.day));
  });

  it('sorts ascending and keeps the last row of a repeated day', () => {
    // file positions:      0    1    2    3    4    5
    const input = table([30, 10, 20, 10, 30, 30], [3.0, 1.0, 2.0, 1.1, 3.1, 3.2]);
    const { columns, collapsedDays } = sortAndDedupe(input);
    expect(Array.from(columns.day)).toEqual([10, 20, 30]);
    expect(Array.from(columns.price)).toEqual([1.1, 2.0, 3.2]); // day 10 → row 3, day 30 → row 5
    expect(Array.from(columns.volume)).toEqual([3, 2, 5]);
    expect(Array.from(columns.marketCap)).toEqual([1003, 1002, 1005]);
    expect(Array.from(collapsedDays)).toEqual([10, 30]);
    expect(collapsedDays).toBeInstanceOf(Int32Array);
  });

  it('leaves sorted unique input as it is, and never modifies its input', () => {
    const input = table([1, 2, 5, 9], [1, 2, 5, 9]);
    const { columns, collapsedDays } = sortAndDedupe(input);
    expect(Array.from(columns.day)).toEqual([1, 2, 5, 9]);
    expect(Array.from(columns.volume)).toEqual([0, 1, 2, 3]);
    expect(collapsedDays.length).toBe(0);

    const unsorted = table([2, 1, 2], [20, 10, 21]);
    sortAndDedupe(unsorted);
    expect(Array.from(unsorted.day)).toEqual([2, 1, 2]);
    expect(Array.from(unsorted.price)).toEqual([20, 10, 21]);
  });

  it('handles empty input and a single row', () => {
    expect(sortAndDedupe(table([], [])).columns.day.length).toBe(0);
    const one = sortAndDedupe(table([7], [1.5]));
    expect(Array.from(one.columns.price)).toEqual([1.5]);
    expect(one.collapsedDays.length).toBe(0);
  });

  it('a day repeated three times, non-adjacent, is reported once', () => {
    const { columns, collapsedDays } = sortAndDedupe(table([5, 4, 5, 3, 5], [1, 2, 3, 4, 5]));
    expect(Array.from(columns.day)).toEqual([3, 4, 5]);
    expect(Array.from(columns.price)).toEqual([4, 2, 5]);
    expect(Array.from(collapsedDays)).toEqual([5]);
  });

  it('days spread wider than any calendar (the sorting path) follow the same rule', () => {
    const { columns, collapsedDays } = sortAndDedupe(table([2e9, -2e9, 0, 2e9, -2e9], [1, 2, 3, 4, 5]));
    expect(Array.from(columns.day)).toEqual([-2e9, 0, 2e9]);
    expect(Array.from(columns.price)).toEqual([5, 3, 4]);
    expect(Array.from(collapsedDays)).toEqual([-2e9, 2e9]);
  });

  it.each([
    ['a calendar range (counting path)', 2000],
    ['a sparse, huge range (sorting path)', 2e9],
  ])('agrees with a Map-based reading of the rule on random rows: %s', (_name, spread) => {
    let state = 12345;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const n = 20_000;
    // Days drawn from a pool of 5,000 values, so that many repeat whatever the spread.
    const pool = Array.from({ length: 5000 }, () => Math.floor(next() * spread) - Math.floor(spread / 2));
    const day = Array.from({ length: n }, () => pool[Math.floor(next() * pool.length)]);
    const price = Array.from({ length: n }, () => next());
    const { columns, collapsedDays } = sortAndDedupe(table(day, price));

    const last = new Map<number, number>();
    const count = new Map<number, number>();
    day.forEach((d, i) => {
      last.set(d, i);
      count.set(d, (count.get(d) ?? 0) + 1);
    });
    const days = [...last.keys()].sort((a, b) => a - b);
    expect(Array.from(columns.day)).toEqual(days);
    expect(Array.from(columns.volume)).toEqual(days.map((d) => last.get(d)));
    expect(Array.from(columns.price)).toEqual(days.map((d) => price[last.get(d)!]));
    expect(Array.from(collapsedDays)).toEqual(days.filter((d) => count.get(d)! > 1));
    expect(collapsedDays.length).toBeGreaterThan(0);
  });
});

describe('sortAndDedupe: where each kept row came from', () => {
  it('fileRows holds the file position of each kept row (the last of a repeated day)', () => {
    const columns: DailyColumns = {
      day: Int32Array.from([3, 1, 2, 1, 3]),
      price: Float64Array.from([30, 10, 20, 11, 31]),
      volume: new Float64Array(5),
      marketCap: new Float64Array(5),
    };
    const { fileRows, columns: sorted } = sortAndDedupe(columns);
    expect(Array.from(fileRows)).toEqual([3, 2, 4]);
    expect(Array.from(sorted.price)).toEqual([11, 20, 31]);
  });
});
