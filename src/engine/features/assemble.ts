import { FEATURE_NAMES, type LabelledColumns } from '../types.js';

/**
 * The feature vector, as columns in spec order (docs/features.md): what Spark's
 * `VectorAssembler` builds row by row, kept column-major so the fit makes one pass over typed
 * arrays. The arrays are the table's own (no copy).
 *
 * @param columns the feature columns' names in spec order; default: the default spec's
 */
export function assembleFeatures(table: LabelledColumns, columns: readonly string[] = FEATURE_NAMES): Float64Array[] {
  return columns.map((name) => {
    const column = table[name];
    if (!(column instanceof Float64Array)) throw new Error(`no feature column "${name}" in the table`);
    return column;
  });
}
