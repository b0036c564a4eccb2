"""PP-OCR mobile architectures in PyTorch, rebuilt from the shipped ONNX graphs (PP-OCRv5 / PP-OCRv4 mobile).

Structure read off the graphs (see `scriba.train.onnx_import.graph_outline`):
- PP-LCNetV3 backbone in its re-parameterized (inference) form: every depthwise / pointwise convolution carries a
  bias and a learnable affine block (scale * x + bias); activations are hardswish followed by another affine
  block. A depthwise convolution with integer stride 2 (detector) has no activation; tuple strides (recognizer)
  keep it, exactly as in the graphs. Squeeze-excite: GAP -> 1x1 -> ReLU -> 1x1 -> hardsigmoid(x/6 + 0.5).
- Detector: backbone x0.75 with four 1x1 output projections (12/18/42/360 channels) -> RSE-FPN neck (96 channels,
  squeeze-excite with residual, hardsigmoid slope 0.2) -> DB head (3x3 conv, BN, ReLU, two 2x2 transposed convs).
- Recognizer: backbone x0.95 with (2,1)/(1,2) strides and a 3x2 average pool (height 48 -> 1, width / 8) ->
  SVTR neck (1x3 conv 480->60, 1x1 60->120, two global-attention blocks with 8 heads of 15, swish MLP x2, final
  LayerNorm eps 1e-6, 1x1 back to 480, concatenation with the shortcut, 1x3 conv to 60, 1x1 to 120) -> linear CTC.
- 0/180 classifier: MobileNetV3-small x0.35 (11 residual units, SE with slope 0.2), 2x2 max pool, linear head.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

Stride = int | tuple[int, int]


def hard_sigmoid(x: torch.Tensor, slope: float) -> torch.Tensor:
    return torch.clamp(x * slope + 0.5, 0.0, 1.0)


class LearnableAffine(nn.Module):
    """Paddle's LearnableAffineBlock: a scalar scale and bias."""

    def __init__(self, scale: float = 1.0, bias: float = 0.0) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor([scale]))
        self.bias = nn.Parameter(torch.tensor([bias]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * x + self.bias


class AffineHardswish(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lab = LearnableAffine()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lab(F.hardswish(x))


class RepConv(nn.Module):
    """A re-parameterized LCNetV3 convolution: conv (with bias) -> affine -> [hardswish -> affine]."""

    def __init__(
        self, cin: int, cout: int, k: int, stride: Stride = 1, groups: int = 1, act: bool = True
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=True)
        self.lab = LearnableAffine()
        self.act = AffineHardswish() if act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.lab(self.conv(x)))


class SqueezeExcite(nn.Module):
    def __init__(self, c: int, slope: float, reduction: int = 4) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c, c // reduction, 1)
        self.conv2 = nn.Conv2d(c // reduction, c, 1)
        self.slope = slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = F.adaptive_avg_pool2d(x, 1)
        return x * hard_sigmoid(self.conv2(F.relu(self.conv1(s))), self.slope)


class LCNetV3Block(nn.Module):
    def __init__(self, k: int, cin: int, cout: int, stride: Stride, se: bool) -> None:
        super().__init__()
        self.dw = RepConv(cin, cin, k, stride, groups=cin, act=stride != 2)
        self.se = SqueezeExcite(cin, 1 / 6) if se else nn.Identity()
        self.pw = RepConv(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw(self.se(self.dw(x)))


# (kernel, in, out, stride, squeeze-excite); channel counts are the graphs' (scale already applied).
LCNETV3_DET = [
    (3, 16, 32, 1, False),
    (3, 32, 48, 2, False),
    (3, 48, 48, 1, False),
    (3, 48, 96, 2, False),
    (3, 96, 96, 1, False),
    (3, 96, 192, 2, False),
    *[(5, 192, 192, 1, False)] * 4,
    (5, 192, 384, 2, True),
    (5, 384, 384, 1, True),
    (5, 384, 384, 1, False),
    (5, 384, 384, 1, False),
]
LCNETV3_DET_TAPS = (2, 4, 9, 13)  # block indices whose outputs feed the neck
LCNETV3_DET_OUT = (12, 18, 42, 360)
LCNETV3_REC = [
    (3, 16, 32, 1, False),
    (3, 32, 64, 1, False),
    (3, 64, 64, 1, False),
    (3, 64, 128, (2, 1), False),
    (3, 128, 128, 1, False),
    (3, 128, 240, (1, 2), False),
    *[(5, 240, 240, 1, False)] * 4,
    (5, 240, 480, (2, 1), True),
    (5, 480, 480, 1, True),
    (5, 480, 480, (2, 1), False),
    (5, 480, 480, 1, False),
]


class PPLCNetV3(nn.Module):
    def __init__(self, config: list[tuple], det: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, config[0][1], 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(config[0][1])
        self.blocks = nn.ModuleList(LCNetV3Block(k, i, o, s, se) for k, i, o, s, se in config)
        self.det = det
        if det:
            self.outs = nn.ModuleList(
                nn.Conv2d(config[t][2], c, 1) for t, c in zip(LCNETV3_DET_TAPS, LCNETV3_DET_OUT)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
        x = self.bn1(self.conv1(x))
        taps = []
        for i, blk in enumerate(self.blocks):
            x = blk(x)
            if self.det and i in LCNETV3_DET_TAPS:
                taps.append(x)
        if self.det:
            return [conv(t) for conv, t in zip(self.outs, taps)]
        return F.avg_pool2d(x, (3, 2), (3, 2))


class RSELayer(nn.Module):
    """Conv (no bias) then x + SE(x)."""

    def __init__(self, cin: int, cout: int, k: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, 1, k // 2, bias=False)
        self.se = SqueezeExcite(cout, 0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return x + self.se(x)


class RSEFPN(nn.Module):
    def __init__(self, in_channels: tuple[int, ...] = LCNETV3_DET_OUT, c: int = 96) -> None:
        super().__init__()
        self.ins = nn.ModuleList(RSELayer(i, c, 1) for i in in_channels)
        self.inp = nn.ModuleList(RSELayer(c, c // 4, 3) for _ in in_channels)

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        c2, c3, c4, c5 = feats
        # The graph's order: top-down from the coarsest level.
        in5 = self.ins[3](c5)
        in4 = self.ins[2](c4)
        in3 = self.ins[1](c3)
        in2 = self.ins[0](c2)
        out4 = in4 + F.interpolate(in5, scale_factor=2.0, mode="nearest")
        out3 = in3 + F.interpolate(out4, scale_factor=2.0, mode="nearest")
        out2 = in2 + F.interpolate(out3, scale_factor=2.0, mode="nearest")
        p5 = self.inp[3](in5)
        p4 = self.inp[2](out4)
        p3 = self.inp[1](out3)
        p2 = self.inp[0](out2)
        p5 = F.interpolate(p5, scale_factor=8.0, mode="nearest")
        p4 = F.interpolate(p4, scale_factor=4.0, mode="nearest")
        p3 = F.interpolate(p3, scale_factor=2.0, mode="nearest")
        return torch.cat([p5, p4, p3, p2], dim=1)


class DBHead(nn.Module):
    """The probability branch of DB (the only one in the inference graph)."""

    def __init__(self, cin: int = 96) -> None:
        super().__init__()
        c = cin // 4
        self.conv = nn.Conv2d(cin, c, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.up1 = nn.ConvTranspose2d(c, c, 2, 2)
        self.bn2 = nn.BatchNorm2d(c)
        self.up2 = nn.ConvTranspose2d(c, 1, 2, 2)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv(x)))
        x = F.relu(self.bn2(self.up1(x)))
        return self.up2(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(x))


class PPOCRDetector(nn.Module):
    """N x 3 x H x W (H, W multiples of 32) -> N x 1 x H x W text probability.

    `threshold_branch=True` adds DB's threshold head (training only: `train_maps`); forward() and the ONNX
    export never use it, as in PaddleOCR's inference graph."""

    def __init__(self, threshold_branch: bool = False) -> None:
        super().__init__()
        self.backbone = PPLCNetV3(LCNETV3_DET, det=True)
        self.neck = RSEFPN()
        self.head = DBHead()
        self.thresh = DBHead() if threshold_branch else None

    def train_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(probability logits, threshold map in [0, 1] or None) from one backbone + neck pass."""
        f = self.neck(self.backbone(x))
        return self.head.logits(f), (self.thresh(f) if self.thresh is not None else None)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.head.logits(self.neck(self.backbone(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.neck(self.backbone(x)))


class ConvBNSwish(nn.Module):
    def __init__(self, cin: int, cout: int, k: tuple[int, int]) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, 1, (k[0] // 2, k[1] // 2), bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.silu(self.bn(self.conv(x)))


class SVTRBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float = 2.0, eps: float = 1e-5) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.fc1 = nn.Linear(dim, int(dim * mlp_ratio))
        self.fc2 = nn.Linear(int(dim * mlp_ratio), dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, c = x.shape
        hd = c // self.heads
        q, k, v = self.qkv(self.norm1(x)).reshape(n, t, 3, self.heads, hd).permute(2, 0, 3, 1, 4).unbind(0)
        att = torch.softmax((q * hd**-0.5) @ k.transpose(-2, -1), dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(n, t, c))
        return x + self.fc2(F.silu(self.fc1(self.norm2(x))))


class SVTRNeck(nn.Module):
    def __init__(self, cin: int = 480, dim: int = 120, depth: int = 2, heads: int = 8) -> None:
        super().__init__()
        self.conv1 = ConvBNSwish(cin, cin // 8, (1, 3))
        self.conv2 = ConvBNSwish(cin // 8, dim, (1, 1))
        self.blocks = nn.ModuleList(SVTRBlock(dim, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.conv3 = ConvBNSwish(dim, cin, (1, 1))
        self.conv4 = ConvBNSwish(2 * cin, cin // 8, (1, 3))
        self.conv1x1 = ConvBNSwish(cin // 8, dim, (1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        z = self.conv2(self.conv1(x))
        n, c, hh, w = z.shape
        seq = z.flatten(2).transpose(1, 2)
        for blk in self.blocks:
            seq = blk(seq)
        z = self.norm(seq).reshape(n, hh, w, c).permute(0, 3, 1, 2)
        z = self.conv3(z)
        z = self.conv4(torch.cat([h, z], dim=1))
        return self.conv1x1(z)  # N x dim x 1 x T


class PPOCRRecognizer(nn.Module):
    """N x 3 x 48 x W -> N x W/8 x C (softmax in eval mode, logits in training)."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.backbone = PPLCNetV3(LCNETV3_REC, det=False)
        self.neck = SVTRNeck()
        self.head = nn.Linear(120, num_classes)
        self.num_classes = num_classes

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        f = self.neck(self.backbone(x))
        return self.head(f.squeeze(2).transpose(1, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.logits(x)
        return y if self.training else torch.softmax(y, dim=-1)


class ConvBN(nn.Module):
    def __init__(
        self, cin: int, cout: int, k: int, stride: Stride = 1, groups: int = 1, act: str | None = None
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = {"relu": nn.ReLU(), "hardswish": nn.Hardswish(), None: nn.Identity()}[act]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class ResidualUnit(nn.Module):
    def __init__(self, cin: int, mid: int, cout: int, k: int, stride: Stride, se: bool, act: str) -> None:
        super().__init__()
        self.expand = ConvBN(cin, mid, 1, act=act)
        self.dw = ConvBN(mid, mid, k, stride, groups=mid, act=act)
        self.se = SqueezeExcite(mid, 0.2) if se else nn.Identity()
        self.linear = ConvBN(mid, cout, 1)
        self.shortcut = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.linear(self.se(self.dw(self.expand(x))))
        return x + y if self.shortcut else y


# (kernel, expanded, out, se, activation, stride) of MobileNetV3-small x0.35 as in the graphs.
MOBILENETV3_CLS = [
    (3, 8, 8, True, "relu", (2, 1)),
    (3, 24, 8, False, "relu", (2, 1)),
    (3, 32, 8, False, "relu", 1),
    (5, 32, 16, True, "hardswish", (2, 1)),
    (5, 88, 16, True, "hardswish", 1),
    (5, 88, 16, True, "hardswish", 1),
    (5, 40, 16, True, "hardswish", 1),
    (5, 48, 16, True, "hardswish", 1),
    (5, 104, 32, True, "hardswish", (2, 1)),
    (5, 200, 32, True, "hardswish", 1),
    (5, 200, 32, True, "hardswish", 1),
]


class PPOCRClassifier(nn.Module):
    """N x 3 x 48 x 192 -> N x 2 probabilities of (0, 180) degrees."""

    def __init__(self, num_classes: int = 2) -> None:
        super().__init__()
        self.stem = ConvBN(3, 8, 3, 2, act="hardswish")
        units, c = [], 8
        for k, mid, out, se, act, s in MOBILENETV3_CLS:
            units.append(ResidualUnit(c, mid, out, k, s, se, act))
            c = out
        self.units = nn.Sequential(*units)
        self.last = ConvBN(c, 200, 1, act="hardswish")
        self.fc = nn.Linear(200, num_classes)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(self.last(self.units(self.stem(x))), 2, 2)
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.logits(x)
        return y if self.training else torch.softmax(y, dim=-1)


def build_ppocr_rec(version: str, num_classes: int) -> PPOCRRecognizer:
    """PP-OCRv5 and PP-OCRv4 mobile recognizers share one structure (their graphs differ only in the head size)."""
    if version not in ("ppocrv5", "ppocrv4"):
        raise ValueError(f"unknown PP-OCR version {version!r}")
    return PPOCRRecognizer(num_classes)
