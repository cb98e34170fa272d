"""Saving and loading model weights; a checkpoint file is untrusted input.

Files are read with ``torch.load(weights_only=True)``: tensors and plain containers
only, never pickled code.  Foreign checkpoints of the DeepLab-v2 family are
normalised to this project's key names (``module.``/``Scale.`` prefixes dropped,
ADVENT's/AdaptSegNet-multi's ``layer6`` main head taken as ``layer5``), and a
checkpoint for another architecture or class count is refused with a message that
says what differs, instead of a wall of missing keys.  A LabOR checkpoint's header
(``format_version``, ``config``, ``extra``) is checked for types and ranges before anything
is built from it (``check_header``): a crafted ``num_classes = 10**12`` would allocate
petabytes.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from dataclasses import fields, replace
from pathlib import Path

import torch

from ..safe_files import replace_atomically
from .model import BLOCKS, BOTTLENECK, DeepLabV2, ModelConfig

FORMAT = "labor-desktop/deeplabv2"
FORMAT_VERSION = 1
MAX_CLASSES = 254  # a project's class table holds at most 254 (255 is "unlabelled"; data.class_table)


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message names the file and the fix."""


def save_checkpoint(path: str | os.PathLike, model: DeepLabV2, extra: dict | None = None) -> str:
    """Write atomically (temp file + rename) and return the SHA-256 of the file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": model.cfg.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "extra": dict(extra or {}),
    }
    replace_atomically(path, lambda f: torch.save(payload, f))  # never through a link (safe_files)
    return file_sha256(path)


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_checkpoint(path: str | os.PathLike) -> dict:
    """Load a file safely; returns the raw object (a dict)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file; check the path")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"unsupported (?:global: )?GLOBAL ([\w.]+)", str(e), re.IGNORECASE)
        if found or "can still be loaded" in str(e):
            what = f" ({found.group(1)})" if found else ""
            raise CheckpointError(
                f"{path}: refused: the file contains code (pickled Python objects{what}) that could run when "
                "loaded; it was not loaded. Re-save only the weights, e.g. "
                "torch.save(model.state_dict(), 'weights.pth'), in a trusted environment."
            ) from None
        raise CheckpointError(
            f"{path}: not a readable PyTorch checkpoint (damaged, truncated or another format)"
        ) from None
    except Exception as e:  # truncated zip, not a torch file at all, ...
        raise CheckpointError(
            f"{path}: not a readable PyTorch checkpoint ({_first_line(e)}); is the file complete?"
        ) from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: expected a dict of weights, found {type(obj).__name__}")
    check_header(obj, path)
    return obj


def _show(value) -> str:
    """A value for a message: short, and never a tensor's or a container's whole repr."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)[:60]
    return f"a {type(value).__name__}"


def check_header(obj: dict, path: str | os.PathLike) -> None:
    """Refuse a LabOR checkpoint whose header has the wrong types or ranges, before any
    model is built from it; foreign checkpoints (no ``format``) have no header."""
    if obj.get("format") != FORMAT:
        return

    def bad(what: str) -> CheckpointError:
        return CheckpointError(
            f"{path}: a damaged or crafted LabOR Desktop checkpoint ({what}); it was not loaded. "
            "Use a checkpoint this program wrote"
        )

    version = obj.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise bad(f"format_version = {_show(version)} is not a version number")
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{path}: written by a newer LabOR Desktop; please update the program")
    config = obj.get("config")
    if not isinstance(config, dict):
        raise bad(f"config is {_show(config)}, not a table of model settings")
    types = {f.name: type(getattr(ModelConfig(), f.name)) for f in fields(ModelConfig)}
    for key, value in config.items():
        want = types.get(key) if isinstance(key, str) else None
        if want is None:
            raise bad(f"config has an unknown key {_show(key)}")
        if type(value) is not want:  # exact: True is no int, 3 is no bool
            kind = {int: "an integer", bool: "true or false", str: "a name"}.get(want, want.__name__)
            raise bad(f"config {key} = {_show(value)} is not {kind}")
    if not 2 <= config.get("num_classes", 2) <= MAX_CLASSES:
        raise bad(f"config num_classes = {config['num_classes']} is not in 2..{MAX_CLASSES}")
    try:
        ModelConfig.from_dict(config)
    except ValueError as e:
        raise bad(f"config: {_first_line(e)}") from None
    if not isinstance(obj.get("extra", {}), dict):
        raise bad(f"extra is {_show(obj['extra'])}, not a table")
    if not isinstance(obj.get("state_dict"), dict):
        raise bad(f"state_dict is {_show(obj.get('state_dict'))}, not a table of weights")


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0][:200] if text else type(e).__name__


def extract_state_dict(obj: dict) -> dict[str, torch.Tensor]:
    """The weights inside the usual wrappers, with the DeepLab family's names normalised."""
    for key in ("state_dict", "model_state_dict", "model", "net"):
        if isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    sd = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    sd = {re.sub(r"^(module\.|Scale\.)+", "", k): v for k, v in sd.items()}
    if any(k.startswith("layer6.") for k in sd):
        # Multi-level (AdaptSegNet) or ADVENT: layer6 is the main head on layer4;
        # a layer5 beside it is the auxiliary head on layer3, which this model does not have.
        sd = {k: v for k, v in sd.items() if not k.startswith("layer5.")}
        sd = {("layer5." + k[len("layer6.") :] if k.startswith("layer6.") else k): v for k, v in sd.items()}
    return {k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}


