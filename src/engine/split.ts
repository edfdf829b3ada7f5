/**
 * The train/test split, docs/split.md.
 *
 * `randomSplit` reproduces Spark's `Dataset.randomSplit([r, 1 - r], seed)` row assignment for one
 * partition whose rows are already in Spark's sort order (date order, docs/split.md#row-order). Spark 3.5 source:
 *   - `Dataset.randomSplit`: `val sum = weights.sum`,
 *     `normalizedCumWeights = weights.map(_ / sum).scanLeft(0.0d)(_ + _)`, one `Sample(lb, ub,
 *     withReplacement = false, seed)` per adjacent pair of bounds;
 *   - `SampleExec` (codegen) / `RDD.randomSampleWithRange`: a `BernoulliCellSampler(lb, ub)` per
 *     partition, `setSeed(seed + partitionIndex)` (Long arithmetic);
 *   - `BernoulliCellSampler.sample()`: `if (ub - lb <= 0.0) 0 else { x = rng.nextDouble();
 *     if (x >= lb && x < ub) 1 else 0 }` — an empty range draws nothing. (There is no special case
 *     for a range near 1; that is `BernoulliSampler`, which randomSplit does not use.)
 *   - `XORShiftRandom` (core/.../util/random/XORShiftRandom.scala): state = `hashSeed(seed)`;
 *     `next(bits)`: `s ^= s << 21; s ^= s >>> 35; s ^= s << 4`, return the low `bits` as an Int;
 *     `nextDouble` is `java.util.Random`'s: `((next(26).toLong << 27) + next(27)) * 2^-53`;
 *     `hashSeed`: the seed's 8 big-endian bytes (`ByteBuffer.allocate(java.lang.Long.BYTES)`),
 *     `lo = MurmurHash3.bytesHash(bytes)` (seed `arraySeed` = 0x3c074a61),
 *     `hi = MurmurHash3.bytesHash(bytes, lo)`, state = `hi << 32 | (lo & 0xFFFFFFFF)`.
 * Every split's sampler replays the same stream, so each row draws one x and lands in the split
 * whose [lb, ub) contains it.
 *
 * Hand-written because no npm package reproduces Spark's generator. The 64-bit xorshift state is
 * kept as two int32 halves so that a draw costs a few integer operations (no BigInt per row:
 * the engine draws once per row, 10M rows).
 */
import type { SplitAssignment } from './types.js';

/** Scala's `MurmurHash3.arraySeed`, the seed `bytesHash(data)` uses. */
export const MURMUR3_ARRAY_SEED = 0x3c074a61;

/**
 * Scala's `scala.util.hashing.MurmurHash3.bytesHash(data, seed)` (MurmurHash3_x86_32 over
 * little-endian 4-byte blocks, tail bytes mixed with `mixLast`, finalised with the byte length).
 * Returns the Scala Int (signed 32-bit).
 */
export function murmur3BytesHash(data: Uint8Array, seed: number): number {
  let h = seed | 0;
  const len = data.length;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    h = murmurMix(h, k);
  }
  const rest = len - i;
  let k = 0;
  if (rest === 3) k ^= data[i + 2] << 16;
  if (rest >= 2) k ^= data[i + 1] << 8;
  if (rest >= 1) {
    k ^= data[i];
    h = murmurMixLast(h, k);
  }
  return murmurAvalanche(h ^ len);
}

function murmurMixLast(hash: number, data: number): number {
  let k = Math.imul(data, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  return hash ^ k;
}

function murmurMix(hash: number, data: number): number {
  let h = murmurMixLast(hash, data);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function murmurAvalanche(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

const LONG_MIN = -(1n << 63n);
const LONG_MAX = (1n << 63n) - 1n;

/** A seed as Spark's `Long`: an integer in the signed 64-bit range, else a RangeError. */
export function toLongSeed(seed: number | bigint): bigint {
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`seed must be an integer (a safe JS integer or a bigint), got ${seed}`);
    }
    return BigInt(seed);
  }
  if (seed < LONG_MIN || seed > LONG_MAX) {
    throw new RangeError(`seed must fit a signed 64-bit Long, got ${seed}`);
  }
  return seed;
}

