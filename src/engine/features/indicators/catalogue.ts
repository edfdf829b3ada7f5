/**
 * The catalogue of indicators a feature spec may name: every function of ta 0.11.0's functional API
 * that needs only close and/or volume (39 of them), with ta's keyword arguments (all but fillna, in
 * ta's order) and defaults. The spec parser validates and types the arguments from this table;
 * `compute` then receives all of them.
 */
import * as momentum from './momentum.js';
import * as others from './others.js';
import * as trend from './trend.js';
import * as volatility from './volatility.js';
import * as volume from './volume.js';

export type IndicatorModule = 'momentum' | 'trend' | 'volatility' | 'volume' | 'others';

export interface IndicatorArg {
  name: string; // ta's keyword, e.g. 'window', 'window_slow', 'window_dev'
  type: 'int' | 'float' | 'bool';
  default: number | boolean; // ta's default
  positive?: boolean; // a window/period: must be > 0 (ints) — the parser refuses <= 0
}

export interface Indicator {
  name: string; // ta's function name, e.g. 'macd_diff'
  module: IndicatorModule;
  inputs: readonly ('close' | 'volume')[]; // what ta's function takes
  args: readonly IndicatorArg[]; // every keyword argument except fillna, in ta's order
  summary: string; // one line for `pricecast features`
  compute(series: { close: Float64Array; volume: Float64Array }, args: Readonly<Record<string, number | boolean>>): Float64Array;
}

/** A window or period argument (a positive int). */
const period = (name: string, value: number): IndicatorArg => ({ name, type: 'int', default: value, positive: true });

const CLOSE = ['close'] as const;
const VOLUME = ['volume'] as const;
const CLOSE_VOLUME = ['close', 'volume'] as const;

const SLOW_FAST = [period('window_slow', 26), period('window_fast', 12)];
const SLOW_FAST_SIGN = [...SLOW_FAST, period('window_sign', 9)];
const STOCHRSI = [period('window', 14), period('smooth1', 3), period('smooth2', 3)];
const KST = [
  period('roc1', 10), period('roc2', 15), period('roc3', 20), period('roc4', 30),
  period('window1', 10), period('window2', 10), period('window3', 10), period('window4', 15),
];
const BOLLINGER = [period('window', 20), { name: 'window_dev', type: 'float', default: 2 } satisfies IndicatorArg];
const VPT = [
  // ta's default is None; 0 behaves the same (ta tests `if smoothing_factor:`). Must be >= 0.
  { name: 'smoothing_factor', type: 'int', default: 0 } satisfies IndicatorArg,
  { name: 'dropnans', type: 'bool', default: false } satisfies IndicatorArg,
];

/**
 * One catalogue entry. Every indicator function takes its series, then ta's keyword arguments in
 * ta's order (the parity test runs non-default arguments, so a mismatch in order fails there).
 */
function entry(
  module: IndicatorModule,
  name: string,
  inputs: readonly ('close' | 'volume')[],
  args: readonly IndicatorArg[],
  summary: string,
  fn: (...positional: never[]) => Float64Array,
): Indicator {
  const call = fn as (...positional: unknown[]) => Float64Array;
  return {
    name, module, inputs, args, summary,
    compute: (series, values) => call(...inputs.map((input) => series[input]), ...args.map((arg) => values[arg.name])),
  };
}

