/**
 * TEMPORARY stand-in for src/engine/featureSpec.ts (issue 8), removed when that lands: the default
 * four features and `rsi(window=N)` only, with the same exported names and shapes.
 */
import { UsageError } from '../engine/errors.js';
import { rsi } from '../engine/rsi.js';
import type { DailyColumns } from '../engine/types.js';

export interface FeatureItem {
  column: string;
  fn: string;
  args: Record<string, number | boolean>;
}

export const DEFAULT_FEATURE_SPEC = 'price,volume,marketCap,rsi';

export function parseFeatureSpec(text: string): FeatureItem[] {
  const items: FeatureItem[] = [];
  for (const raw of text.split(/,(?![^(]*\))/)) {
    const part = raw.trim();
    const match = /^([A-Za-z_]+)(?:\(window=(\d+)\))?$/.exec(part);
    if (!match || !['price', 'volume', 'marketCap', 'rsi'].includes(match[1])) {
      throw new UsageError(`--features: unknown item "${part}"`);
    }
    const fn = match[1];
    const args: Record<string, number> = fn === 'rsi' ? { window: match[2] ? Number(match[2]) : 14 } : {};
    const column = fn === 'rsi' && args.window !== 14 ? `rsi_window_${args.window}` : fn;
    if (items.some((i) => i.column === column)) throw new UsageError(`--features: duplicate item "${part}"`);
    items.push({ column, fn, args });
  }
  return items;
}

export function formatFeatureItem(item: FeatureItem): string {
  const args = Object.entries(item.args).map(([k, v]) => `${k}=${v}`);
  return args.length === 0 ? item.fn : `${item.fn}(${args.join(',')})`;
}

export function computeFeatures(items: FeatureItem[], sorted: DailyColumns): Float64Array[] {
  return items.map((item) => {
    if (item.fn === 'rsi') return rsi(sorted.price, item.args.window as number);
    return sorted[item.fn as 'price' | 'volume' | 'marketCap'];
  });
}
