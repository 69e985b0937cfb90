"""Which levers speed up a training step on this CPU? The VAE's and the denoiser's real losses (`vae_loss`,
`diffusion_loss`) at widths 16 (the `cpu` preset's, the widths the speed goal names) and 32, batch 128, each step
with AdamW (torch's default, one tensor at a time on the CPU, unless the mode says fused), in:
  fp32                  float32, the trainer's precision on a CPU without native bfloat16
  channels_last         float32 with channels-last tensors
  bf16                  bfloat16 autocast, as `fashion-ldm train --precision bf16`
  bf16 + channels_last
  bf16, batch 256       twice the batch: fewer, larger products per image
  compile               torch.compile (inductor) in float32, as `--compile` does for the denoiser
  bf16 + compile
  fp32, fused AdamW     AdamW fused into one kernel per step (notebook 00a's `adamw`, which the trainers use)
  bf16, fused AdamW
The modes of one network are timed in interleaved rounds by the bench's `interleaved_rates` (a round times 512 images
of each mode, after one warm-up round) and each rate is the median over the rounds, so that a slow spell of this shared
machine falls on all modes alike. (The committed record came from the version before it called `interleaved_rates`,
which timed the same rounds without the warm-up round.) Compiling happens
before the rounds; its seconds are recorded (inductor caches its kernels, so a second run compiles faster).

Run from the repository root (7 minutes on a 2-core CPU with AVX-512 BF16, where inductor had cached the width-16
kernels; compiling a network takes up to 80 s per mode when it has not):
    python nbs/results/training_speed.py nbs/results/training_speed_MACHINE.json
The fused modes were added after `training_speed_avx512bf16.json` was recorded; `training_speed_zen5.json` has them
(6 minutes on the Zen 5 EPYC of notebook 12, compiling included).
"""
import json
import sys
import time
from pathlib import Path

import torch

from fashion_ldm.bench import interleaved_rates, machine_info, product_peaks
from fashion_ldm.loop import adamw
from fashion_ldm.loss import diffusion_loss
from fashion_ldm.schedule import NoiseSchedule
from fashion_ldm.unet import LatentUNetDenoiser
from fashion_ldm.vae import VAE, vae_loss

MODES = ('fp32', 'channels_last', 'bf16', 'bf16 + channels_last', 'bf16, batch 256', 'compile', 'bf16 + compile',
         'fp32, fused AdamW', 'bf16, fused AdamW')
BATCH, IMAGES_PER_ROUND, ROUNDS = 128, 512, 5


def training_step(network: str, width: int, mode: str):
    "A function that runs one training step of a fresh `network` of `width` in `mode`, and its batch size."
    gen = torch.Generator().manual_seed(0)
    batch = 2 * BATCH if 'batch 256' in mode else BATCH
    fmt = torch.channels_last if 'channels_last' in mode else torch.contiguous_format
    if network == 'vae':
        net = VAE(base_channels=width).to(memory_format=fmt)
        x = torch.rand(batch, 1, 32, 32, generator=gen).mul(2).sub(1).contiguous(memory_format=fmt)
        model = torch.compile(net) if 'compile' in mode else net
        loss_fn = lambda: vae_loss(model, x, generator=gen)[0]
    else:
        net = LatentUNetDenoiser(base_channels=width).to(memory_format=fmt)
        z = torch.randn(batch, 4, 8, 8, generator=gen).contiguous(memory_format=fmt)
        y = torch.randint(0, 10, (batch,), generator=gen)
        alpha_bar = NoiseSchedule.cosine(1000).alpha_bar
        model = torch.compile(net) if 'compile' in mode else net
        loss_fn = lambda: diffusion_loss(model, z, y, alpha_bar, gen, null_class=net.num_classes)
    opt = adamw(net.parameters(), 'cpu', lr=1e-4) if 'fused' in mode else torch.optim.AdamW(net.parameters(), lr=1e-4)
    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled='bf16' in mode):
            loss = loss_fn().float()
        opt.zero_grad(); loss.backward(); opt.step()
    return step, batch


def measure(network: str, width: int) -> dict:
    "Median img/s of each mode over interleaved rounds (`interleaved_rates`), the ratio to fp32, and the seconds of the first two steps."
    steps, first = {}, {}
    for mode in MODES:
        started = time.perf_counter()
        step, batch = training_step(network, width, mode)
        for _ in range(2): step()
        first[mode] = time.perf_counter() - started
        steps[mode] = lambda step=step, n=max(1, IMAGES_PER_ROUND // batch): [step() for _ in range(n)]   # IMAGES_PER_ROUND a call
    rounds = {}
    median = interleaved_rates(steps, IMAGES_PER_ROUND, repeats=1, rounds=ROUNDS, per_round=rounds)
    return {mode: {'img_s': round(median[mode], 1), 'x_fp32': round(median[mode] / median['fp32'], 3),
                   'rounds': [round(r, 1) for r in rounds[mode]], 'first_two_steps_s': round(first[mode], 1)} for mode in MODES}


def main(out: str) -> None:
    device = torch.device('cpu')
    flags = open('/proc/cpuinfo').read().split() if Path('/proc/cpuinfo').is_file() else []
    record = {'machine': machine_info(device), 'native_bf16': [f for f in ('avx512_bf16', 'amx_bf16') if f in flags],
              'peak_gflop_s': product_peaks(device)[0],   # by `@` and as a convolution; the committed record timed `@` alone
              'batch': BATCH, 'rounds': ROUNDS, 'images_per_round': IMAGES_PER_ROUND, 'results': {}}
    for width in (16, 32):
        for network in ('vae', 'denoiser'):
            key = f'{network} width {width}'
            record['results'][key] = measure(network, width)
            print(key + ': ' + ', '.join(f"{m} {r['x_fp32']:.2f}x" for m, r in record['results'][key].items()), flush=True)
    Path(out).write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    if len(sys.argv) != 2: sys.exit('usage: python nbs/results/training_speed.py OUT.json')
    main(sys.argv[1])