def check_finite(sd: dict[str, torch.Tensor], source: str) -> None:
    """Refuse weights holding NaN or infinity: a model trained from them predicts nothing."""
    bad = [k for k, v in sd.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        raise CheckpointError(
            f"{source}: {len(bad)} weight tensor(s) hold NaN or infinite values (e.g. {bad[0]}); "
            "the training that wrote it diverged. Use an earlier checkpoint"
        )


def infer_architecture(sd: dict[str, torch.Tensor], source: str = "the checkpoint") -> dict:
    """What a state dict was trained as: backbone depth and class count, where visible."""
    blocks = []
    for layer in range(1, 5):
        idx = {int(m.group(1)) for k in sd for m in [re.match(rf"layer{layer}\.(\d+)\.", k)] if m}
        blocks.append(max(idx) + 1 if idx else 0)
    bottleneck = any(".conv3." in k for k in sd)
    backbone = next((name for name, b in BLOCKS.items() if tuple(blocks) == b and BOTTLENECK[name] == bottleneck), None)
    head = sd.get("layer5.conv2d_list.0.weight")
    if head is not None and head.dim() != 4:
        raise CheckpointError(
            f"{source}: its classifier weight layer5.conv2d_list.0.weight has shape {tuple(head.shape)}, "
            "not (classes, channels, 3, 3); the file is damaged or not a DeepLab-v2 checkpoint"
        )
    return {
        "backbone": backbone,
        "blocks": tuple(blocks),
        "num_classes": int(head.shape[0]) if head is not None else None,
        "head_in_channels": int(head.shape[1]) if head is not None else None,
    }


def check_compatible(sd: dict[str, torch.Tensor], model: DeepLabV2, source: str, backbone_only: bool = False) -> None:
    """Refuse with a readable reason when the weights do not fit the model."""
    cfg = model.cfg
    arch = infer_architecture(sd, source)
    problems = []
    if arch["backbone"] is None and any(arch["blocks"]):
        problems.append(f"its backbone has {arch['blocks']} blocks per layer, which is no known ResNet")
    elif arch["backbone"] not in (None, cfg.backbone):
        problems.append(f"it is a {arch['backbone']} but the model is configured as {cfg.backbone}")
    if not backbone_only and arch["num_classes"] is not None and arch["num_classes"] != cfg.num_classes:
        problems.append(f"its classifier has {arch['num_classes']} classes but the project has {cfg.num_classes}")
    if problems:
        raise CheckpointError(f"{source}: does not fit this model: " + "; ".join(problems) + ".")
    own = model.state_dict()
    wanted = {
        k for k in own if not (backbone_only and k.startswith("layer5.")) and not k.endswith("num_batches_tracked")
    }
    have = {k for k in sd if not (backbone_only and k.startswith("layer5."))}
    missing, unexpected = sorted(wanted - have), sorted(have - wanted)
    shapes = [
        f"{k}: {tuple(sd[k].shape)} vs {tuple(own[k].shape)}"
        for k in sorted(wanted & have)
        if sd[k].shape != own[k].shape
    ]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"{len(missing)} weights missing (e.g. {', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} unknown weights (e.g. {', '.join(unexpected[:3])})")
        if shapes:
            parts.append(f"{len(shapes)} shape mismatches (e.g. {'; '.join(shapes[:3])})")
        raise CheckpointError(f"{source}: does not fit a {cfg.backbone} DeepLab-v2: " + ", ".join(parts) + ".")


