/**
 * The input series as the engine reads it: CSV ingest, then sort and dedupe (SPEC.md section 1). One
 * function, so a change in the engine's ingest (vendor layouts, `--missing`) is one line here.
 */
import { readDailyCsv } from '../engine/csv.js';
import { sortAndDedupe } from '../engine/dedupe.js';
import type { IngestResult, SortedDaily } from '../engine/types.js';

export interface LoadedSeries {
  ingest: IngestResult;
  sorted: SortedDaily;
}

export async function loadSeries(input: string): Promise<LoadedSeries> {
  const ingest = await readDailyCsv(input);
  return { ingest, sorted: sortAndDedupe(ingest.columns) };
}
