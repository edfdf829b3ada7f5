/** TEMPORARY stand-in for src/engine/indicators/catalogue.ts (issue 8), removed when that lands. */
export const INDICATORS: readonly { name: string; module: 'momentum' | 'trend' | 'volatility' | 'volume' | 'others' }[] = [
  { name: 'rsi', module: 'momentum' },
];
