/**
 * Errors scaled by the naive one-day forecast's in-sample errors (Hyndman and Koehler, 2006), so that
 * coins of any price level and every horizon compare on one scale (docs/forecast.md#track-record):
 *
 *   mase  = mae  / mean_{i=1…m−1} |price[i] − price[i−1]|
 *   rmsse = rmse / sqrt(mean_{i=1…m−1} (price[i] − price[i−1])²)
 *
 * m = the rows before the first forecast (trainCount). NaN when m < 2 or the price never moved.
 *
 * @example scaledErrors(1, 1, Float64Array.of(1, 2, 4), 3) // { mase: 1/1.5, rmsse: 1/√2.5 }
 */
export function scaledErrors(mae: number, rmse: number, price: Float64Array, trainCount: number): { mase: number; rmsse: number } {
  let sumAbs = 0;
  let sumSquares = 0;
  for (let i = 1; i < trainCount; i++) {
    const step = price[i] - price[i - 1];
    sumAbs += Math.abs(step);
    sumSquares += step * step;
  }
  const m = trainCount - 1;
  if (m < 1) return { mase: NaN, rmsse: NaN };
  return { mase: mae / (sumAbs / m), rmsse: rmse / Math.sqrt(sumSquares / m) };
}
