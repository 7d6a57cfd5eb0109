"""Seeded random weights with a spread that makes every input matter (the default init leaves tiny models
nearly constant), rounded to bfloat16-representable float32 values so committed tiny graphs compress."""
import math

import torch


def randomise(module: torch.nn.Module, seed: int, round_bf16: bool) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(module.named_parameters(), key=lambda kv: kv[0]):
            shape = p.shape
            if p.dim() >= 2:
                fan_in = math.prod(shape[1:]) if p.dim() == 4 else shape[-1]
                value = torch.randn(shape, generator=gen) / math.sqrt(fan_in)
            elif name.endswith("weight") and ("norm" in name.lower() or "ln" in name.lower()):
                value = 1 + 0.1 * torch.randn(shape, generator=gen)
            else:
                value = 0.1 * torch.randn(shape, generator=gen)
            if round_bf16:
                value = value.to(torch.bfloat16).to(torch.float32)
            p.copy_(value)
