"""Where does a denoiser training step spend its time, in float32 and under bfloat16 autocast? The speed goal asks for
twice the float32 rate, and bfloat16 gives the denoiser far less than that (notebook 12). This script profiles the
step that `fashion-ldm bench` times (the real loss, the trainers' fused AdamW, batch 128) at widths 16 and 32 with
torch's profiler, and sums each operator's own time into four groups:
  convolutions       forward and backward (oneDNN)
  matrix products    the time embedding's and attention's products (mm, bmm, addmm, attention kernels)
  optimiser          the fused AdamW kernel
  the rest           normalisation, activations, casts between precisions, copies, the loss
The profiler's own overhead is included, so the totals run a little above the bench's step times; compare groups.

Run from the repository root (about 20 s on the Zen 5 EPYC of notebook 12):
    python nbs/results/denoiser_step_split.py nbs/results/denoiser_step_split_MACHINE.json
"""
import json
import sys
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from fashion_ldm.bench import machine_info
from fashion_ldm.loop import adamw
from fashion_ldm.loss import diffusion_loss
from fashion_ldm.schedule import NoiseSchedule
from fashion_ldm.unet import LatentUNetDenoiser

BATCH, WARMUP, STEPS = 128, 5, 10
PRODUCTS = ('aten::mm', 'aten::bmm', 'aten::addmm', 'aten::_scaled_dot_product_flash_attention_for_cpu',
            'aten::_scaled_dot_product_flash_attention_for_cpu_backward')


def group(op: str) -> str:
    "The group an operator's time counts in."
    if 'convolution' in op: return 'convolutions'
    if op in PRODUCTS: return 'matrix products'
    if 'fused_adam' in op: return 'optimiser'
    return 'the rest'


def split(width: int, bf16: bool) -> dict:
    "Milliseconds per step in each group for a fresh denoiser of `width`."
    gen = torch.Generator().manual_seed(0)
    net = LatentUNetDenoiser(base_channels=width)
    z, y = torch.randn(BATCH, 4, 8, 8, generator=gen), torch.randint(0, 10, (BATCH,), generator=gen)
    alpha_bar, opt = NoiseSchedule.cosine(1000).alpha_bar, adamw(net.parameters(), 'cpu', lr=1e-4)
    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            loss = diffusion_loss(net, z, y, alpha_bar, gen).float()
        opt.zero_grad(); loss.backward(); opt.step()
    for _ in range(WARMUP): step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(STEPS): step()
    ms = {'convolutions': 0.0, 'matrix products': 0.0, 'optimiser': 0.0, 'the rest': 0.0}
    for event in prof.key_averages():
        if event.key.startswith(('Optimizer.', 'ProfilerStep')): continue   # wrappers: their own time is bookkeeping
        ms[group(event.key)] += event.self_cpu_time_total / STEPS / 1e3
    return {'ms_per_step': round(sum(ms.values()), 1), **{k: round(v, 1) for k, v in ms.items()}}


def main(out: str) -> None:
    record = {'machine': machine_info(torch.device('cpu')), 'batch': BATCH, 'steps_profiled': STEPS, 'results': {}}
    for width in (16, 32):
        for bf16 in (False, True):
            key = f"width {width}, {'bfloat16 autocast' if bf16 else 'float32'}"
            record['results'][key] = split(width, bf16)
            print(key, record['results'][key], flush=True)
    Path(out).write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    if len(sys.argv) != 2: sys.exit('usage: python nbs/results/denoiser_step_split.py OUT.json')
    main(sys.argv[1])
