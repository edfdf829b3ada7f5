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

type Args = Readonly<Record<string, number | boolean>>;

/** A window or period argument (a positive int). */
const period = (name: string, value: number): IndicatorArg => ({ name, type: 'int', default: value, positive: true });
const windowDev: IndicatorArg = { name: 'window_dev', type: 'float', default: 2 };
const num = (args: Args, name: string) => args[name] as number;

const CLOSE = ['close'] as const;
const VOLUME = ['volume'] as const;
const CLOSE_VOLUME = ['close', 'volume'] as const;

const SLOW_FAST_SIGN = [period('window_slow', 26), period('window_fast', 12), period('window_sign', 9)];
const STOCHRSI_ARGS = [period('window', 14), period('smooth1', 3), period('smooth2', 3)];
const KST_ARGS = [
  period('roc1', 10), period('roc2', 15), period('roc3', 20), period('roc4', 30),
  period('window1', 10), period('window2', 10), period('window3', 10), period('window4', 15),
];
const BOLLINGER_ARGS = [period('window', 20), windowDev];

const kstWindows = (a: Args): trend.KstWindows => ({
  roc1: num(a, 'roc1'), roc2: num(a, 'roc2'), roc3: num(a, 'roc3'), roc4: num(a, 'roc4'),
  window1: num(a, 'window1'), window2: num(a, 'window2'), window3: num(a, 'window3'), window4: num(a, 'window4'),
});

