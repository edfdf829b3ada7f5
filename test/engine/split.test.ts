import { describe, expect, it } from 'vitest';
import {
  ROLE_NONE,
  MURMUR3_ARRAY_SEED,
  XORShiftRandom,
  hashSeed,
  murmur3BytesHash,
  randomSplit,
  timeSplit,
} from '../../src/engine/split.js';

// ---- Independent references, written from the algorithms' definitions with BigInt ----------------

const M32 = (1n << 32n) - 1n;
const M64 = (1n << 64n) - 1n;
const mul32 = (a: bigint, b: bigint) => (a * b) & M32;
const rotl32 = (x: bigint, r: bigint) => ((x << r) | (x >> (32n - r))) & M32;

/** MurmurHash3_x86_32 (Appleby), unsigned 32-bit result. */
function murmur3Reference(data: Uint8Array, seed: number): bigint {
  const c1 = 0xcc9e2d51n;
  const c2 = 0x1b873593n;
  let h = BigInt(seed >>> 0);
  const blocks = Math.floor(data.length / 4);
  for (let b = 0; b < blocks; b++) {
    let k = 0n;
    for (let byte = 3; byte >= 0; byte--) k = (k << 8n) | BigInt(data[b * 4 + byte]);
    k = mul32(rotl32(mul32(k, c1), 15n), c2);
    h ^= k;
    h = rotl32(h, 13n);
    h = (h * 5n + 0xe6546b64n) & M32;
  }
  let k = 0n;
  const tail = data.length % 4;
  for (let byte = tail - 1; byte >= 0; byte--) k = (k << 8n) | BigInt(data[blocks * 4 + byte]);
  if (tail > 0) h ^= mul32(rotl32(mul32(k, c1), 15n), c2);
  h ^= BigInt(data.length);
  h ^= h >> 16n;
  h = mul32(h, 0x85ebca6bn);
  h ^= h >> 13n;
  h = mul32(h, 0xc2b2ae35n);
  h ^= h >> 16n;
  return h;
}

/** XORShiftRandom.hashSeed from the Scala text: big-endian Long bytes, two bytesHash calls. */
function hashSeedReference(seed: bigint): bigint {
  const bytes = new Uint8Array(8);
  let u = BigInt.asUintN(64, seed);
  for (let i = 7; i >= 0; i--) {
    bytes[i] = Number(u & 0xffn);
    u >>= 8n;
  }
  const lo = murmur3Reference(bytes, MURMUR3_ARRAY_SEED);
  const hi = murmur3Reference(bytes, Number(BigInt.asIntN(32, lo)));
  return BigInt.asIntN(64, (hi << 32n) | lo);
}

/** The xorshift generator on a plain 64-bit BigInt state. */
class XorShiftReference {
  private s: bigint;
  constructor(seed: bigint) {
    this.s = BigInt.asUintN(64, hashSeedReference(seed));
  }
  next(bits: number): number {
    let s = this.s;
    s ^= (s << 21n) & M64;
    s ^= s >> 35n;
    s ^= (s << 4n) & M64;
    this.s = s;
    return Number(BigInt.asIntN(32, s & ((1n << BigInt(bits)) - 1n)));
  }
  nextDouble(): number {
    const a = BigInt(this.next(26));
    const b = BigInt(this.next(27));
    return Number((a << 27n) + b) / 2 ** 53;
  }
}

/** A small deterministic byte source for test inputs (not the code under test). */
function lcgBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const SEEDS: bigint[] = [
  0n, 1n, 42n, -1n, -42n, 30n, 123456789n, (1n << 53n) + 1n, (1n << 63n) - 1n, -(1n << 63n),
  0x0123456789abcdefn, -0x7edcba9876543210n,
];

// ---- MurmurHash3 and hashSeed -------------------------------------------------------------------

