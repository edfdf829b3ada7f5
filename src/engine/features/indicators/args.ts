/** Argument checks shared by the indicator functions (the catalogue's parser refuses these earlier). */

/** A window or period: ta passes it to pandas, which needs an integer >= 1 for these indicators. */
export function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Two series that ta reads row by row together (close and volume) must have the same length. */
export function sameLength(close: Float64Array, volume: Float64Array): void {
  if (close.length !== volume.length) {
    throw new RangeError(`close and volume must have the same length, got ${close.length} and ${volume.length}`);
  }
}

/** The high/low functions read high, low (and close, volume) row by row together: one length for all. */
export function sameLengths(...series: Float64Array[]): void {
  const lengths = series.map((s) => s.length);
  if (lengths.some((n) => n !== lengths[0])) throw new RangeError(`high, low, close and volume must have the same length, got ${lengths.join(', ')}`);
}

/** A count that may be 0 (a shift by `offset` rows): an integer >= 0. */
export function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be an integer 0 or greater, got ${value}`);
  return value;
}
