"""`scriba-en`'s recognizer: a small CNN that keeps a quarter of the width as time steps, two global-attention mixing blocks (SVTR style, no positional table so any width works) and a
linear CTC head. Input N x 3 x H x W normalized as the pipeline does; output N x W/4 x C probabilities."""

from __future__ import annotations

import torch
from torch import nn


class ConvBNAct(nn.Sequential):
    def __init__(
        self,
        cin: int,
        cout: int,
        k: int = 3,
        stride: int | tuple[int, int] = 1,
        groups: int = 1,
        act: bool = True,
    ) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.Hardswish() if act else nn.Identity(),
        )


class MixingBlock(nn.Module):
    """Pre-norm self-attention + MLP over the time steps."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 2.0, drop: float = 0.1) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(drop), nn.Linear(hidden, dim))
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, c = x.shape
        q, k, v = (
            self.qkv(self.norm1(x))
            .reshape(n, t, 3, self.heads, c // self.heads)
            .permute(2, 0, 3, 1, 4)
            .unbind(0)
        )
        att = torch.softmax((q @ k.transpose(-2, -1)) * (c // self.heads) ** -0.5, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(n, t, c)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.mlp(self.norm2(x)))


class ScribaRecNet(nn.Module):
    def __init__(
        self, num_classes: int, width: float = 1.0, dim: int = 192, depth: int = 2, heads: int = 6
    ) -> None:
        super().__init__()

        def c(n: int) -> int:
            return max(8, int(n * width + 4) // 8 * 8)

        # Plain 3x3 convolutions: on CPUs they train several times faster than depthwise ones per FLOP.
        self.backbone = nn.Sequential(
            ConvBNAct(3, c(32), 3, 2),  # H/2, W/2
            ConvBNAct(c(32), c(64), 3, 2),  # H/4, W/4: one time step per 4 pixels
            ConvBNAct(c(64), c(96), 3),
            ConvBNAct(c(96), c(128), 3, (2, 1)),  # H/8
            ConvBNAct(c(128), c(160), 3),
            ConvBNAct(c(160), c(192), 3, (2, 1)),  # H/16
        )
        self.reduce = ConvBNAct(c(192), dim, 1)
        # Depthwise 1x5 along time: local order information, so no positional table (any width works).
        self.local = nn.Sequential(
            nn.Conv2d(dim, dim, (1, 5), 1, (0, 2), groups=dim, bias=False), nn.BatchNorm2d(dim)
        )
        self.blocks = nn.ModuleList(MixingBlock(dim, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)
        self.num_classes = num_classes

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        f = self.backbone(x)
        f = f.mean(dim=2, keepdim=True)  # collapse the height: N x C x 1 x T
        f = self.reduce(f)
        f = f + self.local(f)
        seq = f.squeeze(2).transpose(1, 2)  # N x T x C
        for blk in self.blocks:
            seq = blk(seq)
        return self.head(self.norm(seq))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.logits(x)
        return logits if self.training else torch.softmax(logits, dim=-1)