/** Spark's `XORShiftRandom.hashSeed` as the two 32-bit halves of the state (signed int32 each). */
function hashSeedHalves(seed: bigint): { hi: number; lo: number } {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, BigInt.asIntN(64, seed), false); // big-endian
  const lo = murmur3BytesHash(bytes, MURMUR3_ARRAY_SEED);
  const hi = murmur3BytesHash(bytes, lo);
  return { hi, lo };
}

/**
 * Spark's `XORShiftRandom.hashSeed(seed)`: the generator's initial 64-bit state, as a signed Long.
 * @example hashSeed(0n) // → -9171266021732529057n
 */
export function hashSeed(seed: bigint): bigint {
  const { hi, lo } = hashSeedHalves(toLongSeed(seed));
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo >>> 0));
}

/** 2^-53, `java.util.Random`'s DOUBLE_UNIT. */
const DOUBLE_UNIT = 1 / 2 ** 53;

/**
 * Spark's `org.apache.spark.util.random.XORShiftRandom` (a `java.util.Random` whose `next(bits)`
 * is Marsaglia's xorshift with shifts 21, 35, 4 on a 64-bit state).
 */
export class XORShiftRandom {
  /** High and low 32 bits of the 64-bit state, as int32. */
  private hi = 0;
  private lo = 0;

  constructor(seed: number | bigint) {
    this.setSeed(seed);
  }

  /** `setSeed(s)`: state = hashSeed(s). */
  setSeed(seed: number | bigint): void {
    const { hi, lo } = hashSeedHalves(toLongSeed(seed));
    this.hi = hi;
    this.lo = lo;
  }

  /** The current 64-bit state as a signed Long (for tests and debugging). */
  get state(): bigint {
    return BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo >>> 0));
  }

  /**
   * `next(bits)`: advance the state and return its low `bits` bits as a Java Int
   * (`(nextSeed & ((1L << bits) - 1)).toInt`; for bits = 32 the result is signed).
   */
  next(bits: number): number {
    let hi = this.hi;
    let lo = this.lo;
    // s ^= s << 21
    let shiftedHi = (hi << 21) | (lo >>> 11);
    let shiftedLo = lo << 21;
    hi ^= shiftedHi;
    lo ^= shiftedLo;
    // s ^= s >>> 35  (the high word moves down by 3, the new high word is 0)
    lo ^= hi >>> 3;
    // s ^= s << 4
    shiftedHi = (hi << 4) | (lo >>> 28);
    shiftedLo = lo << 4;
    hi ^= shiftedHi;
    lo ^= shiftedLo;
    this.hi = hi;
    this.lo = lo;
    return bits >= 32 ? lo | 0 : lo & ((1 << bits) - 1);
  }

  /** `java.util.Random.nextInt()` = next(32). */
  nextInt(): number {
    return this.next(32);
  }

  /** `java.util.Random.nextDouble()`: 53 random bits in [0, 1). */
  nextDouble(): number {
    const high26 = this.next(26);
    const low27 = this.next(27);
    return (high26 * 134217728 + low27) * DOUBLE_UNIT; // 134217728 = 2^27; exact below 2^53
  }
}

/** A row's role in the split (`SplitAssignment.role`, one byte a row). */
export const ROLE_TEST = 0;
export const ROLE_TRAIN = 1;
/** A row whose draw falls in neither of Spark's ranges (see randomSplit): in neither count. */
export const ROLE_NONE = 2;
export type Role = typeof ROLE_TEST | typeof ROLE_TRAIN | typeof ROLE_NONE;

