"""DeepLab-v2 as the UDA literature shares it (AdaptSegNet, ADVENT, IAST, CRST).

The state-dict names are exactly theirs (``conv1``, ``bn1``, ``layer1``..``layer4``,
``layer5.conv2d_list.{0..3}``) so their checkpoints load into this module and run the
architecture they were trained with.  Two bottleneck styles exist in that family:

* ``caffe``: stride on the first 1x1 conv, every block of a dilated layer uses the
  layer's dilation, max-pool with ``ceil_mode=True`` (AdaptSegNet, ADVENT, CRST);
* ``torchvision``: stride on the 3x3 conv, block 0 of a dilated layer keeps the
  previous dilation, ``ceil_mode=False`` (IAST, torchvision's ``replace_stride_with_dilation``).

The model takes RGB images scaled to [0, 1]; the input normalisation its weights
expect (Caffe BGR mean subtraction or ImageNet mean/std) is part of its config, so
no data pipeline can feed a checkpoint the wrong statistics.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

BLOCKS = {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3), "resnet50": (3, 4, 6, 3), "resnet101": (3, 4, 23, 3)}
BOTTLENECK = {"resnet18": False, "resnet34": False, "resnet50": True, "resnet101": True}
CAFFE_MEAN_BGR = (104.00698793, 116.66876762, 122.67891434)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
ASPP_RATES = (6, 12, 18, 24)


@dataclass(frozen=True)
class ModelConfig:
    """Everything that decides the architecture; saved inside every checkpoint."""

    backbone: Literal["resnet18", "resnet34", "resnet50", "resnet101"] = "resnet101"
    num_classes: int = 19
    style: Literal["torchvision", "caffe"] = "torchvision"
    input_norm: Literal["imagenet_rgb", "caffe_bgr"] = "imagenet_rgb"
    freeze_bn: bool = True
    # AdaptSegNet's classifier returns inside its loop: only branches 0 and 1 are summed.
    aspp_branches: int = 4
    align_corners: bool = True
    # 8 is DeepLab-v2's (and every published checkpoint's); 16 undilates layer3 and
    # halves layer4's dilation: about half the compute, for CPU demos.
    output_stride: int = 8

    def __post_init__(self) -> None:
        if self.backbone not in BLOCKS:
            raise ValueError(f"unknown backbone {self.backbone!r}; choose one of {sorted(BLOCKS)}")
        if self.style not in ("torchvision", "caffe"):
            raise ValueError(f"unknown style {self.style!r}; choose 'torchvision' or 'caffe'")
        if self.input_norm not in ("imagenet_rgb", "caffe_bgr"):
            raise ValueError(f"unknown input_norm {self.input_norm!r}")
        if not 1 <= self.aspp_branches <= 4:
            raise ValueError("aspp_branches must be 1..4")
        if self.output_stride not in (8, 16):
            raise ValueError("output_stride must be 8 or 16")
        if self.num_classes < 2:
            raise ValueError("num_classes must be at least 2")

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def preset(cls, name: str, **overrides) -> ModelConfig:
        """Architectures of published checkpoints, by the code base that wrote them."""
        presets: dict[str, dict[str, Any]] = {
            "adaptsegnet": dict(backbone="resnet101", style="caffe", input_norm="caffe_bgr", aspp_branches=2),
            "advent": dict(backbone="resnet101", style="caffe", input_norm="caffe_bgr"),
            "crst": dict(backbone="resnet101", style="caffe", input_norm="caffe_bgr"),
            "iast": dict(backbone="resnet101", style="torchvision", input_norm="imagenet_rgb"),
        }
        if name not in presets:
            raise ValueError(f"unknown preset {name!r}; choose one of {sorted(presets)}")
        return cls(**{**presets[name], **overrides})


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm with fixed affine and statistics, whatever the module mode.

    Batches of one or two crops make batch statistics noise; the UDA family freezes
    BN for that reason.  Keys match ``nn.BatchNorm2d`` so checkpoints load either way.
    """

    # buffers (register_buffer), declared for the type checker
    weight: torch.Tensor
    bias: torch.Tensor
    running_mean: torch.Tensor
    running_var: torch.Tensor

    def __init__(self, num_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        shift = self.bias - self.running_mean * scale
        return x * scale.view(1, -1, 1, 1).to(x.dtype) + shift.view(1, -1, 1, 1).to(x.dtype)


def _norm(cfg: ModelConfig, channels: int) -> nn.Module:
    return FrozenBatchNorm2d(channels) if cfg.freeze_bn else nn.BatchNorm2d(channels)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cfg, inplanes, planes, stride, dilation, downsample):
        super().__init__()
        s1, s3 = (stride, 1) if cfg.style == "caffe" else (1, stride)
        self.conv1 = nn.Conv2d(inplanes, planes, 1, stride=s1, bias=False)
        self.bn1 = _norm(cfg, planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=s3, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = _norm(cfg, planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = _norm(cfg, planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class BasicBlock(nn.Module):
    """Two 3x3 convs; torchvision refuses dilation here, the small CPU backbones need it."""

    expansion = 1

    def __init__(self, cfg, inplanes, planes, stride, dilation, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=dilation, dilation=dilation, bias=False)
        self.bn1 = _norm(cfg, planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = _norm(cfg, planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ASPPClassifier(nn.Module):
    """DeepLab-v2's classifier: four dilated 3x3 convs whose outputs are summed."""

    def __init__(self, in_channels: int, num_classes: int, branches: int = 4) -> None:
        super().__init__()
        self.branches = branches
        convs = [nn.Conv2d(in_channels, num_classes, 3, padding=r, dilation=r, bias=True) for r in ASPP_RATES]
        self.conv2d_list = nn.ModuleList(convs)
        for conv in convs:
            assert conv.bias is not None  # bias=True
            nn.init.normal_(conv.weight, 0.0, 0.01)
            nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2d_list[0](x)
        for conv in self.conv2d_list[1 : self.branches]:
            out = out + conv(x)
        return out


class DeepLabV2(nn.Module):
    """ResNet with dilated layer3/layer4 (output stride 8) and the ASPP classifier ``layer5``."""

    # buffers (register_buffer), declared for the type checker
    _mean: torch.Tensor
    _std: torch.Tensor

    def __init__(self, cfg: ModelConfig | None = None) -> None:
        super().__init__()
        cfg = cfg or ModelConfig()
        self.cfg = cfg
        block = Bottleneck if BOTTLENECK[cfg.backbone] else BasicBlock
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = _norm(cfg, 64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=cfg.style == "caffe")
        self._inplanes = 64
        n1, n2, n3, n4 = BLOCKS[cfg.backbone]
        self.layer1 = self._make_layer(block, 64, n1, stride=1, dilation=1)
        self.layer2 = self._make_layer(block, 128, n2, stride=2, dilation=1)
        os16 = cfg.output_stride == 16
        self.layer3 = self._make_layer(block, 256, n3, stride=2 if os16 else 1, dilation=1 if os16 else 2)
        self.layer4 = self._make_layer(block, 512, n4, stride=1, dilation=2 if os16 else 4)
        self.feature_channels = 512 * block.expansion
        self.layer5: nn.Module = ASPPClassifier(self.feature_channels, cfg.num_classes, cfg.aspp_branches)
        mean, std = (
            (CAFFE_MEAN_BGR, (1.0, 1.0, 1.0)) if cfg.input_norm == "caffe_bgr" else (IMAGENET_MEAN, IMAGENET_STD)
        )
        self.register_buffer("_mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("_std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def _make_layer(self, block, planes, blocks, stride, dilation):
        cfg = self.cfg
        downsample = None
        out_channels = planes * block.expansion
        if stride != 1 or self._inplanes != out_channels:
            downsample = nn.Sequential(
                nn.Conv2d(self._inplanes, out_channels, 1, stride=stride, bias=False), _norm(cfg, out_channels)
            )
        # torchvision dilates from block 1 on; block 0 keeps the previous layer's dilation.
        first_dilation = dilation if cfg.style == "caffe" else max(1, dilation // 2)
        layers = [block(cfg, self._inplanes, planes, stride, first_dilation, downsample)]
        self._inplanes = out_channels
        layers += [block(cfg, self._inplanes, planes, 1, dilation, None) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """RGB in [0, 1] to what the weights were trained on."""
        if self.cfg.input_norm == "caffe_bgr":
            x = x.flip(1) * 255.0
        return (x - self._mean.to(x.dtype)) / self._std.to(x.dtype)

    def extract(self, x: torch.Tensor) -> torch.Tensor:
        """Backbone features at the output stride (``feature_channels`` channels)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(self.normalize(x)))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def upsample(self, logits: torch.Tensor, size: tuple[int, ...]) -> torch.Tensor:
        return F.interpolate(logits, size=size, mode="bilinear", align_corners=self.cfg.align_corners)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, K, H, W]`` at the input's resolution."""
        return self.upsample(self.layer5(self.extract(x)), x.shape[-2:])

    def backbone_parameters(self):
        return [p for n, p in self.named_parameters() if not n.startswith("layer5.")]

    def classifier_parameters(self):
        return list(self.layer5.parameters())


class PixelSelector(nn.Module):
    """LabOR's pixel selector: the main model's backbone with two copies of its classifier.

    Two exact copies give identical outputs, so the discrepancy and its gradient are
    zero and Eq. 5 could never separate them.  Independent ``Dropout2d`` before each
    head (MCD's one-classifier variant) and an optional small weight perturbation of
    the second head break that symmetry.
    """

    def __init__(self, model: DeepLabV2, dropout: float = 0.1, perturb: float = 0.0, seed: int = 0) -> None:
        super().__init__()
        self.cfg = model.cfg
        body = copy.deepcopy(model)
        self.head1 = copy.deepcopy(model.layer5)
        self.head2 = copy.deepcopy(model.layer5)
        body.layer5 = nn.Identity()  # the heads replace it
        self.body = body
        self.drop1 = nn.Dropout2d(dropout)
        self.drop2 = nn.Dropout2d(dropout)
        if perturb > 0:
            gen = torch.Generator().manual_seed(seed)
            with torch.no_grad():
                for p in self.head2.parameters():
                    p.add_(torch.randn(p.shape, generator=gen).to(p) * perturb * (p.std() if p.numel() > 1 else 1.0))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feat = self.body.extract(x)
        size = x.shape[-2:]
        return (
            self.body.upsample(self.head1(self.drop1(feat)), size),
            self.body.upsample(self.head2(self.drop2(feat)), size),
        )

    def backbone_parameters(self):
        return list(self.body.parameters())

    def head_parameters(self):
        return list(self.head1.parameters()) + list(self.head2.parameters())


def build_model(cfg: ModelConfig | None = None) -> DeepLabV2:
    return DeepLabV2(cfg or ModelConfig())
