"""The first three jobs of Algorithm 1, shared by every strategy of a comparison:
source pre-training, adversarial warm-up (or a given checkpoint instead) and the
evaluation of the model the stages start from."""

from __future__ import annotations

from pathlib import Path

import torch

from ..core.checkpoint import file_sha256, load_backbone_weights, load_model, save_checkpoint
from ..core.model import DeepLabV2
from .config import check_init_weights
from .jobs.adaptation import adapt_batchnorm, warmup
from .jobs.training import TrainConfig, train_supervised
from .run_jobs import Context, evaluate_on_val, run_job
from .run_state import RunState


def warm_start(out: Path, ctx: Context, start: str | Path | None = None, new_head: bool = False) -> dict:
    """Source pre-training (Eq. 1) and adversarial warm-up (Eq. 2), or a given
    checkpoint; then its evaluation.  Returns {"checkpoint", "sha256", "evaluation"}.

    ``new_head``: the cold start (a project of one's own classes without source data): the
    model is ``start``'s backbone (any checkpoint of ours, a foreign DeepLab-v2, an ImageNet
    ResNet) with a classifier for the configured classes initialised fresh (seeded); the
    result then also says ``"cold_start"`` (what the model was made from)."""
    cfg = ctx.cfg
    check_init_weights(cfg, start)
    if new_head and start is None:
        raise ValueError("a cold start takes its backbone from a checkpoint: give one (any DeepLab-v2 or ResNet)")
    out = Path(out).resolve()  # checkpoint paths in the ledger must not depend on the working directory
    identity: dict = {"config": cfg.to_dict(), "start": None if start is None else str(start)}
    if new_head:
        identity["new_head"] = True
    given = None if ctx.pretrained is None or start is not None else Path(ctx.pretrained.format(seed=cfg.seed))
    if given is not None:
        if not given.is_file():
            raise ValueError(f"{given}: no such pre-trained checkpoint (--pretrained); check the path")
        load_model(given, cfg.model)  # refuses a checkpoint of another model before any work
        identity["pretrained"] = str(given.resolve())
    state = RunState(out, identity, ctx.rt.is_main)

    def pretrain(seed):
        model = DeepLabV2(cfg.model)
        if cfg.pretrain.init_weights:
            load_backbone_weights(model, cfg.pretrain.init_weights)
        p = cfg.pretrain
        tc = TrainConfig(
            steps=p.steps, batch_size=p.batch_size, lr=p.lr, optimizer=p.optimizer, seed=seed, workers=cfg.data.workers
        )
        losses = train_supervised(
            model,
            ctx.data.source_set(seed),
            tc,
            progress=ctx.progress,
            cancel=ctx.cancel,
            job="pre-train on source",
            runtime=ctx.rt,
        )
        path = state.checkpoint("pretrain")
        sha = save_checkpoint(path, model, {"job": "pretrain"}) if ctx.rt.is_main else ""
        return {"checkpoint": str(path), "sha256": sha, "final_loss": losses[-1] if losses else None}

    def warm(seed):
        model = load_model(state.result("pretrain")["checkpoint"], cfg.model)
        stats = warmup(
            model,
            ctx.data.source_set(seed),
            ctx.data.target_images_set(seed),
            cfg.warmup,
            seed,
            ctx.rt,
            ctx.progress,
            ctx.cancel,
            workers=cfg.data.workers,
        )
        w = cfg.warmup
        target = ctx.data.target_images_set(seed + 1)
        stats.update(adapt_batchnorm(model, target, w.adabn_batches, w.batch_size, seed, ctx.rt))
        path = state.checkpoint("warmup")
        sha = save_checkpoint(path, model, {"job": "warmup"}) if ctx.rt.is_main else ""
        return {"checkpoint": str(path), "sha256": sha, **stats}

    def reuse(seed):
        assert given is not None  # only run with a given checkpoint
        return {"checkpoint": str(given.resolve()), "sha256": file_sha256(given), "given": True}

    def cold(seed):
        assert start is not None  # checked above
        torch.manual_seed(seed)  # the new head's initialisation
        model = DeepLabV2(cfg.model)
        load_backbone_weights(model, start)  # refuses, saying why, weights of another backbone
        path = state.checkpoint("cold-start")
        sha = save_checkpoint(path, model, {"job": "cold-start", "backbone_from": str(start)}) if ctx.rt.is_main else ""
        return {"checkpoint": str(path), "sha256": sha, "backbone_from": str(Path(start).resolve())}

    if new_head:
        ckpt = run_job(state, ctx, "cold-start", cold)
    elif start is None:
        run_job(state, ctx, "pretrain", pretrain if given is None else reuse)
        run_job(state, ctx, "warmup", warm)
        ckpt = state.result("warmup")
    else:
        load_model(start, cfg.model)  # refuses an incompatible checkpoint before any work
        ckpt = {"checkpoint": str(Path(start).resolve()), "sha256": file_sha256(start)}
    ev = run_job(
        state,
        ctx,
        "evaluate-0",
        lambda seed: evaluate_on_val(load_model(ckpt["checkpoint"], cfg.model), ctx),
        main_only=True,
    )
    result = {"checkpoint": ckpt["checkpoint"], "sha256": ckpt["sha256"], "evaluation": ev}
    if new_head:
        result["cold_start"] = {
            "backbone_from": ckpt["backbone_from"],
            "head": f"new, {cfg.model.num_classes} classes, initialised fresh",
        }
    return result
