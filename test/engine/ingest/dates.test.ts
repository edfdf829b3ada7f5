/**
 * dates.ts against JavaScript's own Date (an independent implementation of the proleptic Gregorian
 * calendar) and hand-picked edge cases.
 */
import { describe, expect, it } from 'vitest';
import { dateExpected, dayOfSeconds, FIRST_GREGORIAN_DAY, formatDay, MAX_DAY, MIN_DAY, parseDailyDate, parseDateTime, parseDay, parseDayBytes, parseUnixTime } from '../../../src/engine/ingest/dates.js';

const MS_PER_DAY = 86_400_000;

describe('parseDay', () => {
  it.each([
    ['1970-01-01', 0],
    ['1970-01-02', 1],
    ['1969-12-31', -1],
    ['2000-02-29', Date.UTC(2000, 1, 29) / MS_PER_DAY],
    ['2019-06-20', Date.UTC(2019, 5, 20) / MS_PER_DAY],
    ['9999-12-31', Date.UTC(9999, 11, 31) / MS_PER_DAY],
  ])('%s → %d', (text, day) => {
    expect(parseDay(text)).toBe(day);
  });

  it.each([
    '2021-02-30', // no such day
    '2021-02-29', // not a leap year
    '1900-02-29', // century, not a leap year
    '2021-13-01',
    '2021-00-10',
    '2021-01-00',
    '2021-04-31',
    '2021-2-3', // not zero-padded
    '21-02-03',
    '2021/02/03',
    ' 2021-02-03',
    '2021-02-03 ',
    '2021-02-03T00:00',
    '２０２１-02-03', // full-width digits
    'yesterday',
    '',
  ])('%j is not a date', (text) => {
    expect(parseDay(text)).toBeNaN();
  });

  it('agrees with Date on every day of four centuries (leap rules included)', () => {
    for (let day = Date.UTC(1900, 0, 1) / MS_PER_DAY; day <= Date.UTC(2300, 0, 1) / MS_PER_DAY; day++) {
      const iso = new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
      if (parseDay(iso) !== day) expect(parseDay(iso)).toBe(day);
    }
  });
});

describe('formatDay', () => {
  it('inverts parseDay and matches Date across the whole four-digit-year range', () => {
    expect(formatDay(MIN_DAY)).toBe('0000-01-01');
    expect(formatDay(MAX_DAY)).toBe('9999-12-31');
    for (let day = MIN_DAY; day <= MAX_DAY; day += 997) {
      const text = formatDay(day);
      if (text !== new Date(day * MS_PER_DAY).toISOString().slice(0, 10)) {
        expect(text).toBe(new Date(day * MS_PER_DAY).toISOString().slice(0, 10));
      }
      if (parseDay(text) !== day) expect(parseDay(text)).toBe(day);
    }
  });

  it('refuses days outside 0000-01-01 … 9999-12-31', () => {
    expect(() => formatDay(MAX_DAY + 1)).toThrow(RangeError);
    expect(() => formatDay(MIN_DAY - 1)).toThrow(RangeError);
    expect(() => formatDay(1.5)).toThrow(RangeError);
  });
});

describe('parseDailyDate: the vendors\' daily forms (docs/input.md#layouts)', () => {
  it('reads every form of a day as that day, against Date for a sweep of days', () => {
    const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    for (let day = FIRST_GREGORIAN_DAY; day <= MAX_DAY; day += 1009) {
      const iso = new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
      const named = `${MONTHS[Number(iso.slice(5, 7)) - 1]} ${iso.slice(8)}, ${iso.slice(0, 4)}`;
      for (const text of [iso, `${iso} 00:00:00 UTC`, `${iso}T00:00:00Z`, named, named.replace(/ 0(\d),/, ' $1,')]) {
        if (parseDailyDate(text) !== day) expect([text, parseDailyDate(text)]).toEqual([text, day]);
      }
    }
  });

  it.each([
    ['2021-02-03 24:00:00 UTC', 'exists'],
    ['2021-02-03T12:00:00 PST', 'exists'], // a zone name other than UTC: refused, not guessed
    ['2021-02-03T00:00:00+15:00', 'exists'],
    ['03/02/2021', 'exists'],
    ['Feb 29, 2021', 'exists'],
    ['feb 03, 2021', 'exists'],
    ['Feb 003, 2021', 'exists'],
    ['1582-10-14', '1582-10-15'],
    ['Jan 01, 0001', '1582-10-15'],
  ])('%s is not a daily date; the message says %s', (text, word) => {
    const day = parseDailyDate(text);
    expect(Number.isNaN(day) || day < FIRST_GREGORIAN_DAY).toBe(true);
    expect(dateExpected(text)).toContain(word);
  });

  it('FIRST_GREGORIAN_DAY is 1582-10-15', () => {
    expect(formatDay(FIRST_GREGORIAN_DAY)).toBe('1582-10-15');
  });
});

describe('parseDateTime and parseUnixTime: a date-time names its UTC day (docs/input.md#dates)', () => {
  it.each([
    ['2018-01-30 00:05:28 UTC', '2018-01-30', 328],
    ['2017-06-06 23:29:55 UTC', '2017-06-06', 84_595],
    ['2013-12-16 23:59:59', '2013-12-16', 86_399],
    ['2021-06-24T00:00:00Z', '2021-06-24', 0],
    ['2021-06-24 01:30', '2021-06-24', 5400],
    ['2021-06-24T01:00:00+02:00', '2021-06-23', 82_800],
    ['2021-06-24T23:00:00-0130', '2021-06-25', 1800],
    ['2021-06-24 12:00:00.250Z', '2021-06-24', 43_200.25],
  ])('%s → %s, %d s into the day', (text, date, into) => {
    const seconds = parseDateTime(text);
    expect(formatDay(dayOfSeconds(seconds))).toBe(date);
    expect(seconds - dayOfSeconds(seconds) * 86_400).toBeCloseTo(into, 6);
  });

  it('unix times: seconds, or milliseconds from 1e11 on; floats as written', () => {
    expect(parseUnixTime('1624492800000')).toBe(Date.UTC(2021, 5, 24) / 1000);
    expect(parseUnixTime('1513555200.0')).toBe(Date.UTC(2017, 11, 18) / 1000);
    expect(parseUnixTime('1513555200')).toBe(Date.UTC(2017, 11, 18) / 1000);
    expect(formatDay(dayOfSeconds(parseUnixTime('99999999999')))).toBe('5138-11-16');
    expect(formatDay(dayOfSeconds(parseUnixTime('100000000000')))).toBe('1973-03-03');
    for (const text of ['', 'NULL', '0x10', '1e400', '2021-06-24']) expect(parseUnixTime(text)).toBeNaN();
  });
});

describe('parseDayBytes', () => {
  it('reads ten bytes in place exactly as parseDay reads the same ten characters', () => {
    const texts = ['1970-01-01', '2000-02-29', '1900-02-29', '2021-02-30', '2021-13-01', '2021-00-10', '0000-01-01', '9999-12-31',
      '2021-1-01x', '2021/01/01', '20210-1-01', '2021-01-0a', ' 2021-01-0', '2021-01-:1', '2021-01-/1', '2021-0\n-01', '1582-10-15'];
    for (let day = MIN_DAY; day <= MAX_DAY; day += 997) texts.push(formatDay(day));
    for (const text of texts) {
      const bytes = Buffer.from(`x,${text},y`, 'latin1');
      expect(Object.is(parseDayBytes(bytes, 2), parseDay(text)), text).toBe(true);
    }
  });
});
