"""FormulaNet: a compact image -> LaTeX-token encoder-decoder trained as one elastic network (ERNIE 5.0's
elastic training: one run yields a family of sub-networks that share weights).

- Encoder: four stages of a stride-2 3x3 conv - GroupNorm - GELU, the last three followed by a residual 3x3
  conv (1 x 48 x W -> C x 3 x W/16), a linear
  projection to d_model, 2-D sinusoidal positions, pre-norm Transformer layers.
- Decoder: token + learned position embeddings, pre-norm Transformer layers (causal self-attention,
  cross-attention to the encoder's memory, GELU MLP), output projection tied to the token embedding.

Elastic dimensions: the conv channels (a width multiplier, the first channels of every conv), the number of
encoder and decoder layers (the first k), attention heads (the first h) and MLP width (the first units). A
sub-network is a `SubNet` setting; `extract` builds a standalone FormulaNet of that size with the sliced
weights, which computes exactly what the elastic network computes under that setting (so it exports and runs
like any other model). GroupNorm with one group normalizes over whatever channels are active, so one set of
parameters serves every width.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class Arch:
    channels: tuple[int, ...] = (24, 48, 72, 96)
    d_model: int = 128
    head_dim: int = 32
    enc_layers: int = 2
    enc_heads: int = 4
    enc_ffn: int = 512
    dec_layers: int = 3
    dec_heads: int = 4
    dec_ffn: int = 512
    vocab: int = 256
    max_len: int = 160

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d

    @staticmethod
    def from_dict(d: dict) -> Arch:
        return Arch(**{**d, "channels": tuple(d["channels"])})


@dataclass(frozen=True)
class SubNet:
    """An elastic setting; None means the architecture's full size."""

    width: float = 1.0  # conv channel multiplier
    enc_layers: int | None = None
    enc_heads: int | None = None
    enc_ffn: int | None = None
    dec_layers: int | None = None
    dec_heads: int | None = None
    dec_ffn: int | None = None

    def resolve(self, a: Arch) -> SubNet:
        return SubNet(
            self.width,
            self.enc_layers or a.enc_layers,
            self.enc_heads or a.enc_heads,
            self.enc_ffn or a.enc_ffn,
            self.dec_layers or a.dec_layers,
            self.dec_heads or a.dec_heads,
            self.dec_ffn or a.dec_ffn,
        )

    def arch(self, a: Arch) -> Arch:
        s = self.resolve(a)
        return replace(
            a,
            channels=tuple(_ch(c, s.width) for c in a.channels),
            enc_layers=s.enc_layers,
            enc_heads=s.enc_heads,
            enc_ffn=s.enc_ffn,
            dec_layers=s.dec_layers,
            dec_heads=s.dec_heads,
            dec_ffn=s.dec_ffn,
        )


def _ch(c: int, width: float) -> int:
    return max(8, round(c * width / 8) * 8)


FULL = SubNet()


class Attention(nn.Module):
    def __init__(self, d: int, heads: int, head_dim: int) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        inner = heads * head_dim
        self.q = nn.Linear(d, inner)
        self.k = nn.Linear(d, inner)
        self.v = nn.Linear(d, inner)
        self.o = nn.Linear(inner, d)

    def project_kv(self, x: torch.Tensor, heads: int) -> tuple[torch.Tensor, torch.Tensor]:
        n = heads * self.head_dim
        b, t, _ = x.shape
        k = F.linear(x, self.k.weight[:n], self.k.bias[:n]).view(b, t, heads, self.head_dim).transpose(1, 2)
        v = F.linear(x, self.v.weight[:n], self.v.bias[:n]).view(b, t, heads, self.head_dim).transpose(1, 2)
        return k, v

    def attend(
        self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor, heads: int, mask: torch.Tensor | None
    ) -> torch.Tensor:
        n = heads * self.head_dim
        b, t, _ = x.shape
        q = F.linear(x, self.q.weight[:n], self.q.bias[:n]).view(b, t, heads, self.head_dim).transpose(1, 2)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(self.head_dim))
        if mask is not None:
            att = att.masked_fill(mask, float("-inf"))
        y = att.softmax(-1) @ v
        y = y.transpose(1, 2).reshape(b, t, n)
        return F.linear(y, self.o.weight[:, :n], self.o.bias)


class MLP(nn.Module):
    def __init__(self, d: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, d)

    def forward(self, x: torch.Tensor, hidden: int) -> torch.Tensor:
        h = F.gelu(F.linear(x, self.fc1.weight[:hidden], self.fc1.bias[:hidden]))
        return F.linear(h, self.fc2.weight[:, :hidden], self.fc2.bias)


