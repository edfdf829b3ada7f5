"""Spark's seeded randomSplit([r, 1 - r], seed) for one partition, vectorised with numpy.

The same assignment as src/engine/split.ts (whose header cites the Spark source), for the benchmark peers:
row i of the cleaned table (date order) draws x_i = XORShiftRandom(hashSeed(seed)).nextDouble(), the
i-th draw, and trains when 0 <= x_i < r.

XORShiftRandom's step (s ^= s << 21; s ^= s >>> 35; s ^= s << 4) is linear over GF(2), so the stream can
be cut into `lanes` pieces: the first state of each lane comes from jumping `stride` steps at a time (the
step's 64x64 bit matrix raised to `stride`, applied with Python ints), then every lane is stepped together
in numpy. A plain Python loop over the 2n draws would take seconds at 10M rows and dominate the peer.
"""
from __future__ import annotations

import numpy as np

MASK64 = (1 << 64) - 1
MASK32 = 0xFFFFFFFF
MURMUR3_ARRAY_SEED = 0x3C074A61


def _imul(a: int, b: int) -> int:
    return (a * b) & MASK32


def _rotl32(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & MASK32


def murmur3_bytes_hash(data: bytes, seed: int) -> int:
    """Scala's MurmurHash3.bytesHash(data, seed) as an unsigned 32-bit value."""
    h = seed & MASK32
    n = len(data)
    i = 0
    while i + 4 <= n:
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = _imul(_rotl32(_imul(k, 0xCC9E2D51), 15), 0x1B873593)
        h = (_imul(_rotl32(h ^ k, 13), 5) + 0xE6546B64) & MASK32
        i += 4
    rest = n - i
    k = 0
    if rest == 3:
        k ^= data[i + 2] << 16
    if rest >= 2:
        k ^= data[i + 1] << 8
    if rest >= 1:
        k ^= data[i]
        h ^= _imul(_rotl32(_imul(k, 0xCC9E2D51), 15), 0x1B873593)
    h ^= n
    h ^= h >> 16
    h = _imul(h, 0x85EBCA6B)
    h ^= h >> 13
    h = _imul(h, 0xC2B2AE35)
    h ^= h >> 16
    return h


def hash_seed(seed: int) -> int:
    """XORShiftRandom.hashSeed: the initial 64-bit state (unsigned)."""
    data = (seed & MASK64).to_bytes(8, "big")
    lo = murmur3_bytes_hash(data, MURMUR3_ARRAY_SEED)
    hi = murmur3_bytes_hash(data, lo)
    return ((hi << 32) | lo) & MASK64


def _step(s: int) -> int:
    s ^= (s << 21) & MASK64
    s ^= s >> 35
    s ^= (s << 4) & MASK64
    return s


def _apply(matrix: list, v: int) -> int:
    """The bit matrix (images of the 64 unit vectors) applied to v."""
    out = 0
    j = 0
    while v:
        if v & 1:
            out ^= matrix[j]
        v >>= 1
        j += 1
    return out


def _jump_matrix(steps: int) -> list:
    """The step's matrix to the power `steps`, by repeated squaring."""
    result = [1 << j for j in range(64)]
    power = [_step(1 << j) for j in range(64)]
    while steps:
        if steps & 1:
            result = [_apply(power, c) for c in result]
        power = [_apply(power, c) for c in power]
        steps >>= 1
    return result


def xorshift_states(seed: int, count: int, lanes: int = 2048) -> np.ndarray:
    """States s_1 .. s_count after s_0 = hashSeed(seed), as uint64."""
    stride = max(1, -(-(count + 1) // lanes))
    jump = _jump_matrix(stride)
    starts = np.empty(lanes, dtype=np.uint64)
    s = hash_seed(seed)
    for j in range(lanes):
        starts[j] = s
        s = _apply(jump, s)
    table = np.empty((stride, lanes), dtype=np.uint64)
    v = starts
    table[0] = v
    for k in range(1, stride):
        v = v ^ (v << np.uint64(21))
        v = v ^ (v >> np.uint64(35))
        v = v ^ (v << np.uint64(4))
        table[k] = v
    return table.T.reshape(-1)[1 : count + 1]


def next_doubles(seed: int, n: int) -> np.ndarray:
    """The first n nextDouble() draws: ((next(26) << 27) + next(27)) * 2^-53."""
    states = xorshift_states(seed, 2 * n)
    high26 = states[0::2] & np.uint64((1 << 26) - 1)
    low27 = states[1::2] & np.uint64((1 << 27) - 1)
    return ((high26 << np.uint64(27)) + low27).astype(np.float64) * (2.0 ** -53)


def random_split(n: int, train_ratio: float, seed: int) -> tuple:
    """(train, test) boolean masks for randomSplit([r, 1 - r], seed), with the bounds Dataset.randomSplit
    forms (normalised weights, cumulated from 0.0); a draw past the last bound is in neither."""
    weights = [train_ratio, 1.0 - train_ratio]
    total = 0.0
    for w in weights:
        total += w
    bounds = [0.0]
    for w in weights:
        bounds.append(bounds[-1] + w / total)
    x = next_doubles(seed, n)
    train = (x >= bounds[0]) & (x < bounds[1]) if bounds[1] - bounds[0] > 0 else np.zeros(n, dtype=bool)
    test = (x >= bounds[1]) & (x < bounds[2]) if bounds[2] - bounds[1] > 0 else np.zeros(n, dtype=bool)
    return train, test