describe('murmur3BytesHash (Scala MurmurHash3.bytesHash)', () => {
  it('matches published MurmurHash3_x86_32 test vectors', () => {
    const utf8 = (s: string) => new TextEncoder().encode(s);
    const cases: [Uint8Array, number, number][] = [
      [utf8(''), 0, 0],
      [utf8(''), 1, 0x514e28b7],
      [utf8(''), 0xffffffff, 0x81f16f39],
      [Uint8Array.of(0, 0, 0, 0), 0, 0x2362f9de],
      [utf8('aaaa'), 0x9747b28c, 0x5a97808a],
      [utf8('Hello, world!'), 0x9747b28c, 0x24884cba],
      [utf8('The quick brown fox jumps over the lazy dog'), 0x9747b28c, 0x2fa826cd],
    ];
    for (const [data, seed, expected] of cases) {
      expect(murmur3BytesHash(data, seed) >>> 0).toBe(expected);
    }
  });

  it('agrees with a BigInt implementation for every tail length and many seeds', () => {
    for (let length = 0; length <= 19; length++) {
      for (const seed of [0, MURMUR3_ARRAY_SEED, -1, 0x7fffffff, -0x80000000, 987654321]) {
        const data = lcgBytes(length, length * 31 + seed);
        const got = murmur3BytesHash(data, seed);
        expect(BigInt(got >>> 0)).toBe(murmur3Reference(data, seed));
        expect(got).toBe(got | 0); // a Scala Int: signed 32-bit
      }
    }
  });
});

describe('hashSeed (XORShiftRandom.hashSeed)', () => {
  it('gives the known Spark value for seed 0', () => {
    expect(hashSeed(0n)).toBe(-9171266021732529057n);
  });

  it('agrees with the BigInt reference for negative and extreme seeds', () => {
    for (const seed of SEEDS) expect(hashSeed(seed)).toBe(hashSeedReference(seed));
  });

  it('rejects a seed outside the Long range', () => {
    expect(() => hashSeed(1n << 63n)).toThrow(RangeError);
    expect(() => hashSeed(-(1n << 63n) - 1n)).toThrow(RangeError);
  });
});

// ---- XORShiftRandom ------------------------------------------------------------------------------

describe('XORShiftRandom', () => {
  it('reproduces Spark SQL rand(seed) first values and the seed-1 stream (docs/split.md)', () => {
    expect(new XORShiftRandom(0).nextDouble()).toBe(0.7604953758285915);
    expect(new XORShiftRandom(30).nextDouble()).toBe(0.2762195585886885);
    const one = new XORShiftRandom(1);
    expect(one.nextDouble()).toBe(0.6363787615254752);
    expect(one.nextDouble()).toBe(0.5993846534021868);
  });

  it('starts from hashSeed(seed)', () => {
    for (const seed of SEEDS) expect(new XORShiftRandom(seed).state).toBe(hashSeed(seed));
  });

  it('matches a BigInt reference over long streams of nextDouble', () => {
    for (const seed of SEEDS) {
      const fast = new XORShiftRandom(seed);
      const ref = new XorShiftReference(seed);
      for (let i = 0; i < 2000; i++) expect(fast.nextDouble()).toBe(ref.nextDouble());
    }
  });

  it('returns the low `bits` bits from next(bits), signed for 32 bits', () => {
    const fast = new XORShiftRandom(-7n);
    const ref = new XorShiftReference(-7n);
    for (let round = 0; round < 10; round++) {
      for (let bits = 1; bits <= 32; bits++) {
        const got = fast.next(bits);
        expect(got).toBe(ref.next(bits));
        if (bits < 32) expect(got >= 0 && got < 2 ** bits).toBe(true);
      }
    }
    expect(new XORShiftRandom(5).nextInt()).toBe(new XorShiftReference(5n).next(32));
  });

  it('treats a number seed and a bigint seed alike, and setSeed restarts the stream', () => {
    const a = new XORShiftRandom(42);
    const b = new XORShiftRandom(42n);
    const first = a.nextDouble();
    expect(b.nextDouble()).toBe(first);
    a.setSeed(42);
    expect(a.nextDouble()).toBe(first);
  });

  it('rejects seeds that are not integers', () => {
    expect(() => new XORShiftRandom(1.5)).toThrow(RangeError);
    expect(() => new XORShiftRandom(2 ** 60)).toThrow(RangeError); // not a safe integer
    expect(() => new XORShiftRandom(Number.NaN)).toThrow(RangeError);
  });
});