def load_model(path: str | os.PathLike, cfg: ModelConfig | None = None) -> DeepLabV2:
    """A model from a checkpoint: ours carry their config; foreign ones need ``cfg``
    (or get one inferred from the weights, with this project's default style)."""
    obj = read_checkpoint(path)
    sd = extract_state_dict(obj)
    if cfg is not None and obj.get("format") == FORMAT and isinstance(obj.get("config"), dict):
        saved = ModelConfig.from_dict(obj["config"])
        differ = [
            f"{k}: {v} in the file, {getattr(cfg, k)} configured"
            for k, v in saved.to_dict().items()
            if getattr(cfg, k) != v
        ]
        if differ:
            raise CheckpointError(
                f"{path}: was trained as another model ({'; '.join(differ)}); use a config whose [model] matches it"
            )
    if cfg is None:
        if obj.get("format") == FORMAT:  # its header checked by read_checkpoint
            cfg = ModelConfig.from_dict(obj["config"])
        else:
            arch = infer_architecture(sd, str(path))
            if arch["backbone"] is None or arch["num_classes"] is None:
                raise CheckpointError(
                    f"{path}: cannot tell which DeepLab-v2 this is; pass its model config (or preset)"
                )
            cfg = ModelConfig(backbone=arch["backbone"], num_classes=arch["num_classes"])
    model = DeepLabV2(cfg)
    check_compatible(sd, model, str(path))
    check_finite(sd, str(path))
    model.load_state_dict(sd, strict=False)  # everything but BN step counters was checked above
    return model


def load_backbone_weights(model: DeepLabV2, path: str | os.PathLike) -> None:
    """Initialise the backbone from ImageNet weights (a torchvision ResNet state dict)
    or from DeepLab's init checkpoint; any classifier in the file (``fc``, an old
    21-class ``layer5``) is ignored and the model's own head keeps its init."""
    sd = extract_state_dict(read_checkpoint(path))
    sd = {k: v for k, v in sd.items() if not k.startswith(("fc.", "layer5.", "layer6."))}
    check_compatible(sd, model, str(path), backbone_only=True)
    check_finite(sd, str(path))
    model.load_state_dict(sd, strict=False)


def checkpoint_classes(path: str | os.PathLike, cfg: ModelConfig) -> tuple[ModelConfig, int | None]:
    """The model a checkpoint was trained as, and its classifier's class count (None: it has
    none, e.g. an ImageNet ResNet), without building it: ours carry their config; a foreign
    one gets ``cfg`` (a preset, or the project's) with the backbone its weights show."""
    obj = read_checkpoint(path)
    if obj.get("format") == FORMAT:  # its header checked by read_checkpoint
        saved = ModelConfig.from_dict(obj["config"])
        return saved, saved.num_classes
    sd = {k: v for k, v in extract_state_dict(obj).items() if not k.startswith("fc.")}
    arch = infer_architecture(sd, str(path))
    if arch["backbone"] is None:
        raise CheckpointError(
            f"{path}: holds no ResNet backbone this program knows (blocks per layer {arch['blocks']}); "
            "give a DeepLab-v2 checkpoint or a torchvision ResNet-18/34/50/101"
        )
    return replace(cfg, backbone=arch["backbone"]), arch["num_classes"]


def backbone_model(path: str | os.PathLike, cfg: ModelConfig) -> DeepLabV2:
    """A model of ``cfg`` whose backbone is the checkpoint's and whose classifier is new
    (initialised as ``torch``'s generator stands); weights of another backbone are refused
    with the reason (``check_compatible``)."""
    model = DeepLabV2(cfg)
    load_backbone_weights(model, path)
    return model
