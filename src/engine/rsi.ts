/**
 * RSI as the pipeline uses it (SPEC.md section 2): ta's `RSIIndicator(close, window).rsi()`, now one
 * of the catalogue's indicators, computed over the shared pandas-exact ewm in `indicators/`.
 */
export { rsi } from './indicators/momentum.js';
