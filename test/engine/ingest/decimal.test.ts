/**
 * parseDecimal against the definition it replaces: the CSV grammar (the regular expression below,
 * as csv.ts and docs/input.md state it) and then `Number(text)`, the platform's correctly rounded
 * conversion. Compared bit for bit (Object.is: -0 and NaN included).
 */
import { describe, expect, it } from 'vitest';
import { decimalValue, parseDecimal, scanDecimal } from '../../../src/engine/ingest/decimal.js';
import { SeededRandom } from '../../../fixtures/generate.js';

const GRAMMAR = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const reference = (text: string): number => (GRAMMAR.test(text) ? Number(text) : NaN);

/** The field surrounded by other text, as it sits in a CSV line. */
function parseField(text: string): number {
  const line = Buffer.from(`-9,${text},+7`, 'latin1');
  return parseDecimal(line, 3, 3 + Buffer.byteLength(text, 'latin1'));
}

function expectSame(text: string): void {
  const got = parseField(text);
  const want = reference(text);
  if (!Object.is(got, want)) expect.fail(`${JSON.stringify(text)}: got ${got}, Number() gives ${want}`);
}

describe('parseDecimal', () => {
  it('reads plain decimals, signs, exponents and zeros as Number() does', () => {
    for (const text of [
      '0', '-0', '+0', '0.0', '-0.000e5', '1', '1.5', '-1.5', '+2', '.5', '2.', '3e-05', '1E3', '1e+21',
      '0.1', '0.2', '0.3', '1234567890123456789', '0.000001234', '44651909.60190199', '1500000000',
      '1.5173284326885843', '9007199254740993', '9007199254740992.5', '123456789012345678e-3', '1e22', '1e23',
      '1e-22', '1e-23', '5e-324', '1.7976931348623157e308', '2.2250738585072014e-308', '00012.5000',
      '12345678901234567890123', '0.30000000000000004', '7.0e0', '1e400', '1e-400',
      // Around 2^53, 2^64 and the 19-digit limit; subnormals; trailing and leading zeros.
      '9007199254740992', '9007199254740994', '9007199254740995', '18014398509481985', '18446744073709551615',
      '18446744073709551616', '9999999999999999999', '99999999999999999999', '1000000000000000000', '1.000000000000000000',
      '9007199254740993e-22', '9007199254740993e22', '1844674407370955161.5', '4.9e-324', '2.4703282292062327e-324',
      '2.4703282292062328e-324', '2.2250738585072011e-308', '1.7976931348623159e308', '1500000000.000', '000.000123',
      '0.1000000000000000055511151231257827', '-0.0', '-1e-400', '.0', '0.',
    ]) {
      expectSame(text);
    }
  });

  it('is NaN outside the grammar, like the regular expression', () => {
    for (const text of ['', '.', '+', '-', 'e5', '1e', '1e+', '1.2.3', ' 1', '1 ', '0x1A', 'Infinity', 'NaN', '1,5', '--1', '1e5.5', '1e+-5', '+-1', '1.e', 'é']) {
      expect(parseField(text)).toBeNaN();
      expect(reference(text)).toBeNaN();
    }
  });

  it('agrees with Number() on random shortest-form doubles (what String(x) writes)', () => {
    const random = new SeededRandom(11);
    const view = new DataView(new ArrayBuffer(8));
    for (let k = 0; k < 300_000; k++) {
      // Random bit patterns over a wide but finite range, and values like the data's.
      let x: number;
      if (k % 2 === 0) {
        view.setUint32(0, (random.nextUint32() & 0x7fffffff) % 0x7ff00000);
        view.setUint32(4, random.nextUint32());
        x = view.getFloat64(0);
      } else {
        x = Math.exp((random.nextDouble() - 0.3) * 60);
      }
      expectSame(String(x));
      expectSame(String(-x));
    }
  });

  it('agrees with Number() on random digit strings, including near-ties that need the fallback', () => {
    const random = new SeededRandom(5);
    const digits = (n: number) => {
      let s = '';
      for (let i = 0; i < n; i++) s += String(random.nextUint32() % 10);
      return s;
    };
    for (let k = 0; k < 300_000; k++) {
      const n = 1 + (random.nextUint32() % 22);
      let text = digits(n);
      const dot = random.nextUint32() % (n + 2);
      if (dot <= n) text = `${text.slice(0, dot)}.${text.slice(dot)}`;
      if (text === '.') text = '0.';
      if (random.nextUint32() % 3 === 0) text += `e${random.nextUint32() % 2 ? '-' : ''}${random.nextUint32() % 30}`;
      if (random.nextUint32() % 4 === 0) text = `-${text}`;
      expectSame(text);
    }
    // Exact midpoints between adjacent doubles (2^53 + odd): ties to even, decided by Number().
    for (let m = 1n; m < 4000n; m += 2n) {
      expectSame(String(2n ** 60n + m * 64n));
      expectSame(String(2n ** 63n + m * 512n));
    }
    for (let m = 1; m < 2000; m += 2) expectSame(String(2n ** 53n + BigInt(m)));
    for (let m = 1; m < 2000; m += 2) expectSame(`${String(2n ** 54n + 2n * BigInt(m))}e-1`);
  });

  it('agrees with Number() on 1-19 significant digits, the fast paths and their fallback (a million fields)', () => {
    const random = new SeededRandom(23);
    const digits = (n: number) => {
      let s = String(1 + (random.nextUint32() % 9));
      for (let i = 1; i < n; i++) s += String(random.nextUint32() % 10);
      return s;
    };
    for (let k = 0; k < 1_000_000; k++) {
      // 16-19 digits half the time (the double-double path when W >= 2^53), leading and trailing zeros,
      // the dot anywhere, exponents within and beyond ±22.
      const n = k % 2 === 0 ? 16 + (random.nextUint32() % 4) : 1 + (random.nextUint32() % 19);
      let text = digits(n);
      const dot = random.nextUint32() % (n + 2);
      if (dot <= n) text = `${text.slice(0, dot)}.${text.slice(dot)}`;
      if (random.nextUint32() % 8 === 0) text = `000${text}`;
      if (random.nextUint32() % 8 === 0) text = text.includes('.') ? `${text}00` : text;
      if (random.nextUint32() % 3 === 0) text += `e${random.nextUint32() % 2 ? '-' : ''}${random.nextUint32() % 40}`;
      if (random.nextUint32() % 4 === 0) text = `-${text}`;
      expectSame(text);
    }
  });

  it('agrees with Number() on exact and near midpoints between doubles written with up to 22 digits', () => {
    const random = new SeededRandom(29);
    for (let k = 0; k < 200_000; k++) {
      // An odd multiple of half an ulp: m · 2^-j for an odd 54-bit m is a tie, m · 5^j / 10^j its decimal.
      const m = (BigInt(2 ** 52 + (random.nextUint32() % 2 ** 20) * 2 ** 12 + (random.nextUint32() % 4096)) << 1n) | 1n;
      const j = random.nextUint32() % 7;
      const text = String(m * 5n ** BigInt(j));
      const tie = j === 0 ? text : `${text.slice(0, text.length - j)}.${text.slice(text.length - j)}`;
      expectSame(tie);
      // A nudge either side in the last written digit, and the tie rounded to 17-19 digits.
      expectSame(`${tie}1`.includes('.') ? `${tie}1` : `${tie}.1`);
      const x = Number(tie);
      expectSame(x.toPrecision(17 + (k % 3)));
    }
  });

  it('scanDecimal reads the longest decimal at a position and says where it ends', () => {
    const cases: Array<[string, number, number]> = [
      ['1.5,', 1.5, 3], ['-2e3\n', -2000, 4], ['7.\r\n', 7, 2], ['1.2.3,', 1.2, 3], ['12x', 12, 2], ['0.1e-2,', 0.001, 6],
      ['1.5173284326885843,', 1.5173284326885843, 18], ['123456789012345678901,', 123456789012345678901, 21],
    ];
    for (const [text, value, end] of cases) {
      expect(scanDecimal(Buffer.from(text, 'latin1'), 0, text.length)).toBe(end);
      expect(decimalValue[0]).toBe(value);
    }
    // No digits, or an exponent marker without digits: NaN.
    for (const text of [',', '.,', '-,', '1e,', '1e+\n']) {
      scanDecimal(Buffer.from(text, 'latin1'), 0, text.length);
      expect(decimalValue[0]).toBeNaN();
    }
  });
});
