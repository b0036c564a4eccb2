"""Weight codes: CCQ (convolutional-code quantization) and plain round-to-nearest (RTN), per group of weights.

CCQ as implemented here. Each group of `n` weights is one bit stream; weight t is read from a window of
K + S_t bits of it, and consecutive windows overlap by K bits (the window slides by S_t new bits per weight),
so every code shares its K low bits with the code before it: a rate-S/(K+S) convolutional code whose K-bit
state is the overlap. Decoding is a bit shift and a mask per weight (plus a linear map to a float), never a
table lookup:

    v_t  = (stream >> (P_t - K)) & (2^(K+S_t) - 1)                 P_t = K + S_0 + ... + S_(t-1)
    c_t  = v_t ^ ((v_t & (2^S_t - 1)) << K)                       the code's generator tap (an XOR)
    u_t  = (c_t << (S_max - S_t)) | half_step(S_max - S_t)        every window on the same (K+S_max)-bit grid
    w_t  = scale_g * (u_t - 2^(K+S_max-1)) + offset_g

- Convolutional code: each weight has 2^(K+S) levels (a fine grid) while costing S new bits; which levels it
  can reach depends on the previous code's high bits. The encoder picks the whole stream with the Viterbi
  algorithm (2^K states, minimum squared error over the group), so the fine grid is used where it helps.
  The XOR tap makes the reachable levels of a weight depend on older bits than its neighbour's coarse ones;
  without it the code is no better than a uniform scalar quantizer.
- Hybrid encoding: fractional rates mix window steps within a group (2.5 bits: S = 3, 2, 3, 2, ...;
  2.75: 3, 3, 3, 2, ...), all decoded by the same shift-and-mask.
- Code cluster: the linear map from the code space onto the weights (scale, offset per group) is fitted to
  the group's distribution by alternating Viterbi assignment and a least-squares refit (a Lloyd iteration
  constrained to a linear map, so decoding stays lookup-free); the squared error never increases.

Calibration (scriba.models.compress.calib): the error the encoder minimizes is weighted per weight by the mean
square of the activation it multiplies, measured on unlabeled pages and line crops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Nominal bits per weight -> (state bits K, window steps S_t repeated over the group).
CCQ_CODES: dict[float, tuple[int, tuple[int, ...]]] = {
    2.0: (4, (2,)),
    2.5: (4, (3, 2)),
    2.75: (4, (3, 3, 3, 2)),
    3.0: (4, (3,)),
    4.0: (3, (4,)),  # K=3: 128 candidates per step instead of 256 (encoding time); the gain is small at 4 bits
}
BITS = tuple(sorted(CCQ_CODES))
SPREADS = (2.0, 2.5, 3.0, 99.0)  # half-ranges tried per group, in standard deviations (99: its whole range)
CLUSTER_ROUNDS = 3  # Viterbi + refit rounds; the last Viterbi runs on the stored (float16) scale and offset


@dataclass
class Encoded:
    """One tensor's groups, encoded: packed bit stream, per-group float16 scale and offset, group bit counts."""

    method: str  # "ccq" | "rtn"
    codes: np.ndarray  # uint8, the packed stream of every group, one after another
    scale: np.ndarray  # float16 (groups,)
    offset: np.ndarray  # float16 (groups,)
    group_size: int
    state_bits: int = 0  # CCQ: K
    steps: tuple[int, ...] = ()  # CCQ: S pattern
    widths: np.ndarray | None = None  # RTN: bits per weight of each group (uint8)

    @property
    def nbytes(self) -> int:
        extra = 0 if self.widths is None else self.widths.nbytes
        return self.codes.nbytes + self.scale.nbytes + self.offset.nbytes + extra


# -- bit streams ------------------------------------------------------------------------------------------
def pack_fields(values: np.ndarray, offsets: np.ndarray, widths: np.ndarray, total_bits: int) -> np.ndarray:
    """Write each value's `width` low bits at its bit offset (LSB first) into a byte array."""
    bits = np.zeros(total_bits, dtype=np.uint8)
    values = values.astype(np.uint64)
    for j in range(int(widths.max(initial=0))):
        sel = widths > j
        bits[offsets[sel] + j] = ((values[sel] >> np.uint64(j)) & np.uint64(1)).astype(np.uint8)
    return np.packbits(bits, bitorder="little")


