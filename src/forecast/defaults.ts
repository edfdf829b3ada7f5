/** The forecast's defaults and limits, declared once (the settings table and the run both read them). */
export const DEFAULT_HORIZON = 1;
export const MAX_HORIZON = 366;
export const DEFAULT_LEVELS: readonly number[] = [0.8, 0.95];
export const DEFAULT_FORECAST_OUTPUT = 'out/forecasts';
/** An origin older than this many days (without --as-of) is called stale in the summary. */
export const STALE_AFTER_DAYS = 2;
/** The `set` column's value when the features come from --features. */
export const FEATURES_SET = 'features';
