/**
 * TEMPORARY stand-in for `./indicators/catalogue.ts` (being written): the same interface, RSI only.
 * Deleted once the real catalogue lands.
 */
import { rsi } from './rsi.js';

export interface IndicatorArg { name: string; type: 'int' | 'float' | 'bool'; default: number | boolean; positive?: boolean }
export interface Indicator {
  name: string;
  module: 'momentum' | 'trend' | 'volatility' | 'volume' | 'others';
  inputs: readonly ('close' | 'volume')[];
  args: readonly IndicatorArg[];
  summary: string;
  compute(series: { close: Float64Array; volume: Float64Array }, args: Readonly<Record<string, number | boolean>>): Float64Array;
}

export const INDICATORS: readonly Indicator[] = [
  {
    name: 'rsi',
    module: 'momentum',
    inputs: ['close'],
    args: [{ name: 'window', type: 'int', default: 14, positive: true }],
    summary: 'Relative Strength Index',
    compute: (series, args) => rsi(series.close, args.window as number),
  },
];

export function findIndicator(name: string): Indicator | undefined {
  return INDICATORS.find((i) => i.name === name);
}

export const NEEDS_HIGH_LOW: readonly string[] = ['stoch', 'adx', 'cci', 'average_true_range', 'williams_r'];
