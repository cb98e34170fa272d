"""The first three jobs of Algorithm 1, shared by every strategy of a comparison:
source pre-training, adversarial warm-up (or a given checkpoint instead) and the
evaluation of the model the stages start from."""

from __future__ import annotations

from pathlib import Path

from ..core.checkpoint import file_sha256, load_backbone_weights, load_model, save_checkpoint
from ..core.model import DeepLabV2
from .config import check_init_weights
from .jobs.adaptation import adapt_batchnorm, warmup
from .jobs.training import TrainConfig, train_supervised
from .run_jobs import Context, evaluate_on_val, run_job
from .run_state import RunState


def warm_start(out: Path, ctx: Context, start: str | Path | None = None) -> dict:
    """Source pre-training (Eq. 1) and adversarial warm-up (Eq. 2), or a given
    checkpoint; then its evaluation.  Returns {"checkpoint", "sha256", "evaluation"}."""
    cfg = ctx.cfg
    check_init_weights(cfg, start)
    out = Path(out).resolve()  # checkpoint paths in the ledger must not depend on the working directory
    identity = {"config": cfg.to_dict(), "start": None if start is None else str(start)}
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

    if start is None:
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
    return {"checkpoint": ckpt["checkpoint"], "sha256": ckpt["sha256"], "evaluation": ev}
