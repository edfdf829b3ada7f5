/**
 * Runs the walk-forward of every set, in this thread or split over worker threads.
 */
import type { CommonRows } from './rows.js';
import { walkForward, type WalkForwardPlan } from './walkForward.js';

/** The forecasts of each set (in order) over the test rows. */
export async function forecastSets(rows: CommonRows, plan: WalkForwardPlan, _threads: 'auto' | number): Promise<Float64Array[]> {
  return rows.features.map((features) => walkForward(features, rows.price, rows.nextPrice, plan));
}
