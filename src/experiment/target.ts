/**
 * What the model fits (`--target`): `price`, tomorrow's price itself (the original job's label), or
 * `return`, tomorrow's simple return next_price/price − 1. A return forecast r̂ is turned back into
 * a price, price·(1 + r̂), so both targets are scored on one scale against the same next_price.
 */
export const TARGETS = ['price', 'return'] as const;
export type Target = (typeof TARGETS)[number];
export const DEFAULT_TARGET: Target = 'price';

/** The label column the model is fitted to. */
export function targetLabel(target: Target, price: Float64Array, nextPrice: Float64Array): Float64Array {
  if (target === 'price') return nextPrice;
  const label = new Float64Array(price.length);
  for (let r = 0; r < price.length; r++) label[r] = nextPrice[r] / price[r] - 1;
  return label;
}

/** A model output for row r as a price forecast. */
export function forecastPrice(target: Target, modelOutput: number, price: number): number {
  return target === 'price' ? modelOutput : price * (1 + modelOutput);
}
