"""Training of the main model beyond the source: the adversarial warm-up (Eq. 2)
and the retraining on the annotator's labels (Eq. 6)."""

from __future__ import annotations

import copy
import math
import threading
from dataclasses import replace

import torch

from ...core.losses import (
    ClassThresholds,
    OutputDiscriminator,
    adversarial_loss,
    discriminator_loss,
    entropy_loss,
    iast_entropy_loss,
    pseudo_labels,
    uniform_kl_loss,
)
from ...core.model import DeepLabV2
from ...core.strategies import get_strategy
from ...data.classes import IGNORE
from ...data.datasets import TrainSet
from ..config import RetrainConfig, WarmupConfig, stage_value
from .runtime import Runtime
from .training import Progress, StepClock, TrainConfig, batches, global_ce, make_optimizer, optimizer_step, set_poly_lr


def iast_optimizer(model: DeepLabV2, lr: float, backbone_mult: float, weight_decay: float) -> torch.optim.Adam:
    """IAST's segmentation optimiser: Adam, the backbone at ``backbone_mult`` x the
    classifier's rate, L2 weight decay."""
    groups = [
        {"params": [p for p in model.backbone_parameters() if p.requires_grad], "lr": lr * backbone_mult},
        {"params": [p for p in model.classifier_parameters() if p.requires_grad], "lr": lr},
    ]
    return torch.optim.Adam(groups, lr=lr, weight_decay=weight_decay)


def cosine_restart_factor(step: int, total: int, cycles: int, eta_min_ratio: float) -> float:
    """Cosine annealing with warm restarts: ``cycles`` equal cycles over ``total``
    steps, each from 1 down to ``eta_min_ratio`` (a factor of the base rate)."""
    period = max(1, math.ceil(total / max(1, cycles)))
    t = (step % period) / period
    return eta_min_ratio + (1.0 - eta_min_ratio) * 0.5 * (1.0 + math.cos(math.pi * t))


def warmup(
    model: DeepLabV2,
    source: TrainSet,
    target: TrainSet,
    cfg: WarmupConfig,
    seed: int,
    rt: Runtime,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    workers: int = 0,
) -> dict:
    """Output-space adversarial training as AdaptSegNet/IAST: source CE, plus the
    segmentation model fooling a discriminator on target softmax maps; the
    discriminator learns source -> 0, target -> 1."""
    rt.place(model).train()
    net = rt.wrap(model)
    # The discriminator stays unwrapped (its parameters are frozen during the
    # segmentation step, which DDP does not allow); its gradients are averaged by hand.
    disc = rt.place(OutputDiscriminator(model.cfg.num_classes, first_kernel=cfg.d_first_kernel)).train()
    opt = iast_optimizer(model, cfg.lr, cfg.backbone_lr_mult, cfg.weight_decay)
    base = [g["lr"] for g in opt.param_groups]
    if cfg.schedule not in ("cosine", "constant"):
        raise ValueError(f"[warmup] schedule must be 'cosine' or 'constant', not {cfg.schedule!r}")
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.d_lr, betas=(0.9, 0.99))
    scaler, scaler_d = rt.scaler(), rt.scaler()
    src = batches(source, cfg.batch_size, seed, rt, workers)
    tgt = batches(target, cfg.batch_size, seed + 1, rt, workers)
    clock = StepClock("warm-up (adversarial)", cfg.steps, progress, cancel)
    stats: dict[str, float] = {}
    for step in range(cfg.steps):
        clock.check()
        if cfg.schedule == "cosine":
            f = cosine_restart_factor(step, cfg.steps, cfg.cycles, cfg.eta_min_ratio)
            for g, lr in zip(opt.param_groups, base):
                g["lr"] = lr * f
        (xs, ys), (xt, _) = next(src), next(tgt)
        for p in disc.parameters():
            p.requires_grad_(False)
        with rt.autocast():
            out_s, out_t = net(rt.images(xs)), net(rt.images(xt))
            adv = adversarial_loss(disc(out_t.float().softmax(1)), cfg.gan_mode)
        seg = global_ce(out_s, ys.to(rt.device), rt)
        optimizer_step(opt, scaler, seg + cfg.adv_weight * adv)
        for p in disc.parameters():
            p.requires_grad_(True)
        with rt.autocast():
            d = discriminator_loss(
                disc(out_s.detach().float().softmax(1)), disc(out_t.detach().float().softmax(1)), cfg.gan_mode
            )
        opt_d.zero_grad(set_to_none=True)
        scaler_d.scale(d).backward()
        rt.average_gradients(disc.parameters())
        scaler_d.step(opt_d)
        scaler_d.update()
        stats = {"seg": seg.item(), "adv": adv.item(), "disc": d.item()}
        clock.tick(step + 1, stats)
    return stats