class EncoderLayer(nn.Module):
    def __init__(self, a: Arch) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(a.d_model)
        self.att = Attention(a.d_model, a.enc_heads, a.head_dim)
        self.ln2 = nn.LayerNorm(a.d_model)
        self.mlp = MLP(a.d_model, a.enc_ffn)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, heads: int, ffn: int) -> torch.Tensor:
        h = self.ln1(x)
        k, v = self.att.project_kv(h, heads)
        x = x + self.att.attend(h, k, v, heads, mask)
        return x + self.mlp(self.ln2(x), ffn)


class DecoderLayer(nn.Module):
    def __init__(self, a: Arch) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(a.d_model)
        self.self_att = Attention(a.d_model, a.dec_heads, a.head_dim)
        self.ln2 = nn.LayerNorm(a.d_model)
        self.cross_att = Attention(a.d_model, a.dec_heads, a.head_dim)
        self.ln3 = nn.LayerNorm(a.d_model)
        self.mlp = MLP(a.d_model, a.dec_ffn)


class ConvStage(nn.Module):
    """A stride-2 3x3 conv, then (residual=True) a residual stride-1 3x3 conv; GroupNorm(1) and GELU."""

    def __init__(self, cin: int, cout: int, residual: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride=2, padding=1)
        self.norm = nn.GroupNorm(1, cout)
        self.residual = residual
        if residual:
            self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
            self.norm2 = nn.GroupNorm(1, cout)

    def forward(self, x: torch.Tensor, cout: int) -> torch.Tensor:
        cin = x.shape[1]
        x = F.conv2d(x, self.conv.weight[:cout, :cin], self.conv.bias[:cout], stride=2, padding=1)
        x = F.gelu(F.group_norm(x, 1, self.norm.weight[:cout], self.norm.bias[:cout], 1e-5))
        if self.residual:
            y = F.conv2d(x, self.conv2.weight[:cout, :cout], self.conv2.bias[:cout], padding=1)
            x = x + F.gelu(F.group_norm(y, 1, self.norm2.weight[:cout], self.norm2.bias[:cout], 1e-5))
        return x


def sinusoid_2d(h: int, w: int, d: int, device: torch.device | None = None) -> torch.Tensor:
    """(h*w) x d fixed positions: half the channels for the row, half for the column."""
    quarter = d // 4
    freq = torch.exp(
        torch.arange(quarter, dtype=torch.float32, device=device) * (-math.log(10000.0) / quarter)
    )
    ys = torch.arange(h, dtype=torch.float32, device=device)[:, None] * freq[None, :]
    xs = torch.arange(w, dtype=torch.float32, device=device)[:, None] * freq[None, :]
    ye = torch.cat([ys.sin(), ys.cos()], 1)[:, None, :].expand(h, w, 2 * quarter)
    xe = torch.cat([xs.sin(), xs.cos()], 1)[None, :, :].expand(h, w, 2 * quarter)
    return torch.cat([ye, xe], 2).reshape(h * w, 4 * quarter)


