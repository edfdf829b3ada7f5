/**
 * Calendar dates as days since 1970-01-01 (Parquet's DATE, Arrow's DateDay), proleptic Gregorian.
 *
 * Hand-written rather than `Date.parse`/`Date.UTC`: `Date.parse` accepts many forms (`2021-2-3`,
 * `2021-02-30` rolls over to March), so it cannot be the validator, and the CSV reader calls this once
 * per row (10M rows): a fixed-width character check and Howard Hinnant's `days_from_civil`
 * (http://howardhinnant.github.io/date_algorithms.html) are a few integer operations with no allocation.
 *
 * parseDay('1970-01-02') === 1;  formatDay(18_628) === '2021-01-01'
 */

/** The last day a four-digit year can write, 9999-12-31. */
export const MAX_DAY = 2_932_896;
/** The first day a four-digit year can write, 0000-01-01. */
export const MIN_DAY = -719_528;

const ZERO = 48; // '0'
const DASH = 45; // '-'

function digit(text: string, at: number): number {
  const d = text.charCodeAt(at) - ZERO;
  return d >= 0 && d <= 9 ? d : NaN;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a valid proleptic-Gregorian date (days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * `YYYY-MM-DD` (exactly: four-digit year, two-digit month and day, a date that exists) → days since
 * 1970-01-01; NaN for anything else (`2021-2-3`, `2021-02-30`, ` 2021-02-03`, `2021-02-03T00:00`).
 */
export function parseDay(text: string): number {
  return parseDayAt(text, 0, text.length);
}

/**
 * `parseDay(text.slice(start, end))` without creating the slice: the CSV scanner (csvscan.ts) reads
 * dates in place in the decoded chunk.
 */
export function parseDayAt(text: string, start: number, end: number): number {
  if (end - start !== 10 || text.charCodeAt(start + 4) !== DASH || text.charCodeAt(start + 7) !== DASH) return NaN;
  const year =
    digit(text, start) * 1000 + digit(text, start + 1) * 100 + digit(text, start + 2) * 10 + digit(text, start + 3);
  const month = digit(text, start + 5) * 10 + digit(text, start + 6);
  const day = digit(text, start + 8) * 10 + digit(text, start + 9);
  // NaN (a non-digit) fails every comparison below.
  if (!(month >= 1 && month <= 12 && day >= 1 && year >= 0)) return NaN;
  if (day > daysInMonth(year, month)) return NaN;
  return daysFromCivil(year, month, day);
}

/**
 * The first day Spark reads and writes without a calendar rebase, 1582-10-15 (the Gregorian reform):
 * Spark 3 refuses to write earlier Parquet dates by default and the reference job cannot read them
 * back, so both halves refuse them as bad input.
 */
export const FIRST_GREGORIAN_DAY = -141_427;

/** The date forms a daily input may use (docs/input.md#layouts), for messages. */
export const DATE_FORMS = 'YYYY-MM-DD, YYYY-MM-DD 00:00:00 UTC, YYYY-MM-DDT00:00:00Z or Mon DD, YYYY';
/** What every bad date is told (one text for all, so that the reference job can word it the same). */
export const DATE_EXPECTED = `a date that exists, written ${DATE_FORMS}`;
export const DATE_BEFORE_GREGORIAN_EXPECTED = "a date on or after 1582-10-15 (Spark's calendar starts there)";
export const DATE_NOT_MIDNIGHT_EXPECTED = 'a daily date: midnight UTC (00:00:00), not another time of day';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MIDNIGHT_SUFFIXES = [' 00:00:00 UTC', 'T00:00:00Z'];
/** A timestamp of some day with a time of day: the shape, whatever the time (for the error message). */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2}(?:\.\d+)? UTC|T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)$/;
const MONTH_DAY_YEAR = /^([A-Z][a-z]{2}) (\d{1,2}), (\d{4})$/;

/**
 * A vendor's daily date → days since 1970-01-01, NaN for anything else. The forms (docs/input.md#layouts):
 * `2021-02-03`, `2021-02-03 00:00:00 UTC` (CoinGecko), `2021-02-03T00:00:00Z` (ISO 8601), and
 * `Feb 03, 2021` or `Feb 3, 2021` (CoinMarketCap). Only midnight UTC: a time of day means the data is
 * not daily, and is refused rather than truncated. `01/02/2021` and the like are ambiguous and refused.
 */
export function parseDailyDate(text: string): number {
  if (text.length === 10) return parseDay(text);
  for (const suffix of MIDNIGHT_SUFFIXES) {
    if (text.length === 10 + suffix.length && text.endsWith(suffix)) return parseDayAt(text, 0, 10);
  }
  const named = MONTH_DAY_YEAR.exec(text);
  if (named === null) return NaN;
  const month = MONTHS.indexOf(named[1]) + 1;
  const year = Number(named[3]);
  const day = Number(named[2]);
  if (month === 0 || day < 1 || day > daysInMonth(year, month)) return NaN;
  return daysFromCivil(year, month, day);
}

/** What a date cell that parseDailyDate refused, or that is too early, should have been. */
export function dateExpected(text: string): string {
  const day = parseDailyDate(text);
  if (day < FIRST_GREGORIAN_DAY) return DATE_BEFORE_GREGORIAN_EXPECTED;
  if (Number.isNaN(day) && TIMESTAMP.test(text) && !Number.isNaN(parseDay(text.slice(0, 10)))) return DATE_NOT_MIDNIGHT_EXPECTED;
  return DATE_EXPECTED;
}

/**
 * '00' … '99': formatDay builds YYYY-MM-DD from these instead of `String(x).padStart`, which made it
 * ~3× slower (a large intraday file reports millions of collapsed days, each formatted once).
 */
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/** Days since 1970-01-01 → `YYYY-MM-DD` (civil_from_days). Years outside 0000-9999 throw RangeError. */
export function formatDay(day: number): string {
  if (!Number.isInteger(day) || day < MIN_DAY || day > MAX_DAY) {
    throw new RangeError(`day ${day} is not a date with a four-digit year (0000-01-01 to 9999-12-31)`);
  }
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const dayOfMonth = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const century = Math.floor(year / 100);
  return `${TWO_DIGITS[century]}${TWO_DIGITS[year - century * 100]}-${TWO_DIGITS[month]}-${TWO_DIGITS[dayOfMonth]}`;
}
