/**
 * One series' forecast from its usable rows (docs/forecast.md): per horizon the walk-forward and the fit
 * of every known label (horizon.ts), the conformal bounds from its own scores, the track record, and the
 * rows of the table. Pure: the same rows and plan give the same forecast on any thread, so a panel's
 * assets can be forecast on worker threads (forecastWorkers.ts).
 */
import type { FeatureItem } from '../engine/features/spec.js';
import { formatDay } from '../engine/ingest/dates.js';
import type { Regularisation } from '../engine/model/wls.js';
import type { Target } from '../experiment/target.js';
import { conformalInterval, conformalWidth, conformityScore } from './conformal.js';
import { fitHorizon } from './horizon.js';
import { horizonLabel, priceAhead, type UsableRows } from './rows.js';
import type { ForecastRow } from './table.js';
import { trackRecord } from './trackRecord.js';
import type { TrackRecord } from './trackRecord.js';

export interface HorizonForecast {
  horizon: number;
  targetDate: string;
  forecast: number;
  bounds: { level: number; lower: number; upper: number; width: number }[];
  model: { coefficients: number[]; intercept: number; fittedRows: number };
  trackRecord: TrackRecord;
}

/** The run's settings, checked (run.ts planOf). */
export interface Plan {
  items: FeatureItem[];
  featureNames: string[];
  horizon: number;
  levels: readonly number[];
  calibrationWindow: number | undefined;
  trainRatio: number;
  refitEvery: number;
  target: Target;
  asOf: number | undefined;
  asOfText: string | undefined;
  regularisation: Regularisation | undefined;
}

/** Every horizon's fit, bounds and track record from the last usable row, and its rows of the table. */
export function forecastRows(rows: UsableRows, plan: Plan): { horizons: HorizonForecast[]; tableRows: ForecastRow[] } {
  const { horizon: H, levels, trainRatio, refitEvery: K, target, calibrationWindow: W } = plan;
  const o = rows.day.length - 1;
  const horizons: HorizonForecast[] = [];
  const tableRows: ForecastRow[] = [];
  for (let h = 1; h <= H; h++) {
    const ahead = priceAhead(rows, h);
    const fit = fitHorizon(rows.features, rows.price, ahead, horizonLabel(target, rows.price, ahead), { horizon: h, trainRatio, refitEvery: K, target }, plan.featureNames, plan.regularisation);
    const { forecast, actual, price } = fit.history;
    const scores = Float64Array.from(forecast, (f, t) => conformityScore(f, actual[t], price[t]));
    const calibration = W === undefined ? scores : scores.subarray(Math.max(0, scores.length - W));
    const bounds = levels.map((level) => {
      const width = conformalWidth(calibration, level);
      return { level, ...conformalInterval(fit.forecast, width, rows.price[o]), width };
    });
    const first = fit.firstOrigin;
    const last = first + forecast.length - 1;
    const record = trackRecord(
      fit,
      rows.price,
      forecast.length === 0 ? [null, null] : [formatDay(rows.day[first]), formatDay(rows.day[last])],
      levels,
      W,
    );
    const targetDay = rows.day[o] + h;
    horizons.push({ horizon: h, targetDate: formatDay(targetDay), forecast: fit.forecast, bounds, model: fit.model, trackRecord: record });
    tableRows.push({ horizon: h, targetDay, lastPrice: rows.price[o], forecast: fit.forecast, bounds });
  }
  return { horizons, tableRows };
}