export const INDICATORS: readonly Indicator[] = [
  // momentum
  {
    name: 'rsi', module: 'momentum', inputs: CLOSE, args: [period('window', 14)],
    summary: 'Relative Strength Index (Wilder smoothing), 0-100',
    compute: ({ close }, a) => momentum.rsi(close, num(a, 'window')),
  },
  {
    name: 'tsi', module: 'momentum', inputs: CLOSE, args: [period('window_slow', 25), period('window_fast', 13)],
    summary: 'True Strength Index: double-smoothed momentum over its absolute value, x100',
    compute: ({ close }, a) => momentum.tsi(close, num(a, 'window_slow'), num(a, 'window_fast')),
  },
  {
    name: 'kama', module: 'momentum', inputs: CLOSE, args: [period('window', 10), period('pow1', 2), period('pow2', 30)],
    summary: "Kaufman's Adaptive Moving Average",
    compute: ({ close }, a) => momentum.kama(close, num(a, 'window'), num(a, 'pow1'), num(a, 'pow2')),
  },
  {
    name: 'roc', module: 'momentum', inputs: CLOSE, args: [period('window', 12)],
    summary: 'Rate of Change: % change over window rows',
    compute: ({ close }, a) => momentum.roc(close, num(a, 'window')),
  },
  {
    name: 'stochrsi', module: 'momentum', inputs: CLOSE, args: STOCHRSI_ARGS,
    summary: "Stochastic RSI: RSI's position in its window-row range, 0-1",
    compute: ({ close }, a) => momentum.stochrsi(close, num(a, 'window'), num(a, 'smooth1'), num(a, 'smooth2')),
  },
  {
    name: 'stochrsi_k', module: 'momentum', inputs: CLOSE, args: STOCHRSI_ARGS,
    summary: 'Stochastic RSI %K: smooth1-row mean of stochrsi',
    compute: ({ close }, a) => momentum.stochrsiK(close, num(a, 'window'), num(a, 'smooth1'), num(a, 'smooth2')),
  },
  {
    name: 'stochrsi_d', module: 'momentum', inputs: CLOSE, args: STOCHRSI_ARGS,
    summary: 'Stochastic RSI %D: smooth2-row mean of stochrsi_k',
    compute: ({ close }, a) => momentum.stochrsiD(close, num(a, 'window'), num(a, 'smooth1'), num(a, 'smooth2')),
  },
  {
    name: 'ppo', module: 'momentum', inputs: CLOSE, args: SLOW_FAST_SIGN,
    summary: 'Percentage Price Oscillator: (ema fast - ema slow) / ema slow, x100',
    compute: ({ close }, a) => momentum.ppo(close, num(a, 'window_slow'), num(a, 'window_fast'), num(a, 'window_sign')),
  },
  {
    name: 'ppo_signal', module: 'momentum', inputs: CLOSE, args: SLOW_FAST_SIGN,
    summary: 'PPO signal line: ema of ppo over window_sign',
    compute: ({ close }, a) => momentum.ppoSignal(close, num(a, 'window_slow'), num(a, 'window_fast'), num(a, 'window_sign')),
  },
  {
    name: 'ppo_hist', module: 'momentum', inputs: CLOSE, args: SLOW_FAST_SIGN,
    summary: 'PPO histogram: ppo - ppo_signal',
    compute: ({ close }, a) => momentum.ppoHist(close, num(a, 'window_slow'), num(a, 'window_fast'), num(a, 'window_sign')),
  },
  {
    name: 'pvo', module: 'momentum', inputs: VOLUME, args: SLOW_FAST_SIGN,
    summary: 'Percentage Volume Oscillator: ppo of volume',
    compute: ({ volume: v }, a) => momentum.pvo(v, num(a, 'window_slow'), num(a, 'window_fast'), num(a, 'window_sign')),
  },
  {
    name: 'pvo_signal', module: 'momentum', inputs: VOLUME, args: SLOW_FAST_SIGN,
    summary: 'PVO signal line: ema of pvo over window_sign',
    compute: ({ volume: v }, a) => momentum.pvoSignal(v, num(a, 'window_slow'), num(a, 'window_fast'), num(a, 'window_sign')),
  },
  {
    name: 'pvo_hist', module: 'momentum', inputs: VOLUME, args: SLOW_FAST_SIGN,
    summary: 'PVO histogram: pvo - pvo_signal',
    compute: ({ volume: v }, a) => momentum.pvoHist(v, num(a, 'window_slow'), num(a, 'window_fast'), num(a, 'window_sign')),
  },
  // trend
  {
    name: 'macd', module: 'trend', inputs: CLOSE, args: [period('window_slow', 26), period('window_fast', 12)],
    summary: 'MACD: ema fast - ema slow',
    compute: ({ close }, a) => trend.macd(close, num(a, 'window_slow'), num(a, 'window_fast')),
  },
  {
    name: 'macd_signal', module: 'trend', inputs: CLOSE, args: SLOW_FAST_SIGN,
    summary: 'MACD signal line: ema of macd over window_sign',
    compute: ({ close }, a) => trend.macdSignal(close, num(a, 'window_slow'), num(a, 'window_fast'), num(a, 'window_sign')),
  },
  {
    name: 'macd_diff', module: 'trend', inputs: CLOSE, args: SLOW_FAST_SIGN,
    summary: 'MACD histogram: macd - macd_signal',
    compute: ({ close }, a) => trend.macdDiff(close, num(a, 'window_slow'), num(a, 'window_fast'), num(a, 'window_sign')),
  },
  {
    name: 'ema_indicator', module: 'trend', inputs: CLOSE, args: [period('window', 12)],
    summary: 'Exponential moving average (span window)',
    compute: ({ close }, a) => trend.emaIndicator(close, num(a, 'window')),
  },
  {
    name: 'sma_indicator', module: 'trend', inputs: CLOSE, args: [period('window', 12)],
    summary: 'Simple moving average over window rows',
    compute: ({ close }, a) => trend.smaIndicator(close, num(a, 'window')),
  },
  {
    name: 'wma_indicator', module: 'trend', inputs: CLOSE, args: [period('window', 9)],
    summary: 'Linearly weighted moving average over window rows',
    compute: ({ close }, a) => trend.wmaIndicator(close, num(a, 'window')),
  },
  {
    name: 'trix', module: 'trend', inputs: CLOSE, args: [period('window', 15)],
    summary: 'TRIX: one-row % change of a triple ema',
    compute: ({ close }, a) => trend.trix(close, num(a, 'window')),
  },
  {
    name: 'dpo', module: 'trend', inputs: CLOSE, args: [period('window', 20)],
    summary: 'Detrended Price Oscillator: past close minus the window-row mean',
    compute: ({ close }, a) => trend.dpo(close, num(a, 'window')),
  },
  {
    name: 'kst', module: 'trend', inputs: CLOSE, args: KST_ARGS,
    summary: 'Know Sure Thing: weighted sum of four smoothed rates of change',
    compute: ({ close }, a) => trend.kst(close, kstWindows(a)),
  },
  {
    name: 'kst_sig', module: 'trend', inputs: CLOSE, args: [...KST_ARGS, period('nsig', 9)],
    summary: 'KST signal line: nsig-row mean of kst',
    compute: ({ close }, a) => trend.kstSig(close, kstWindows(a), num(a, 'nsig')),
  },
  {
    name: 'stc', module: 'trend', inputs: CLOSE,
    args: [period('window_slow', 50), period('window_fast', 23), period('cycle', 10), period('smooth1', 3), period('smooth2', 3)],
    summary: 'Schaff Trend Cycle: double-smoothed stochastic of MACD, 0-100',
    compute: ({ close }, a) =>
      trend.stc(close, num(a, 'window_slow'), num(a, 'window_fast'), num(a, 'cycle'), num(a, 'smooth1'), num(a, 'smooth2')),
  },
  // volatility
  {
    name: 'bollinger_mavg', module: 'volatility', inputs: CLOSE, args: [period('window', 20)],
    summary: 'Bollinger middle band: window-row mean',
    compute: ({ close }, a) => volatility.bollingerMavg(close, num(a, 'window')),
  },
  {
    name: 'bollinger_hband', module: 'volatility', inputs: CLOSE, args: BOLLINGER_ARGS,
    summary: 'Bollinger upper band: mean + window_dev population std devs',
    compute: ({ close }, a) => volatility.bollingerHband(close, num(a, 'window'), num(a, 'window_dev')),
  },
  {
    name: 'bollinger_lband', module: 'volatility', inputs: CLOSE, args: BOLLINGER_ARGS,
    summary: 'Bollinger lower band: mean - window_dev population std devs',
    compute: ({ close }, a) => volatility.bollingerLband(close, num(a, 'window'), num(a, 'window_dev')),
  },
  {
    name: 'bollinger_wband', module: 'volatility', inputs: CLOSE, args: BOLLINGER_ARGS,
    summary: 'Bollinger band width: (upper - lower) / middle, x100',
    compute: ({ close }, a) => volatility.bollingerWband(close, num(a, 'window'), num(a, 'window_dev')),
  },
  {
    name: 'bollinger_pband', module: 'volatility', inputs: CLOSE, args: BOLLINGER_ARGS,
    summary: 'Bollinger %B: (close - lower) / (upper - lower); null where the bands meet',
    compute: ({ close }, a) => volatility.bollingerPband(close, num(a, 'window'), num(a, 'window_dev')),
  },
  {
    name: 'bollinger_hband_indicator', module: 'volatility', inputs: CLOSE, args: BOLLINGER_ARGS,
    summary: 'Bollinger upper breakout: 1 where close > upper band, else 0',
    compute: ({ close }, a) => volatility.bollingerHbandIndicator(close, num(a, 'window'), num(a, 'window_dev')),
  },
  {
    name: 'bollinger_lband_indicator', module: 'volatility', inputs: CLOSE, args: BOLLINGER_ARGS,
    summary: 'Bollinger lower breakout: 1 where close < lower band, else 0',
    compute: ({ close }, a) => volatility.bollingerLbandIndicator(close, num(a, 'window'), num(a, 'window_dev')),
  },
  {
    name: 'ulcer_index', module: 'volatility', inputs: CLOSE, args: [period('window', 14)],
    summary: 'Ulcer Index: root mean square % drawdown from the window-row high',
    compute: ({ close }, a) => volatility.ulcerIndex(close, num(a, 'window')),
  },
  // volume
  {
    name: 'on_balance_volume', module: 'volume', inputs: CLOSE_VOLUME, args: [],
    summary: 'On-Balance Volume: running volume, subtracted on down days',
    compute: ({ close, volume: v }) => volume.onBalanceVolume(close, v),
  },
  {
    name: 'force_index', module: 'volume', inputs: CLOSE_VOLUME, args: [period('window', 13)],
    summary: 'Force Index: ema of close change x volume',
    compute: ({ close, volume: v }, a) => volume.forceIndex(close, v, num(a, 'window')),
  },
  {
    name: 'negative_volume_index', module: 'volume', inputs: CLOSE_VOLUME, args: [],
    summary: 'Negative Volume Index: from 1000, moves with close on falling-volume days',
    compute: ({ close, volume: v }) => volume.negativeVolumeIndex(close, v),
  },
  {
    name: 'volume_price_trend', module: 'volume', inputs: CLOSE_VOLUME,
    args: [
      // ta's default is None; 0 behaves the same (ta tests `if smoothing_factor:`). Must be >= 0.
      { name: 'smoothing_factor', type: 'int', default: 0 },
      { name: 'dropnans', type: 'bool', default: false },
    ],
    summary: 'Volume-Price Trend: running close % change x volume (smoothing_factor > 0: its rolling mean)',
    compute: ({ close, volume: v }, a) => volume.volumePriceTrend(close, v, num(a, 'smoothing_factor'), a.dropnans as boolean),
  },
  // others
  {
    name: 'daily_return', module: 'others', inputs: CLOSE, args: [],
    summary: 'Daily return, %',
    compute: ({ close }) => others.dailyReturn(close),
  },
  {
    name: 'daily_log_return', module: 'others', inputs: CLOSE, args: [],
    summary: 'Daily log return, %',
    compute: ({ close }) => others.dailyLogReturn(close),
  },
  {
    name: 'cumulative_return', module: 'others', inputs: CLOSE, args: [],
    summary: 'Cumulative return since the first row, %',
    compute: ({ close }) => others.cumulativeReturn(close),
  },
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
