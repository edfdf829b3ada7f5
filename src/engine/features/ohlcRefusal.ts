/**
 * The one line that refuses a feature of open, high or low on an input without them
 * (docs/features.md#high-and-low-indicators), declared once: the layout resolver says it when the header
 * has no such columns, the feature stage when a series comes without them. The reference job words it
 * the same (pyspark/price_regression.py, check_feature_inputs).
 */

/** `average_true_range(window=14)`, `pricecast` → what was expected, for an InputError. */
export function ohlcRefusal(item: string, layout: string): string {
  const fn = item.replace(/\(.*$/, '');
  const what = ['open', 'high', 'low'].includes(fn) ? `the day's ${fn} price` : 'high and low prices';
  return `an input with open, high and low for ${item}: it needs ${what}, which this input (${layout} layout) does not have`;
}
