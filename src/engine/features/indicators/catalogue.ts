/**
 * The catalogue of indicators a feature spec may name: every function of ta 0.11.0's functional API,
 * the 39 that need only close and/or volume and the 41 that also need the day's high and low
 * (docs/features.md#high-and-low-indicators), with ta's keyword arguments (all but fillna, in ta's
 * order) and defaults. The spec parser validates and types the arguments from this table; `compute`
 * then receives all of them.
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

/** A series ta's functions take, in the order ta's signatures name them. */
export type IndicatorInput = 'high' | 'low' | 'close' | 'volume';

/** The series an indicator reads: high and low only when the input has them. */
export interface IndicatorSeries {
  close: Float64Array;
  volume: Float64Array;
  high?: Float64Array;
  low?: Float64Array;
}

export interface Indicator {
  name: string; // ta's function name, e.g. 'macd_diff'
  module: IndicatorModule;
  inputs: readonly IndicatorInput[]; // what ta's function takes, in ta's order
  args: readonly IndicatorArg[]; // every keyword argument except fillna, in ta's order
  summary: string; // one line for `pricecast features`
  compute(series: IndicatorSeries, args: Readonly<Record<string, number | boolean>>): Float64Array;
}

/** A window or period argument (a positive int). */
const period = (name: string, value: number): IndicatorArg => ({ name, type: 'int', default: value, positive: true });

const CLOSE = ['close'] as const;
const VOLUME = ['volume'] as const;
const CLOSE_VOLUME = ['close', 'volume'] as const;
const HL = ['high', 'low'] as const;
const HLC = ['high', 'low', 'close'] as const;
const HLV = ['high', 'low', 'volume'] as const;
const HLCV = ['high', 'low', 'close', 'volume'] as const;

/** A float argument (ta's default is a float: weights, constant, step). */
const float = (name: string, value: number): IndicatorArg => ({ name, type: 'float', default: value });
/** A flag. */
const flag = (name: string, value: boolean): IndicatorArg => ({ name, type: 'bool', default: value });

const SLOW_FAST = [period('window_slow', 26), period('window_fast', 12)];
const SLOW_FAST_SIGN = [...SLOW_FAST, period('window_sign', 9)];
const STOCHRSI = [period('window', 14), period('smooth1', 3), period('smooth2', 3)];
const KST = [
  period('roc1', 10), period('roc2', 15), period('roc3', 20), period('roc4', 30),
  period('window1', 10), period('window2', 10), period('window3', 10), period('window4', 15),
];
const BOLLINGER = [period('window', 20), { name: 'window_dev', type: 'float', default: 2 } satisfies IndicatorArg];
const STOCH = [period('window', 14), period('smooth_window', 3)];
const ICHIMOKU_12 = [period('window1', 9), period('window2', 26), flag('visual', false)];
const PSAR = [float('step', 0.02), float('max_step', 0.2)];
const KELTNER = [period('window', 20), period('window_atr', 10), flag('original_version', true)];
/** Donchian: window (ta's default differs by band) and offset, a shift of 0 or more rows (a negative one would read later rows). */
const donchian = (window: number) => [period('window', window), { name: 'offset', type: 'int', default: 0 } satisfies IndicatorArg];
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
  inputs: readonly IndicatorInput[],
  args: readonly IndicatorArg[],
  summary: string,
  fn: (...positional: never[]) => Float64Array,
): Indicator {
  const call = fn as (...positional: unknown[]) => Float64Array;
  const seriesOf = (series: IndicatorSeries, input: IndicatorInput): Float64Array => {
    const values = series[input];
    if (values === undefined) throw new RangeError(`${name} needs ${input} prices, which were not given`);
    return values;
  };
  return {
    name, module, inputs, args, summary,
    compute: (series, values) => call(...inputs.map((input) => seriesOf(series, input)), ...args.map((arg) => values[arg.name])),
  };
}

