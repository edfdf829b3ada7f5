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
 * `parseDayAt` of the ten bytes `bytes[start, start + 10)` (ASCII): the CSV scanner reads a date field
 * in place and checks that the byte after it ends the field.
 */
export function parseDayBytes(bytes: Uint8Array, start: number): number {
  if (bytes[start + 4] !== DASH || bytes[start + 7] !== DASH) return NaN;
  const y0 = bytes[start] - ZERO;
  const y1 = bytes[start + 1] - ZERO;
  const y2 = bytes[start + 2] - ZERO;
  const y3 = bytes[start + 3] - ZERO;
  const m0 = bytes[start + 5] - ZERO;
  const m1 = bytes[start + 6] - ZERO;
  const d0 = bytes[start + 8] - ZERO;
  const d1 = bytes[start + 9] - ZERO;
  // Each is a digit exactly when neither it nor it + 6 has a bit above the lowest four (decimal.ts).
  const all = y0 | y1 | y2 | y3 | m0 | m1 | d0 | d1;
  const plus6 = (y0 + 6) | (y1 + 6) | (y2 + 6) | (y3 + 6) | (m0 + 6) | (m1 + 6) | (d0 + 6) | (d1 + 6);
  if (((all | plus6) & ~15) !== 0) return NaN;
  const year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  const month = m0 * 10 + m1;
  const day = d0 * 10 + d1;
  if (!(month >= 1 && month <= 12 && day >= 1)) return NaN;
  if (day > daysInMonth(year, month)) return NaN;
  return daysFromCivil(year, month, day) | 0; // an int32 (a small integer, not a boxed double)
}

/**
 * The first day Spark reads and writes without a calendar rebase, 1582-10-15 (the Gregorian reform):
 * Spark 3 refuses to write earlier Parquet dates by default and the reference job cannot read them
 * back, so both halves refuse them as bad input.
 */
export const FIRST_GREGORIAN_DAY = -141_427;

/** The date forms a daily input may use (docs/input.md#dates), for messages. */
export const DATE_FORMS = 'YYYY-MM-DD, YYYY-MM-DD HH:MM:SS (optionally UTC, Z or an offset), YYYY-MM-DDTHH:MM:SSZ or Mon DD, YYYY';
/** What every bad date is told (one text for all, so that the reference job can word it the same). */
export const DATE_EXPECTED = `a date that exists, written ${DATE_FORMS}`;
export const DATE_BEFORE_GREGORIAN_EXPECTED = "a date on or after 1582-10-15 (Spark's calendar starts there)";
/** What a bad `unix` cell (the cryptodatadownload layout) is told. */
export const UNIX_EXPECTED = 'a unix time: seconds since 1970-01-01 UTC, or milliseconds when >= 1e11';

const SECONDS_PER_DAY = 86_400;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** A date, a time of day, and a zone: none, UTC, Z, or an offset (`+02:00`, `+0200`, `+02`). */
const DATE_TIME =
  /^(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?(?: ?(?:UTC|Z)| ?([+-])(\d{2})(?::?(\d{2}))?)?$/;
const MONTH_DAY_YEAR = /^([A-Z][a-z]{2}) (\d{1,2}), (\d{4})$/;
/** Unix times written as numbers: `1624492800000`, `1513555200.0`. */
const UNIX_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** At or above this a unix time is in milliseconds (1e11 seconds is the year 5138). */
export const UNIX_MILLISECONDS_FROM = 1e11;

/**
 * A vendor's date or date-time → seconds since 1970-01-01T00:00:00Z, NaN for anything else
 * (docs/input.md#dates). The forms: `2021-02-03` (midnight), `2021-02-03 13:05:28 UTC` (CoinGecko),
 * `2013-12-16 23:59:59` (Kaggle; no zone means UTC), `2021-02-03T13:05:28Z`, `2021-02-03T13:05:28+02:00`
 * (converted to UTC first), and `Feb 03, 2021` or `Feb 3, 2021` (CoinMarketCap). `01/02/2021` and the
 * like are ambiguous and refused.
 */
export function parseDateTime(text: string): number {
  if (text.length === 10) return parseDay(text) * SECONDS_PER_DAY;
  const timed = DATE_TIME.exec(text);
  if (timed !== null) {
    const day = parseDay(timed[1]);
    const hour = Number(timed[2]);
    const minute = Number(timed[3]);
    const second = timed[4] === undefined ? 0 : Number(timed[4]);
    if (!(hour <= 23 && minute <= 59 && second < 60)) return NaN;
    let offset = 0;
    if (timed[5] !== undefined) {
      const offsetHours = Number(timed[6]);
      const offsetMinutes = timed[7] === undefined ? 0 : Number(timed[7]);
      if (!(offsetHours <= 14 && offsetMinutes <= 59)) return NaN;
      offset = (timed[5] === '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
    }
    return day * SECONDS_PER_DAY + (hour * 3600 + minute * 60 + second - offset);
  }
  const named = MONTH_DAY_YEAR.exec(text);
  if (named === null) return NaN;
  const month = MONTHS.indexOf(named[1]) + 1;
  const year = Number(named[3]);
  const day = Number(named[2]);
  if (month === 0 || day < 1 || day > daysInMonth(year, month)) return NaN;
  return daysFromCivil(year, month, day) * SECONDS_PER_DAY;
}

/** A unix time cell → seconds since 1970-01-01T00:00:00Z: seconds, or milliseconds when ≥ 1e11; NaN otherwise. */
export function parseUnixTime(text: string): number {
  if (!UNIX_NUMBER.test(text)) return NaN;
  const value = Number(text);
  if (!Number.isFinite(value)) return NaN;
  return Math.abs(value) >= UNIX_MILLISECONDS_FROM ? value / 1000 : value;
}

/** The UTC calendar day (days since 1970-01-01) that a time in seconds falls on. */
export function dayOfSeconds(seconds: number): number {
  return Math.floor(seconds / SECONDS_PER_DAY);
}

/** The day a vendor's date or date-time names (parseDateTime), NaN for anything else. */
export function parseDailyDate(text: string): number {
  return dayOfSeconds(parseDateTime(text));
}

/** What a date cell that parseDateTime refused, or that is too early, should have been. */
export function dateExpected(text: string): string {
  const day = parseDailyDate(text);
  if (day < FIRST_GREGORIAN_DAY) return DATE_BEFORE_GREGORIAN_EXPECTED;
  return DATE_EXPECTED;
}

/** What a `unix` cell that parseUnixTime refused, or that is too early, should have been. */
export function unixExpected(text: string): string {
  return dayOfSeconds(parseUnixTime(text)) < FIRST_GREGORIAN_DAY ? DATE_BEFORE_GREGORIAN_EXPECTED : UNIX_EXPECTED;
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