export const INDICATORS: readonly Indicator[] = [
  entry('momentum', 'rsi', CLOSE, [period('window', 14)], 'Relative Strength Index (Wilder smoothing), 0-100', momentum.rsi),
  entry('momentum', 'tsi', CLOSE, [period('window_slow', 25), period('window_fast', 13)], 'True Strength Index: double-smoothed momentum over its absolute value, x100', momentum.tsi),
  entry('momentum', 'kama', CLOSE, [period('window', 10), period('pow1', 2), period('pow2', 30)], "Kaufman's Adaptive Moving Average", momentum.kama),
  entry('momentum', 'roc', CLOSE, [period('window', 12)], 'Rate of Change: % change over window rows', momentum.roc),
  entry('momentum', 'stochrsi', CLOSE, STOCHRSI, "Stochastic RSI: RSI's position in its window-row range, 0-1", momentum.stochrsi),
  entry('momentum', 'stochrsi_k', CLOSE, STOCHRSI, 'Stochastic RSI %K: smooth1-row mean of stochrsi', momentum.stochrsiK),
  entry('momentum', 'stochrsi_d', CLOSE, STOCHRSI, 'Stochastic RSI %D: smooth2-row mean of stochrsi_k', momentum.stochrsiD),
  entry('momentum', 'ppo', CLOSE, SLOW_FAST_SIGN, 'Percentage Price Oscillator: (ema fast - ema slow) / ema slow, x100', momentum.ppo),
  entry('momentum', 'ppo_signal', CLOSE, SLOW_FAST_SIGN, 'PPO signal line: ema of ppo over window_sign', momentum.ppoSignal),
  entry('momentum', 'ppo_hist', CLOSE, SLOW_FAST_SIGN, 'PPO histogram: ppo - ppo_signal', momentum.ppoHist),
  entry('momentum', 'pvo', VOLUME, SLOW_FAST_SIGN, 'Percentage Volume Oscillator: ppo of volume', momentum.pvo),
  entry('momentum', 'pvo_signal', VOLUME, SLOW_FAST_SIGN, 'PVO signal line: ema of pvo over window_sign', momentum.pvoSignal),
  entry('momentum', 'pvo_hist', VOLUME, SLOW_FAST_SIGN, 'PVO histogram: pvo - pvo_signal', momentum.pvoHist),

  entry('trend', 'macd', CLOSE, SLOW_FAST, 'MACD: ema fast - ema slow', trend.macd),
  entry('trend', 'macd_signal', CLOSE, SLOW_FAST_SIGN, 'MACD signal line: ema of macd over window_sign', trend.macdSignal),
  entry('trend', 'macd_diff', CLOSE, SLOW_FAST_SIGN, 'MACD histogram: macd - macd_signal', trend.macdDiff),
  entry('trend', 'ema_indicator', CLOSE, [period('window', 12)], 'Exponential moving average (span window)', trend.emaIndicator),
  entry('trend', 'sma_indicator', CLOSE, [period('window', 12)], 'Simple moving average over window rows', trend.smaIndicator),
  entry('trend', 'wma_indicator', CLOSE, [period('window', 9)], 'Linearly weighted moving average over window rows', trend.wmaIndicator),
  entry('trend', 'trix', CLOSE, [period('window', 15)], 'TRIX: one-row % change of a triple ema', trend.trix),
  entry('trend', 'dpo', CLOSE, [period('window', 20)], 'Detrended Price Oscillator: past close minus the window-row mean', trend.dpo),
  entry('trend', 'kst', CLOSE, KST, 'Know Sure Thing: weighted sum of four smoothed rates of change', trend.kst),
  entry('trend', 'kst_sig', CLOSE, [...KST, period('nsig', 9)], 'KST signal line: nsig-row mean of kst', trend.kstSig),
  entry('trend', 'stc', CLOSE, [period('window_slow', 50), period('window_fast', 23), period('cycle', 10), period('smooth1', 3), period('smooth2', 3)],
    'Schaff Trend Cycle: double-smoothed stochastic of MACD, 0-100', trend.stc),

  entry('volatility', 'bollinger_mavg', CLOSE, [period('window', 20)], 'Bollinger middle band: window-row mean', volatility.bollingerMavg),
  entry('volatility', 'bollinger_hband', CLOSE, BOLLINGER, 'Bollinger upper band: mean + window_dev population std devs', volatility.bollingerHband),
  entry('volatility', 'bollinger_lband', CLOSE, BOLLINGER, 'Bollinger lower band: mean - window_dev population std devs', volatility.bollingerLband),
  entry('volatility', 'bollinger_wband', CLOSE, BOLLINGER, 'Bollinger band width: (upper - lower) / middle, x100', volatility.bollingerWband),
  entry('volatility', 'bollinger_pband', CLOSE, BOLLINGER, 'Bollinger %B: (close - lower) / (upper - lower); null where the bands meet', volatility.bollingerPband),
  entry('volatility', 'bollinger_hband_indicator', CLOSE, BOLLINGER, 'Bollinger upper breakout: 1 where close > upper band, else 0', volatility.bollingerHbandIndicator),
  entry('volatility', 'bollinger_lband_indicator', CLOSE, BOLLINGER, 'Bollinger lower breakout: 1 where close < lower band, else 0', volatility.bollingerLbandIndicator),
  entry('volatility', 'ulcer_index', CLOSE, [period('window', 14)], 'Ulcer Index: root mean square % drawdown from the window-row high', volatility.ulcerIndex),

  entry('volume', 'on_balance_volume', CLOSE_VOLUME, [], 'On-Balance Volume: running volume, subtracted on down days', volume.onBalanceVolume),
  entry('volume', 'force_index', CLOSE_VOLUME, [period('window', 13)], 'Force Index: ema of close change x volume', volume.forceIndex),
  entry('volume', 'negative_volume_index', CLOSE_VOLUME, [], 'Negative Volume Index: from 1000, moves with close on falling-volume days', volume.negativeVolumeIndex),
  entry('volume', 'volume_price_trend', CLOSE_VOLUME, VPT, 'Volume-Price Trend: running close % change x volume (smoothing_factor > 0: its rolling mean)', volume.volumePriceTrend),

  entry('others', 'daily_return', CLOSE, [], 'Daily return, %', others.dailyReturn),
  entry('others', 'daily_log_return', CLOSE, [], 'Daily log return, %', others.dailyLogReturn),
  entry('others', 'cumulative_return', CLOSE, [], 'Cumulative return since the first row, %', others.cumulativeReturn),
];

const BY_NAME = new Map(INDICATORS.map((indicator) => [indicator.name, indicator]));

export function findIndicator(name: string): Indicator | undefined {
  return BY_NAME.get(name);
}

/** ta functional-API functions that need high, low or open: refused by name with a clear message. */
export const NEEDS_HIGH_LOW: readonly string[] = [
  // momentum
  'awesome_oscillator', 'stoch', 'stoch_signal', 'ultimate_oscillator', 'williams_r',
  // trend
  'adx', 'adx_neg', 'adx_pos', 'aroon_down', 'aroon_up', 'cci', 'ichimoku_a', 'ichimoku_b',
  'ichimoku_base_line', 'ichimoku_conversion_line', 'mass_index', 'psar_down', 'psar_down_indicator',
  'psar_up', 'psar_up_indicator', 'vortex_indicator_neg', 'vortex_indicator_pos',
  // volatility
  'average_true_range', 'donchian_channel_hband', 'donchian_channel_lband', 'donchian_channel_mband',
  'donchian_channel_pband', 'donchian_channel_wband', 'keltner_channel_hband',
  'keltner_channel_hband_indicator', 'keltner_channel_lband', 'keltner_channel_lband_indicator',
  'keltner_channel_mband', 'keltner_channel_pband', 'keltner_channel_wband',
  // volume
  'acc_dist_index', 'chaikin_money_flow', 'ease_of_movement', 'money_flow_index', 'sma_ease_of_movement',
  'volume_weighted_average_price',
];
