/**
 * The label: `next_price[i] = price[i + 1]` in date order, NaN (null) on the last row.
 * Spark: `lead("price").over(Window.orderBy("date"))` (docs/label-and-clean.md).
 *
 * @example nextPrice(Float64Array.of(1, 2, 3)) // → [2, 3, NaN]
 */
export function nextPrice(price: Float64Array): Float64Array {
  const next = new Float64Array(price.length);
  next.set(price.subarray(1));
  if (next.length > 0) next[next.length - 1] = NaN;
  return next;
}