/**
 * Spark's `randomSplit([trainRatio, 1 - trainRatio], seed)` over `n` rows in sort order, one
 * partition (sampler seed = seed + 0 as a Long).
 *
 * `role` is ROLE_TRAIN for the first split (`cum[0] <= x < cum[1]`) and ROLE_TEST for the second
 * (`cum[1] <= x < cum[2]`). Should the normalised cumulative weights fall short of 1 by rounding,
 * a draw beyond `cum[2]` belongs to no split in Spark; such a row gets ROLE_NONE and is counted in
 * neither count. (For r = k/100000 the bounds always reach 1, so this is theoretical.)
 */
/**
 * The first `n` draws of `XORShiftRandom(seed)`, kept and extended: every asset of a panel replays the
 * same stream from its start (docs/split.md), so 10,000 assets draw it once, not 10,000 times.
 */
const draws = { seed: null as bigint | null, rng: null as XORShiftRandom | null, values: new Float64Array(0), count: 0 };
function samplerDraws(seed: bigint, n: number): Float64Array {
  if (draws.seed !== seed) {
    draws.seed = seed;
    draws.rng = new XORShiftRandom(seed);
    draws.count = 0;
  }
  if (draws.count < n) {
    if (draws.values.length < n) {
      const grown = new Float64Array(Math.max(n, 2 * draws.values.length));
      grown.set(draws.values.subarray(0, draws.count));
      draws.values = grown;
    }
    for (let i = draws.count; i < n; i++) draws.values[i] = draws.rng!.nextDouble();
    draws.count = n;
  }
  return draws.values;
}

export function randomSplit(n: number, trainRatio: number, seed: number | bigint): SplitAssignment {
  checkRowCount(n);
  if (!(trainRatio >= 0 && trainRatio <= 1)) {
    throw new RangeError(`train ratio must be in [0, 1], got ${trainRatio}`);
  }
  const weights = [trainRatio, 1 - trainRatio];
  // Scala `weights.sum`: foldLeft from 0.0.
  let sum = 0;
  for (const w of weights) sum += w;
  // `weights.map(_ / sum).scanLeft(0.0d)(_ + _)`
  const cum = [0];
  for (const w of weights) cum.push(cum[cum.length - 1] + w / sum);
  const [trainLb, trainUb, testUb] = [cum[0], cum[1], cum[2]];
  const testLb = trainUb;
  // BernoulliCellSampler: an empty range (ub - lb <= 0) takes nothing and draws nothing.
  const trainOpen = trainUb - trainLb > 0;
  const testOpen = testUb - testLb > 0;

  const draws = samplerDraws(BigInt.asIntN(64, toLongSeed(seed) + 0n), n); // seed + partitionIndex
  const role = new Uint8Array(n);
  let trainCount = 0;
  let testCount = 0;
  for (let i = 0; i < n; i++) {
    const x = draws[i];
    if (trainOpen && x >= trainLb && x < trainUb) {
      role[i] = ROLE_TRAIN;
      trainCount++;
    } else if (testOpen && x >= testLb && x < testUb) {
      role[i] = ROLE_TEST;
      testCount++;
    } else {
      role[i] = ROLE_NONE;
    }
  }
  return { role, trainCount, testCount };
}

/**
 * The time split (`--split time`): the first floor(n * trainRatio) rows (earliest dates) train,
 * the rest test.
 */
export function timeSplit(n: number, trainRatio: number): SplitAssignment {
  checkRowCount(n);
  if (!(trainRatio >= 0 && trainRatio <= 1)) {
    throw new RangeError(`train ratio must be in [0, 1], got ${trainRatio}`);
  }
  const trainCount = Math.floor(n * trainRatio);
  const role = new Uint8Array(n); // ROLE_TEST
  role.fill(ROLE_TRAIN, 0, trainCount);
  return { role, trainCount, testCount: n - trainCount };
}

function checkRowCount(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`row count must be a non-negative integer, got ${n}`);
  }
}
