"""Where and how the engine computes: device, mixed precision, channels-last, and
the DistributedDataParallel context ``torchrun`` sets up.

One ``Runtime`` object is passed to every job, so a job never asks "which device?"
or "am I rank 0?" itself.  Under ``torchrun --nproc_per_node=N`` each process
holds a shard of every global batch and gradients are averaged by DDP; jobs that
write files (proposals, labels, reports) run on rank 0 while the others wait.
"""

from __future__ import annotations

import contextlib
import os
import zlib
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from ...cpu_share import intra_op_threads

_M = TypeVar("_M", bound=nn.Module)


@dataclass
class Runtime:
    device: torch.device
    amp: bool = False  # autocast (+ gradient scaling for float16); CUDA only
    channels_last: bool = False
    rank: int = 0
    world: int = 1
    amp_dtype: str = "float16"  # or "bfloat16" (no scaling needed: float32's range)

    @classmethod
    def create(
        cls, prefer: str = "auto", amp: bool = True, channels_last: bool = True, amp_dtype: str = "float16"
    ) -> Runtime:
        """CUDA when present (AMP and channels-last on), else the CPU (both off: no gain
        there, and the CPU path stays bit-for-bit deterministic) with a thread per free core.  Joins the process
        group when launched by ``torchrun``."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        if prefer == "auto":
            prefer = "cuda" if torch.cuda.is_available() else "cpu"
        if prefer.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(
                "device 'cuda' was asked for but torch sees no CUDA GPU; "
                "use --device cpu, or install a CUDA build of torch (see the README)"
            )
        device = torch.device(prefer)
        if world > 1:
            if device.type == "cuda":
                local = int(os.environ.get("LOCAL_RANK", "0"))
                device = torch.device("cuda", local)
                torch.cuda.set_device(device)
            if not dist.is_initialized():
                dist.init_process_group("nccl" if device.type == "cuda" else "gloo", timeout=timedelta(hours=2))
        cuda = device.type == "cuda"
        if not cuda:
            # Only the cores other work leaves free, set in the thread that computes (torch's
            # count is per thread): two threads on a core another job holds wait on each other.
            torch.set_num_threads(intra_op_threads())
        if amp_dtype not in ("float16", "bfloat16"):
            raise ValueError(f"amp_dtype {amp_dtype!r}: use 'float16' or 'bfloat16'")
        return cls(
            device=device,
            amp=amp and cuda,
            channels_last=channels_last and cuda,
            rank=rank,
            world=world,
            amp_dtype=amp_dtype,
        )

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1

    def autocast(self):
        if self.amp:
            return torch.autocast("cuda", dtype=getattr(torch, self.amp_dtype))
        return contextlib.nullcontext()

    def scaler(self) -> torch.amp.GradScaler:
        return torch.amp.GradScaler("cuda", enabled=self.amp and self.amp_dtype == "float16")

    def images(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.device, non_blocking=True)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def place(self, model: _M) -> _M:
        model.to(self.device)
        if self.channels_last:
            model.to(memory_format=torch.channels_last)
        return model

    def wrap(self, model: nn.Module) -> nn.Module:
        """DDP around a placed model when distributed; the model itself otherwise."""
        if not self.distributed:
            return model
        ids = None
        if self.device.type == "cuda":
            ids = [self.device.index]
            # Trained BN statistics must see the global batch, not one shard (CUDA only in torch).
            nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return nn.parallel.DistributedDataParallel(model, device_ids=ids, broadcast_buffers=False)

    def shard(self, indices: list) -> list:
        """This rank's part of a global batch."""
        return indices[self.rank :: self.world]

    def sum(self, value: torch.Tensor) -> torch.Tensor:
        """Sum over ranks (identity when not distributed)."""
        if self.distributed:
            value = value.clone()
            dist.all_reduce(value)
        return value

    def average_gradients(self, params) -> None:
        """What DDP does, for a module that cannot be wrapped."""
        if self.distributed:
            for p in params:
                if p.grad is not None:
                    dist.all_reduce(p.grad)
                    p.grad.div_(self.world)

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()


def seed_job(seed: int, job: str) -> int:
    """Seed every generator from (experiment seed, job name): a job gives the same
    result whether the run went straight through or resumed just before it."""
    s = (seed * 1_000_003 + zlib.crc32(job.encode())) % (2**31)
    torch.manual_seed(s)
    np.random.seed(s)
    return s


def is_out_of_memory(e: BaseException) -> bool:
    """CUDA's allocator failing (torch's ``OutOfMemoryError``, or the plain ``RuntimeError``
    some kernels and older builds raise with the same words)."""
    oom = getattr(torch.cuda, "OutOfMemoryError", ())
    return (bool(oom) and isinstance(e, oom)) or (isinstance(e, RuntimeError) and "out of memory" in str(e).lower())


def release_cuda_memory() -> None:
    """Give the cached blocks back after a failure, so the next try starts clean."""
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
