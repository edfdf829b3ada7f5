/**
 * Whether a benchmark peer did the engine's job: the same test rows (by date) and the same values, to a
 * tolerance. Pure; used by `npm run bench` after the runs and by test/bench/bench.test.ts on a small file.
 *
 * The peers parse decimals with their own readers (pandas' default float parser is not always correctly
 * rounded), polars' ewm is not pandas' kernel operation for operation, and numpy's lstsq is not Spark's
 * Cholesky solve: equal dates, and values equal to a relative tolerance, are what "the same job" means.
 */
import type { PredictionColumns } from '../src/engine/types.js';

export const PEER_VALUE_COLUMNS = ['price', 'volume', 'marketCap', 'rsi', 'nextPrice', 'prediction'] as const;

export interface PeerCheck {
  ok: boolean;
  engineRows: number;
  peerRows: number;
  /** Rows whose date differs at the same position (both outputs are in date order). */
  differentDates: number;
  /** Largest relative difference per column over the rows (|a - b| / max(|a|, |b|)). */
  maxRelative: Record<(typeof PEER_VALUE_COLUMNS)[number], number>;
  tolerance: number;
}

function relative(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

export function comparePeerOutput(engine: PredictionColumns, peer: PredictionColumns, tolerance = 1e-6): PeerCheck {
  const n = engine.day.length;
  const sameLength = peer.day.length === n;
  let differentDates = Math.abs(peer.day.length - n);
  const rows = Math.min(n, peer.day.length);
  for (let i = 0; i < rows; i++) if (engine.day[i] !== peer.day[i]) differentDates++;
  const maxRelative = {} as PeerCheck['maxRelative'];
  for (const key of PEER_VALUE_COLUMNS) {
    let max = 0;
    const a = engine[key];
    const b = peer[key];
    for (let i = 0; i < rows; i++) {
      const d = Number.isNaN(a[i]) || Number.isNaN(b[i]) ? (Number.isNaN(a[i]) && Number.isNaN(b[i]) ? 0 : Infinity) : relative(a[i], b[i]);
      if (d > max) max = d;
    }
    maxRelative[key] = max;
  }
  const ok = sameLength && differentDates === 0 && Object.values(maxRelative).every((d) => d <= tolerance);
  return { ok, engineRows: n, peerRows: peer.day.length, differentDates, maxRelative, tolerance };
}