// ---- randomSplit ---------------------------------------------------------------------------------

describe('randomSplit (Dataset.randomSplit([r, 1 - r], seed), one partition)', () => {
  /** Row i is train iff the i-th draw of XORShiftRandom(seed) is below the first cumulative bound. */
  function expectedAssignment(n: number, r: number, seed: bigint): number[] {
    const sum = r + (1 - r);
    const bound = r / sum;
    const ref = new XorShiftReference(seed);
    return Array.from({ length: n }, () => (ref.nextDouble() < bound ? 1 : 0));
  }

  it('assigns each row by its draw from the seed + 0 stream', () => {
    for (const [seed, r] of [[42n, 0.7], [0n, 0.5], [-3n, 0.25], [(1n << 63n) - 1n, 0.9]] as const) {
      const split = randomSplit(500, r, seed);
      expect(Array.from(split.role)).toEqual(expectedAssignment(500, r, seed));
    }
  });

  it('uses the seed-1 stream as docs/split.md#known-values lists it: 0.636… and 0.599… are both train at r = 0.7', () => {
    expect(Array.from(randomSplit(2, 0.7, 1).role)).toEqual([1, 1]);
    expect(Array.from(randomSplit(2, 0.6, 1).role)).toEqual([0, 1]);
  });

  it('splits every row into exactly one of the two parts, about r of them train', () => {
    const n = 100_000;
    const split = randomSplit(n, 0.7, 42);
    let train = 0;
    let test = 0;
    for (const v of split.role) {
      if (v === 1) train++;
      else if (v === 0) test++;
    }
    expect(train).toBe(split.trainCount);
    expect(test).toBe(split.testCount);
    expect(train + test).toBe(n);
    expect(Math.abs(train / n - 0.7)).toBeLessThan(0.01);
    expect(split.role.includes(ROLE_NONE)).toBe(false);
  });

  it('is reproducible for a seed and differs between seeds; number and bigint seeds agree', () => {
    const a = randomSplit(1000, 0.7, 42).role;
    expect(randomSplit(1000, 0.7, 42).role).toEqual(a);
    expect(randomSplit(1000, 0.7, 42n).role).toEqual(a);
    expect(randomSplit(1000, 0.7, 43).role).not.toEqual(a);
    expect(randomSplit(1000, 0.7, -42).role).not.toEqual(a);
  });

  it('puts everything in train at r = 1 and in test at r = 0 (an empty range takes nothing)', () => {
    const all = randomSplit(50, 1, 7);
    expect(all.trainCount).toBe(50);
    expect(all.testCount).toBe(0);
    const none = randomSplit(50, 0, 7);
    expect(none.trainCount).toBe(0);
    expect(none.testCount).toBe(50);
  });

  it('handles no rows and rejects bad arguments', () => {
    expect(randomSplit(0, 0.7, 42)).toEqual({ role: new Uint8Array(0), trainCount: 0, testCount: 0 });
    expect(() => randomSplit(10, 1.2, 42)).toThrow(RangeError);
    expect(() => randomSplit(10, Number.NaN, 42)).toThrow(RangeError);
    expect(() => randomSplit(-1, 0.7, 42)).toThrow(RangeError);
    expect(() => randomSplit(10, 0.7, 0.5)).toThrow(RangeError);
  });
});

describe('timeSplit', () => {
  it('trains on the first floor(n * r) rows and tests on the rest', () => {
    expect(Array.from(timeSplit(10, 0.7).role)).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    const odd = timeSplit(3, 0.5);
    expect(Array.from(odd.role)).toEqual([1, 0, 0]);
    expect([odd.trainCount, odd.testCount]).toEqual([1, 2]);
    expect(timeSplit(4, 1).testCount).toBe(0);
    expect(timeSplit(4, 0).trainCount).toBe(0);
    expect(() => timeSplit(4, -0.1)).toThrow(RangeError);
  });
});
