/**
 * The screening of an experiment's forecasts: squared errors of persistence (the benchmark) and of every
 * set on the common test rows, in the sets' order (docs/screening.md#losses). Input the screening cannot
 * use is the input file's fault: one line naming the file, exit 2.
 */
import { InputError } from '../../engine/errors.js';
import type { ForecastTable } from '../forecastsParquet.js';
import { PERSISTENCE } from '../sets.js';
import { screen, ScreeningInputError, type Losses, type ScreeningOptions, type ScreeningResult } from './screen.js';

export function screenForecasts(file: string, table: ForecastTable, options: ScreeningOptions): ScreeningResult {
  const losses = (name: string, forecasts: Float64Array): Losses => {
    const values = new Float64Array(forecasts.length);
    for (let t = 0; t < values.length; t++) values[t] = (forecasts[t] - table.nextPrice[t]) ** 2;
    return { name, values };
  };
  try {
    return screen(
      losses(PERSISTENCE, table.persistence),
      table.sets.map((s) => losses(s.name, s.forecasts)),
      options,
    );
  } catch (error) {
    if (error instanceof ScreeningInputError) throw new InputError(file, 0, null, null, error.message);
    throw error;
  }
}