class FormulaNet(nn.Module):
    def __init__(self, arch: Arch) -> None:
        super().__init__()
        self.arch = arch
        chans = (1, *arch.channels)
        self.stages = nn.ModuleList(
            ConvStage(chans[i], chans[i + 1], i > 0) for i in range(len(arch.channels))
        )
        self.proj = nn.Linear(arch.channels[-1], arch.d_model)
        self.enc = nn.ModuleList(EncoderLayer(arch) for _ in range(arch.enc_layers))
        self.enc_norm = nn.LayerNorm(arch.d_model)
        self.embed = nn.Embedding(arch.vocab, arch.d_model)
        self.pos = nn.Embedding(arch.max_len, arch.d_model)
        self.dec = nn.ModuleList(DecoderLayer(arch) for _ in range(arch.dec_layers))
        self.dec_norm = nn.LayerNorm(arch.d_model)
        nn.init.normal_(self.embed.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)

    # -- encoder -------------------------------------------------------------------------------------------
    def encode(
        self, images: torch.Tensor, sub: SubNet = FULL, cols: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """N x 1 x H x W -> memory N x S x d (S = H/16 * W/16), and the memory padding mask (N x 1 x 1 x S,
        True where padded) when `cols` (valid encoder columns per image) is given."""
        s = sub.resolve(self.arch)
        x = images
        for stage, c in zip(self.stages, self.arch.channels):
            x = stage(x, _ch(c, s.width))
        n, c, h, w = x.shape
        x = x.flatten(2).transpose(1, 2)  # N x (h*w) x c, row-major
        x = F.linear(x, self.proj.weight[:, :c], self.proj.bias) + sinusoid_2d(
            h, w, self.arch.d_model, x.device
        )
        mask = None
        if cols is not None:
            col = torch.arange(w, device=x.device)[None, :] >= cols[:, None]  # N x w
            mask = col[:, None, :].expand(n, h, w).reshape(n, 1, 1, h * w)
        for layer in self.enc[: s.enc_layers]:
            x = layer(x, mask, s.enc_heads, s.enc_ffn)
        return self.enc_norm(x), mask

    # -- decoder (teacher forcing) ---------------------------------------------------------------------------
    def decode(
        self, tokens: torch.Tensor, memory: torch.Tensor, mem_mask: torch.Tensor | None, sub: SubNet = FULL
    ) -> torch.Tensor:
        """N x T input tokens (BOS first) -> N x T x V logits."""
        s = sub.resolve(self.arch)
        t = tokens.shape[1]
        x = self.embed(tokens) + self.pos.weight[:t][None]
        causal = torch.ones(t, t, dtype=torch.bool, device=tokens.device).triu(1)[None, None]
        for layer in self.dec[: s.dec_layers]:
            h = layer.ln1(x)
            k, v = layer.self_att.project_kv(h, s.dec_heads)
            x = x + layer.self_att.attend(h, k, v, s.dec_heads, causal)
            h = layer.ln2(x)
            ck, cv = layer.cross_att.project_kv(memory, s.dec_heads)
            x = x + layer.cross_att.attend(h, ck, cv, s.dec_heads, mem_mask)
            x = x + layer.mlp(layer.ln3(x), s.dec_ffn)
        return F.linear(self.dec_norm(x), self.embed.weight)

    def forward(
        self, images: torch.Tensor, tokens: torch.Tensor, sub: SubNet = FULL, cols: torch.Tensor | None = None
    ) -> torch.Tensor:
        memory, mask = self.encode(images, sub, cols)
        return self.decode(tokens, memory, mask, sub)

    # -- incremental decoding (what the ONNX decoder step runs) -----------------------------------------------
    def cross_kv(self, memory: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Every layer's cross-attention keys and values: L x N x heads x S x head_dim each."""
        ks, vs = zip(*(layer.cross_att.project_kv(memory, self.arch.dec_heads) for layer in self.dec))
        return torch.stack(ks), torch.stack(vs)

    def step(
        self,
        token: torch.Tensor,
        pos: torch.Tensor,
        past_k: torch.Tensor,
        past_v: torch.Tensor,
        cross_k: torch.Tensor,
        cross_v: torch.Tensor,
        mem_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One token per sequence (N x 1) at position `pos` (1-element int64) with the self-attention cache
        (L x N x heads x T x head_dim) -> log-probabilities N x V and the cache grown by one position.
        mem_mask (N x 1 x 1 x S, True where padded) only for batches of different widths."""
        heads = self.arch.dec_heads
        x = self.embed(token) + self.pos(pos)[None]
        new_k, new_v = [], []
        for i, layer in enumerate(self.dec):
            h = layer.ln1(x)
            k, v = layer.self_att.project_kv(h, heads)
            k = torch.cat([past_k[i], k], 2)
            v = torch.cat([past_v[i], v], 2)
            new_k.append(k)
            new_v.append(v)
            x = x + layer.self_att.attend(h, k, v, heads, None)
            x = x + layer.cross_att.attend(layer.ln2(x), cross_k[i], cross_v[i], heads, mem_mask)
            x = x + layer.mlp(layer.ln3(x), self.arch.dec_ffn)
        logits = F.linear(self.dec_norm(x[:, -1]), self.embed.weight)
        return logits.log_softmax(-1), torch.stack(new_k), torch.stack(new_v)


def extract(model: FormulaNet, sub: SubNet) -> FormulaNet:
    """A standalone FormulaNet of the sub-network's size holding its slice of the elastic weights."""
    small = FormulaNet(sub.arch(model.arch))
    src = model.state_dict()
    out = {}
    for name, p in small.state_dict().items():
        w = src[name]
        out[name] = w[tuple(slice(0, n) for n in p.shape)].clone()
    small.load_state_dict(out)
    return small.eval()


def count_macs(arch: Arch, width: int = 256, tokens: int = 32, height: int = 48) -> int:
    """Multiply-accumulates to read one formula: an image height x width and `tokens` decoded tokens
    (incremental decoding with a cache)."""
    macs, h, w, cin = 0, height, width, 1
    for i, c in enumerate(arch.channels):
        h, w = (h + 1) // 2, (w + 1) // 2
        macs += cin * c * 9 * h * w + (c * c * 9 * h * w if i > 0 else 0)
        cin = c
    s, d = h * w, arch.d_model
    macs += s * cin * d
    ei, di = arch.enc_heads * arch.head_dim, arch.dec_heads * arch.head_dim
    macs += arch.enc_layers * (s * (4 * d * ei) + 2 * s * s * ei + 2 * s * d * arch.enc_ffn)
    macs += arch.dec_layers * 2 * s * d * di  # cross keys and values, once
    per_tok = arch.dec_layers * (4 * d * di + 2 * d * di + 2 * s * di + 2 * d * arch.dec_ffn) + d * arch.vocab
    macs += tokens * per_tok + arch.dec_layers * di * tokens * tokens  # self-attention over the cache
    return int(macs)
