import { FEATURE_NAMES, type LabelledColumns } from './types.js';

/**
 * The feature vector `[price, volume, marketCap, rsi]` (SPEC.md section 4), as columns: what
 * Spark's `VectorAssembler` builds row by row, kept column-major so the fit makes one pass over
 * typed arrays. The arrays are the table's own (no copy).
 */
export function assembleFeatures(table: LabelledColumns): Float64Array[] {
  return FEATURE_NAMES.map((name) => table[name]);
}