def read_fields(codes: np.ndarray, offsets: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """The `width`-bit fields at the given bit offsets, vectorized: one unaligned 64-bit little-endian word
    per field, a right shift by the offset within its byte, and a mask (fields are at most 57 bits)."""
    buf = np.concatenate([codes.astype(np.uint8, copy=False), np.zeros(8, np.uint8)])
    offsets = offsets.astype(np.int64)
    words = np.lib.stride_tricks.sliding_window_view(buf, 8)[offsets >> 3]
    word = np.ascontiguousarray(words).view("<u8").reshape(-1)
    mask = (np.uint64(1) << widths.astype(np.uint64)) - np.uint64(1)
    return (word >> (offsets & 7).astype(np.uint64)) & mask


def read_fields_reference(codes: bytes, offsets: list[int], widths: list[int]) -> list[int]:
    """The same fields read one bit at a time (what read_fields must equal)."""
    out = []
    for off, width in zip(offsets, widths):
        v = 0
        for j in range(width):
            p = off + j
            v |= ((codes[p >> 3] >> (p & 7)) & 1) << j
        out.append(v)
    return out


# -- CCQ --------------------------------------------------------------------------------------------------
def _step_pattern(n: int, steps: tuple[int, ...]) -> np.ndarray:
    return np.resize(np.asarray(steps, dtype=np.int64), n)


def _ccq_layout(n: int, k: int, steps: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, int]:
    """Per weight of a group: window start (bit, within the group) and width; and the group's bit count."""
    s = _step_pattern(n, steps)
    starts = np.concatenate([[0], np.cumsum(s)[:-1]])  # P_t - K
    return starts, s + k, int(k + s.sum())


def ccq_levels(v: np.ndarray, step: np.ndarray | int, k: int, s_max: int) -> np.ndarray:
    """Window values -> signed integer levels on the common (K + S_max)-bit grid, by shifts, masks and one XOR:
    the window's S new (top) bits are XORed with its S lowest (oldest) bits, the generator taps of the code.
    Without that tap the trellis is only a dithered uniform quantizer (each weight's fine bits are set by its
    neighbour's coarse ones); with it the Viterbi search gains ~1.3 dB over the best uniform scalar quantizer
    on Gaussian weights at 2 and 3 bits."""
    v = np.asarray(v, dtype=np.int64)
    s = np.asarray(step, dtype=np.int64)
    u = v ^ ((v & ((1 << s) - 1)) << k)
    d = s_max - s
    half = np.where(d > 0, np.left_shift(1, np.maximum(d - 1, 0)), 0)
    return ((u << d) | half) - (1 << (k + s_max - 1))


def dequantize(levels: np.ndarray, scale: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Float weights from integer levels (groups x n) and the stored float16 scale and offset per group."""
    return (
        scale.astype(np.float32)[:, None] * levels.astype(np.float32) + offset.astype(np.float32)[:, None]
    )


def _viterbi(
    x: np.ndarray, h: np.ndarray, scale: np.ndarray, offset: np.ndarray, k: int, steps: tuple[int, ...]
) -> np.ndarray:
    """The window values (groups x n) of least h-weighted squared error for each group, given its scale and
    offset."""
    g, n = x.shape
    s_max = max(steps)
    pattern = _step_pattern(n, steps)
    n_states = 1 << k
    # Reconstruction of every candidate window, per distinct step width (encoder side only).
    recon = {}
    for s in set(steps):
        lv = ccq_levels(np.arange(1 << (k + s)), s, k, s_max).astype(np.float32)
        recon[s] = scale[:, None] * lv[None, :] + offset[:, None]
    cost = np.zeros((g, n_states), dtype=np.float32)
    back = np.empty((n, g, n_states), dtype=np.uint8)
    rows = np.arange(g)[:, None]
    for t in range(n):
        s = int(pattern[t])
        cand = 1 << (k + s)
        state_in = np.arange(cand) & (n_states - 1)  # low K bits: the previous window's high K bits
        tot = h[:, t, None] * (x[:, t, None] - recon[s]) ** 2 + cost[:, state_in]
        tot = tot.reshape(g, n_states, 1 << s)  # v = next_state * 2^S + r: next state = top K bits
        r = tot.argmin(axis=2)
        back[t] = r
        cost = np.take_along_axis(tot, r[:, :, None], axis=2)[:, :, 0]
    v = np.empty((g, n), dtype=np.int64)
    state = cost.argmin(axis=1)
    for t in range(n - 1, -1, -1):
        s = int(pattern[t])
        vt = (state << s) | back[t][rows[:, 0], state].astype(np.int64)
        v[:, t] = vt
        state = vt & (n_states - 1)
    return v


def ccq_encode(x: np.ndarray, bits: float, h: np.ndarray | None = None) -> tuple[Encoded, np.ndarray]:
    """Encode groups (groups x n, float32), minimizing the error weighted by `h` (groups x n, the importance of
    each weight: calibration's E[x^2] of its input; None: all equal). Returns the code and the quantized
    weights it decodes to."""
    k, steps = CCQ_CODES[float(bits)]
    g, n = x.shape
    s_max = max(steps)
    x = x.astype(np.float32)
    h = np.ones_like(x) if h is None else np.ascontiguousarray(h, dtype=np.float32)
    pattern = _step_pattern(n, steps)
    top = float(1 << (k + s_max - 1))
    # Code cluster, first the range: per group, the best of a few half-ranges (in standard deviations,
    # never past the largest deviation from the mean); then least-squares refits of scale and offset on the
    # chosen codes. The weights far outside the bulk are split off before (scriba.models.compress.model).
    mean = x.mean(axis=1)
    std = x.std(axis=1) + 1e-12
    reach = np.abs(x - mean[:, None]).max(axis=1) + 1e-12
    best_err = np.full(g, np.inf)
    scale, offset = reach / top, mean.astype(np.float64)
    for spread in SPREADS:
        s_try = (np.minimum(spread * std, reach) / top).astype(np.float16).astype(np.float32)
        s_try = np.where(s_try == 0, np.float32(6e-8), s_try)
        o_try = mean.astype(np.float16).astype(np.float32)
        v = _viterbi(x, h, s_try, o_try, k, steps)
        err = (h * (x - dequantize(ccq_levels(v, pattern[None, :], k, s_max), s_try, o_try)) ** 2).sum(axis=1)
        better = err < best_err
        best_err = np.where(better, err, best_err)
        scale = np.where(better, s_try, scale)
    for round_ in range(CLUSTER_ROUNDS):
        s16, o16 = scale.astype(np.float16), offset.astype(np.float16)
        s16 = np.where(s16 == 0, np.float16(6e-8), s16)  # float16 underflow: keep a usable step
        v = _viterbi(x, h, s16.astype(np.float32), o16.astype(np.float32), k, steps)
        if round_ == CLUSTER_ROUNDS - 1:
            break
        u = ccq_levels(v, pattern[None, :], k, s_max).astype(np.float64)
        hw = h.astype(np.float64) / np.maximum(h.sum(axis=1, keepdims=True), 1e-30)  # weighted least squares
        um, xm = (hw * u).sum(axis=1), (hw * x).sum(axis=1)
        var = (hw * (u - um[:, None]) ** 2).sum(axis=1)
        cov = (hw * (u - um[:, None]) * (x - xm[:, None])).sum(axis=1)
        ok = (var > 0) & (cov > 0)
        scale = np.where(ok, cov / np.where(ok, var, 1), s16.astype(np.float64))
        offset = xm - scale * um
    starts, widths, group_bits = _ccq_layout(n, k, steps)
    base = (np.arange(g, dtype=np.int64) * group_bits)[:, None]
    offsets = base + starts[None, :]
    # The stream holds the first window whole, then only each window's new (top S) bits.
    first = v[:, 0]
    new = v[:, 1:] >> k
    vals = np.concatenate([first[:, None], new], axis=1)
    fo = np.concatenate([offsets[:, :1], offsets[:, 1:] + k], axis=1)
    fw = np.concatenate([np.full((g, 1), widths[0]), np.broadcast_to(widths[1:] - k, (g, n - 1))], axis=1)
    codes = pack_fields(vals.ravel(), fo.ravel(), fw.ravel(), g * group_bits)
    enc = Encoded("ccq", codes, s16, o16, n, state_bits=k, steps=tuple(steps))
    return enc, dequantize(ccq_levels(v, pattern[None, :], k, s_max), s16, o16)


def ccq_decode(enc: Encoded, groups: int) -> np.ndarray:
    """Quantized weights (groups x n) from the stream: one shift-and-mask read per weight."""
    n, k = enc.group_size, enc.state_bits
    starts, widths, group_bits = _ccq_layout(n, k, enc.steps)
    offsets = (np.arange(groups, dtype=np.int64) * group_bits)[:, None] + starts[None, :]
    v = read_fields(enc.codes, offsets.ravel(), np.broadcast_to(widths, (groups, n)).ravel()).astype(np.int64)
    levels = ccq_levels(v.reshape(groups, n), _step_pattern(n, enc.steps)[None, :], k, max(enc.steps))
    return dequantize(levels, enc.scale, enc.offset)


# -- RTN --------------------------------------------------------------------------------------------------
def rtn_widths(groups: int, bits: float) -> np.ndarray:
    """Bits per weight for each group: floor or ceil of `bits`, spread evenly so the mean is `bits`."""
    lo = int(np.floor(bits))
    frac = bits - lo
    extra = np.floor((np.arange(groups) + 1) * frac) - np.floor(np.arange(groups) * frac)
    return (lo + extra).astype(np.uint8)


def rtn_encode(x: np.ndarray, bits: float) -> tuple[Encoded, np.ndarray]:
    """Per-group asymmetric min-max round-to-nearest, `bits` per weight (fractional: mixed 2/3-bit groups)."""
    g, n = x.shape
    x = x.astype(np.float32)
    widths = rtn_widths(g, bits)
    lo, hi = x.min(axis=1), x.max(axis=1)
    top = (1 << widths.astype(np.int64)) - 1
    s16 = ((hi - lo) / top).astype(np.float16)
    s16 = np.where(s16 == 0, np.float16(6e-8), s16)
    o16 = lo.astype(np.float16)
    q = np.rint((x - o16.astype(np.float32)[:, None]) / s16.astype(np.float32)[:, None])
    q = np.clip(q, 0, top[:, None]).astype(np.int64)
    offsets, fw, total = _rtn_layout(widths, n)
    codes = pack_fields(q.ravel(), offsets, fw, total)
    enc = Encoded("rtn", codes, s16, o16, n, widths=widths)
    return enc, dequantize(q, s16, o16)


def _rtn_layout(widths: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, int]:
    w = widths.astype(np.int64)
    group_start = np.concatenate([[0], np.cumsum(w * n)[:-1]])
    offsets = group_start[:, None] + np.arange(n)[None, :] * w[:, None]
    return offsets.ravel(), np.repeat(w, n), int((w * n).sum())


def rtn_decode(enc: Encoded, groups: int) -> np.ndarray:
    assert enc.widths is not None
    offsets, fw, _ = _rtn_layout(enc.widths, enc.group_size)
    q = read_fields(enc.codes, offsets, fw).astype(np.int64).reshape(groups, enc.group_size)
    return dequantize(q, enc.scale, enc.offset)


def encode(x: np.ndarray, method: str, bits: float, h: np.ndarray | None = None) -> tuple[Encoded, np.ndarray]:
    """CCQ (weighted by `h` when given) or plain RTN (which ignores `h`)."""
    return ccq_encode(x, bits, h) if method == "ccq" else rtn_encode(x, bits)


def decode(enc: Encoded, groups: int) -> np.ndarray:
    return ccq_decode(enc, groups) if enc.method == "ccq" else rtn_decode(enc, groups)