@torch.no_grad()
def adapt_batchnorm(
    model: DeepLabV2, target: TrainSet, n_batches: int, batch_size: int, seed: int, rt: Runtime
) -> dict:
    """AdaBN: every BatchNorm's running statistics re-estimated on target crops alone
    (forward passes in train mode, a cumulative average, no gradient, no label).  The
    warm-up's statistics mix source and target batches; the model is evaluated and
    proposes on the target, so its normalisation should be the target's."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if n_batches <= 0 or not norms:
        return {"adabn_batches": 0}
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches below
    rt.place(model).train()
    stream = batches(target, batch_size, seed, rt, 0)
    for _ in range(n_batches):
        images, _ = next(stream)
        model(rt.images(images))
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    model.eval()
    return {"adabn_batches": n_batches}


def retrain_config(cfg: RetrainConfig, strategy: str) -> RetrainConfig:
    """The retraining settings a strategy runs with: a self-training strategy
    (``iast``) always trains on pseudo labels."""
    if get_strategy(strategy).self_training and cfg.pseudo_weight <= 0:
        return replace(cfg, pseudo_weight=1.0)
    return cfg


def retrain(
    model: DeepLabV2,
    labeled: TrainSet | None,
    source: TrainSet | None,
    unlabeled: TrainSet | None,
    cfg: RetrainConfig,
    seed: int,
    rt: Runtime,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    stage: int = 1,
    workers: int = 0,
) -> dict:
    """Eq. 6 on every target pixel labeled so far; with ``source_weight`` the source
    CE keeps the model anchored, with ``entropy_weight`` unlabeled target pixels are
    pushed toward confident predictions.

    With ``pseudo_weight`` > 0, ``labeled`` is the whole pool (255 where no one
    labeled) and the pixels without a human label are self-trained as IAST does:
    pseudo labels of the stage's starting model (frozen) under class-adaptive
    thresholds with the stage's alpha, CE on them, entropy on the pixels left
    without any label, KL(uniform || p) on the pseudo-labeled ones."""
    teacher = thresholds = None
    if cfg.pseudo_weight > 0:
        teacher = rt.place(copy.deepcopy(model)).eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
        thresholds = ClassThresholds(model.cfg.num_classes, alpha=stage_value(cfg.pseudo_alpha, stage, 0.2))
    rt.place(model).train()
    net = rt.wrap(model)
    lr = stage_value(cfg.stage_lr, stage, cfg.lr)
    opt = make_optimizer(model, TrainConfig(lr=lr, optimizer=cfg.optimizer))
    scaler = rt.scaler()
    base = [g["lr"] for g in opt.param_groups]
    tgt = batches(labeled, cfg.batch_size, seed, rt, workers) if labeled is not None and len(labeled) else None
    src = (
        batches(source, cfg.batch_size, seed + 1, rt, workers) if source is not None and cfg.source_weight > 0 else None
    )
    ent = (
        batches(unlabeled, cfg.batch_size, seed + 2, rt, workers)
        if unlabeled is not None and cfg.entropy_weight > 0 and tgt is None
        else None
    )
    clock = StepClock("retrain", cfg.steps, progress, cancel)
    stats: dict[str, float] = {}
    for step in range(cfg.steps):
        clock.check()
        set_poly_lr(opt, base, step, cfg.steps, 0.9)
        loss = torch.zeros((), device=rt.device)
        stats = {}
        if tgt is not None:
            x, y = next(tgt)
            with rt.autocast():
                out = net(rt.images(x))
            y = y.to(rt.device)
            ce = global_ce(out, y, rt)
            loss = loss + ce
            stats["target_ce"] = ce.item()
            if teacher is not None:
                with torch.no_grad(), rt.autocast():
                    probs = teacher(rt.images(x)).float().softmax(1)
                assert thresholds is not None  # made with the teacher
                pseudo = pseudo_labels(probs, thresholds)
                pseudo = torch.where(y == IGNORE, pseudo, torch.full_like(pseudo, IGNORE))
                ce_p = global_ce(out, pseudo, rt)
                ent_p = iast_entropy_loss(out, (y == IGNORE) & (pseudo == IGNORE))
                kl_p = uniform_kl_loss(out, pseudo != IGNORE)
                loss = loss + cfg.pseudo_weight * (
                    ce_p + cfg.pseudo_entropy_weight * ent_p + cfg.pseudo_kl_weight * kl_p
                )
                stats.update(pseudo_ce=ce_p.item(), pseudo_share=float((pseudo != IGNORE).float().mean()))
            if cfg.entropy_weight > 0:
                e = entropy_loss(out, y == IGNORE)
                loss = loss + cfg.entropy_weight * e
                stats["entropy"] = e.item()
        elif ent is not None:
            x, _ = next(ent)
            with rt.autocast():
                e = entropy_loss(net(rt.images(x)))
            loss = loss + cfg.entropy_weight * e
            stats["entropy"] = e.item()
        if src is not None:
            xs, ys = next(src)
            with rt.autocast():
                out_s = net(rt.images(xs))
            ce_s = global_ce(out_s, ys.to(rt.device), rt)
            loss = loss + cfg.source_weight * ce_s
            stats["source_ce"] = ce_s.item()
        optimizer_step(opt, scaler, loss)
        stats["loss"] = loss.item()
        clock.tick(step + 1, stats)
    return stats
