/**
 * The baseline every set must beat: persistence, "tomorrow = today", the forecast of row t is
 * price[t] (docs/experiment.md). A model that cannot beat it has learned nothing usable about
 * tomorrow's price.
 */
export function persistenceForecasts(price: Float64Array, trainCount: number): Float64Array {
  return price.slice(trainCount);
}
