/**
 * How a horizon's model did on the history it is published with (docs/forecast.md#track-record): the
 * experiment's metrics of its walk-forward forecasts against persistence (skill, DM at horizon h with
 * its autocovariances, mase, rmsse) and, per level, how the conformal intervals replayed over the same
 * origins covered; persistence's own record beside it, the one to beat.
 */
import { forecastErrors, forecastMetrics, type ForecastMetrics } from '../experiment/metrics.js';
import { scaledErrors } from '../experiment/scaledErrors.js';
import { intervalHistory, type IntervalRecord } from './conformal.js';
import type { HorizonFit } from './horizon.js';

export interface ScoredMetrics extends ForecastMetrics {
  mase: number;
  rmsse: number;
}

export interface TrackRecord {
  horizon: number;
  /** Walk-forward origins scored (each with its outcome h rows later). */
  origins: number;
  /** Rows before the first origin. */
  trainRows: number;
  firstOriginDate: string | null;
  lastOriginDate: string | null;
  metrics: ScoredMetrics;
  intervals: IntervalRecord[];
  persistence: { metrics: ScoredMetrics; intervals: IntervalRecord[] };
}

export function trackRecord(
  fit: HorizonFit,
  price: Float64Array,
  originDates: [string | null, string | null],
  levels: readonly number[],
  calibrationWindow: number | undefined,
): TrackRecord {
  const { forecast, actual, price: originPrice } = fit.history;
  const h = fit.horizon;
  const persistence = originPrice;
  const scored = (metrics: ForecastMetrics): ScoredMetrics => ({
    ...metrics,
    ...scaledErrors(metrics.mae, metrics.rmse, price, fit.firstOrigin),
  });
  const baselineErrors = forecastErrors(persistence, actual);
  const intervals = (f: Float64Array) => levels.map((level) => intervalHistory(f, actual, originPrice, h, level, calibrationWindow));
  return {
    horizon: h,
    origins: forecast.length,
    trainRows: fit.firstOrigin,
    firstOriginDate: originDates[0],
    lastOriginDate: originDates[1],
    metrics: scored(forecastMetrics(forecast, actual, originPrice, baselineErrors, h)),
    intervals: intervals(forecast),
    persistence: { metrics: scored(forecastMetrics(persistence, actual, originPrice, null, h)), intervals: intervals(persistence) },
  };
}
