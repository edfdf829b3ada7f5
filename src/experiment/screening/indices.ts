/**
 * The stationary-bootstrap indices every screening procedure shares (docs/screening.md#bootstrap-indices):
 * one Spark XORShiftRandom stream, so that any implementation that follows the definition draws the same
 * matrix and gets the same p-values.
 */
import { XORShiftRandom } from '../../engine/split.js';

export interface BootstrapIndices {
  /** T: days resampled (the test rows). */
  days: number;
  /** B: replications. */
  reps: number;
  blockSize: number;
  seed: number;
  /** B × T, replication-major: values[r·T + t] is the day drawn at position t of replication r. */
  values: Int32Array;
}

export const DEFAULT_BOOTSTRAP_SEED = 42;
export const DEFAULT_BOOTSTRAP_REPS = 10_000;
/** Fewer replications make p-values too coarse to read (steps of more than 1%). */
export const MIN_BOOTSTRAP_REPS = 100;

/** floor(√T), the block size when none is given. */
export function defaultBlockSize(days: number): number {
  return Math.max(1, Math.floor(Math.sqrt(days)));
}

export function stationaryBootstrapIndices(days: number, reps: number, blockSize: number, seed: number): BootstrapIndices {
  const g = new XORShiftRandom(seed);
  const p = 1.0 / blockSize;
  const values = new Int32Array(reps * days);
  for (let r = 0, at = 0; r < reps; r++) {
    let previous = Math.floor(g.nextDouble() * days);
    values[at++] = previous;
    for (let t = 1; t < days; t++) {
      const u = g.nextDouble();
      previous = u < p ? Math.floor(g.nextDouble() * days) : previous + 1 === days ? 0 : previous + 1;
      values[at++] = previous;
    }
  }
  return { days, reps, blockSize, seed, values };
}

/** What results.json records so a reader can check the draws: the sum of every entry, and replication 0's first ten. */
export function indicesFingerprint(indices: BootstrapIndices): { sum: number; head: number[] } {
  let sum = 0;
  for (let i = 0; i < indices.values.length; i++) sum += indices.values[i];
  return { sum, head: Array.from(indices.values.subarray(0, Math.min(10, indices.days))) };
}