/** True for the functions that read the day's high and low. */
export function needsHighLow(indicator: Pick<Indicator, 'inputs'>): boolean {
  return indicator.inputs.includes('high') || indicator.inputs.includes('low');
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

  // ---- the functions that also need the day's high and low ----
  entry('momentum', 'awesome_oscillator', HL, [period('window1', 5), period('window2', 34)], 'Awesome Oscillator: window1-row minus window2-row mean of (high + low) / 2', momentum.awesomeOscillator),
  entry('momentum', 'stoch', HLC, STOCH, 'Stochastic %K: close within the window-row high-low range, 0-100', momentum.stoch),
  entry('momentum', 'stoch_signal', HLC, STOCH, 'Stochastic %D: smooth_window-row mean of %K', momentum.stochSignal),
  entry('momentum', 'ultimate_oscillator', HLC, [
    period('window1', 7), period('window2', 14), period('window3', 28), float('weight1', 4), float('weight2', 2), float('weight3', 1),
  ], 'Ultimate Oscillator: weighted buying pressure over true range on three windows, 0-100', momentum.ultimateOscillator),
  entry('momentum', 'williams_r', HLC, [period('lbp', 14)], 'Williams %R: close below the lbp-row high, as -100..0 of the range', momentum.williamsR),

  entry('trend', 'adx', HLC, [period('window', 14)], 'Average Directional Index (Wilder); 0 during the 2 x window warm-up, as ta writes', trend.adx),
  entry('trend', 'adx_pos', HLC, [period('window', 14)], 'ADX +DI: upward directional movement over true range, x100', trend.adxPos),
  entry('trend', 'adx_neg', HLC, [period('window', 14)], 'ADX -DI: downward directional movement over true range, x100', trend.adxNeg),
  entry('trend', 'vortex_indicator_pos', HLC, [period('window', 14)], 'Vortex +VI: window-row |high - previous low| over true range', trend.vortexIndicatorPos),
  entry('trend', 'vortex_indicator_neg', HLC, [period('window', 14)], 'Vortex -VI: window-row |low - previous high| over true range', trend.vortexIndicatorNeg),
  entry('trend', 'mass_index', HL, [period('window_fast', 9), period('window_slow', 25)], 'Mass Index: window_slow-row sum of ema(high - low) / ema(ema(high - low))', trend.massIndex),
  entry('trend', 'cci', HLC, [period('window', 20), float('constant', 0.015)], 'Commodity Channel Index: typical price from its mean over constant x mean deviation', trend.cci),
  entry('trend', 'ichimoku_conversion_line', HL, ICHIMOKU_12, 'Ichimoku conversion line: window1-row (highest high + lowest low) / 2', trend.ichimokuConversionLine),
  entry('trend', 'ichimoku_base_line', HL, ICHIMOKU_12, 'Ichimoku base line: window2-row (highest high + lowest low) / 2', trend.ichimokuBaseLine),
  entry('trend', 'ichimoku_a', HL, ICHIMOKU_12, 'Ichimoku span A: mean of conversion and base lines (visual: moved window2 rows on)', trend.ichimokuA),
  entry('trend', 'ichimoku_b', HL, [period('window2', 26), period('window3', 52), flag('visual', false)], 'Ichimoku span B: window3-row (highest high + lowest low) / 2 (visual: moved window2 rows on)', trend.ichimokuB),
  entry('trend', 'aroon_up', HL, [period('window', 25)], 'Aroon up: where the highest high of the last window + 1 rows is, 0-100', trend.aroonUp),
  entry('trend', 'aroon_down', HL, [period('window', 25)], 'Aroon down: where the lowest low of the last window + 1 rows is, 0-100', trend.aroonDown),
  entry('trend', 'psar_up', HLC, PSAR, 'Parabolic SAR on up-trend rows; NaN (row dropped) on the others', trend.psarUp),
  entry('trend', 'psar_down', HLC, PSAR, 'Parabolic SAR on down-trend rows; NaN (row dropped) on the others', trend.psarDown),
  entry('trend', 'psar_up_indicator', HLC, PSAR, 'Parabolic SAR: 1 where an up trend starts, else 0', trend.psarUpIndicator),
  entry('trend', 'psar_down_indicator', HLC, PSAR, 'Parabolic SAR: 1 where a down trend starts, else 0', trend.psarDownIndicator),

  entry('volatility', 'average_true_range', HLC, [period('window', 14)], 'Average True Range (Wilder); 0 during the warm-up, as ta writes', volatility.averageTrueRange),
  entry('volatility', 'keltner_channel_mband', HLC, KELTNER, 'Keltner middle band: window-row mean typical price (original_version=false: ema of close)', volatility.keltnerChannelMband),
  entry('volatility', 'keltner_channel_hband', HLC, KELTNER, 'Keltner upper band (original_version=false: ema + 2 ATR over window_atr)', volatility.keltnerChannelHband),
  entry('volatility', 'keltner_channel_lband', HLC, KELTNER, 'Keltner lower band (original_version=false: ema - 2 ATR over window_atr)', volatility.keltnerChannelLband),
  entry('volatility', 'keltner_channel_wband', HLC, KELTNER, 'Keltner band width: (upper - lower) / middle, x100', volatility.keltnerChannelWband),
  entry('volatility', 'keltner_channel_pband', HLC, KELTNER, 'Keltner %B: (close - lower) / (upper - lower)', volatility.keltnerChannelPband),
  entry('volatility', 'keltner_channel_hband_indicator', HLC, KELTNER, 'Keltner upper breakout: 1 where close > upper band, else 0', volatility.keltnerChannelHbandIndicator),
  entry('volatility', 'keltner_channel_lband_indicator', HLC, KELTNER, 'Keltner lower breakout: 1 where close < lower band, else 0', volatility.keltnerChannelLbandIndicator),
  entry('volatility', 'donchian_channel_hband', HLC, donchian(20), 'Donchian upper band: window-row highest high (moved offset rows on)', volatility.donchianChannelHband),
  entry('volatility', 'donchian_channel_lband', HLC, donchian(20), 'Donchian lower band: window-row lowest low (moved offset rows on)', volatility.donchianChannelLband),
  entry('volatility', 'donchian_channel_mband', HLC, donchian(10), 'Donchian middle band: halfway between the bands', volatility.donchianChannelMband),
  entry('volatility', 'donchian_channel_wband', HLC, donchian(10), 'Donchian band width: (upper - lower) / window-row mean close, x100', volatility.donchianChannelWband),
  entry('volatility', 'donchian_channel_pband', HLC, donchian(10), 'Donchian %B: (close - lower) / (upper - lower)', volatility.donchianChannelPband),

  entry('volume', 'acc_dist_index', HLCV, [], 'Accumulation/Distribution: running close-location x volume', volume.accDistIndex),
  entry('volume', 'chaikin_money_flow', HLCV, [period('window', 20)], 'Chaikin Money Flow: window-row close-location x volume over volume', volume.chaikinMoneyFlow),
  entry('volume', 'ease_of_movement', HLV, [period('window', 14)], 'Ease of Movement: midpoint move x range / volume, x1e8 (window unused by ta)', volume.easeOfMovement),
  entry('volume', 'sma_ease_of_movement', HLV, [period('window', 14)], 'Ease of Movement, window-row mean', volume.smaEaseOfMovement),
  entry('volume', 'money_flow_index', HLCV, [period('window', 14)], 'Money Flow Index: volume-weighted RSI of the typical price, 0-100', volume.moneyFlowIndex),
  entry('volume', 'volume_weighted_average_price', HLCV, [period('window', 14)], 'VWAP: window-row typical price x volume over volume', volume.volumeWeightedAveragePrice),
];

const BY_NAME = new Map(INDICATORS.map((indicator) => [indicator.name, indicator]));

export function findIndicator(name: string): Indicator | undefined {
  return BY_NAME.get(name);
}

/** The functions that need high and low, by name (`pricecast features --json` lists them). */
export const NEEDS_HIGH_LOW: readonly string[] = INDICATORS.filter(needsHighLow).map((indicator) => indicator.name);

/** The functions of close and/or volume alone: what any input can feed. */
export const CLOSE_VOLUME_INDICATORS: readonly Indicator[] = INDICATORS.filter((indicator) => !needsHighLow(indicator));
