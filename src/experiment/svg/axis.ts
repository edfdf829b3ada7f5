/**
 * Axis ticks without d3: "nice" linear ticks (steps of 1, 2 or 5 × 10^k, d3's rule) and calendar ticks
 * for day axes (days, weeks, months or years, whichever gives about as many labels as fit).
 */
import { daysFromCivil, formatDay } from '../../engine/ingest/dates.js';

/** A step of 1, 2 or 5 × 10^k that cuts `span` into about `count` intervals. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  // Thresholds at the geometric means of 1, 2, 5, 10, as d3 does: the step nearest the raw one.
  return (f >= Math.sqrt(50) ? 10 : f >= Math.sqrt(10) ? 5 : f >= Math.SQRT2 ? 2 : 1) * power;
}

/** Decimals that write every multiple of `step` exactly (0.05 → 2, 20 → 0). */
export function decimalsOf(step: number): number {
  return Math.max(0, Math.min(20, -Math.floor(Math.log10(step) + 1e-9)));
}

export interface LinearTicks {
  /** The domain, widened to whole steps. */
  min: number;
  max: number;
  step: number;
  ticks: number[];
}

/** Ticks covering [lo, hi] (widened to whole steps), about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): LinearTicks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.05;
    [lo, hi] = [lo - pad, hi + pad];
  }
  const step = niceStep(hi - lo, count);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  // toPrecision removes the binary noise of i·step (0.30000000000000004) at any magnitude; + 0 turns −0 into 0.
  const ticks = Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toPrecision(12)) + 0);
  return { min: ticks[0], max: ticks[ticks.length - 1], step, ticks };
}

/**
 * A tick label: as many decimals as the step needs, a true minus sign, thousands grouped; `percent`
 * multiplies by 100. Steps below 1e-5 (squared errors of a coin priced in millionths) and values from
 * 1e15 up are written with an exponent (1.5e−9) rather than a long row of zeros.
 */
export function formatTick(value: number, step: number, percent = false): string {
  const [v, s] = percent ? [value * 100, step * 100] : [value, step];
  const unit = percent ? '%' : '';
  if (s < 1e-5 || Math.abs(v) >= 1e15) {
    if (v === 0) return `0${unit}`;
    const precision = Math.floor(Math.log10(Math.abs(v)) + 1e-9) - Math.floor(Math.log10(s) + 1e-9);
    return `${v.toExponential(Math.min(20, Math.max(0, precision))).replace(/-/g, '−')}${unit}`;
  }
  const digits = decimalsOf(s);
  // Through Number and + 0 so that −0.001 at two decimals is "0.00", not "-0.00".
  const text = (Number(v.toFixed(digits)) + 0).toFixed(digits);
  const [whole, fraction] = text.replace('-', '').split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+$)/g, ',');
  return `${text.startsWith('-') ? '−' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}${unit}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface DayTicks {
  ticks: number[];
  format: (day: number) => string;
}

/**
 * Calendar ticks between two days (days since 1970-01-01), at most `count`: every 1, 2, 7 or 14 days
 * (labelled YYYY-MM-DD), the first of every 1, 2, 3 or 6 months (labelled "Apr 2021"), or the first
 * of January of every 1, 2, 5, … years (labelled by year), the finest step that fits.
 */
export function dayTicks(first: number, last: number, count: number): DayTicks {
  const limit = Math.max(1, Math.floor(count));
  for (const step of [1, 2, 7, 14]) {
    const start = Math.ceil(first / step) * step;
    if (Math.floor((last - start) / step) + 1 <= limit) {
      const ticks: number[] = [];
      for (let day = start; day <= last; day += step) ticks.push(day);
      return { ticks, format: formatDay };
    }
  }
  const [year0, month0] = yearMonth(first);
  for (const step of [1, 2, 3, 6]) {
    const ticks = monthStarts(year0, month0, last, step).filter((d) => d >= first);
    if (ticks.length <= limit) return { ticks, format: (day) => { const [y, m] = yearMonth(day); return `${MONTHS[m - 1]} ${y}`; } };
  }
  const years = yearMonth(last)[0] - year0 + 1;
  for (let step = 1; ; step = niceStep(step * 2.5, 1)) {
    const ticks: number[] = [];
    for (let y = Math.ceil(year0 / step) * step; y <= year0 + years; y += step) {
      const day = daysFromCivil(y, 1, 1);
      if (day >= first && day <= last) ticks.push(day);
    }
    if (ticks.length <= limit) return { ticks, format: (day) => String(yearMonth(day)[0]) };
  }
}

function yearMonth(day: number): [number, number] {
  const text = formatDay(day);
  return [Number(text.slice(0, 4)), Number(text.slice(5, 7))];
}

/** The first day of each month whose index (0-based) is a multiple of `step`, from year0-month0 through `last`. */
function monthStarts(year0: number, month0: number, last: number, step: number): number[] {
  const days: number[] = [];
  for (let index = year0 * 12 + month0 - 1; ; index++) {
    if (index % step !== 0) continue;
    const day = daysFromCivil(Math.floor(index / 12), (index % 12) + 1, 1);
    if (day > last) return days;
    days.push(day);
  }
}
