"""Training-step speed in float32, float32 with channels_last, and bfloat16 autocast, for the VAE and the denoiser
at widths 16 and 32: the figures behind README's and notebook 12's word on bfloat16, which depends on the CPU
(training_precision.txt: an AVX2-only EPYC, where it is far slower; training_precision_avx512bf16.txt: one with AVX-512 BF16).

Run from the repository root (about 3 minutes on 2 CPU cores, under a minute where bfloat16 is native), naming the
file after the machine:   python nbs/results/training_precision.py > nbs/results/training_precision_MACHINE.txt
(training_precision.txt came from an earlier version of this script: 4 timed steps instead of 12, the ratio as "slower").
"""
import time
from pathlib import Path

import torch

from fashion_ldm.bench import machine_info
from fashion_ldm.unet import LatentUNetDenoiser
from fashion_ldm.vae import VAE

BATCH, STEPS = 64, 12


def images_per_second(net: torch.nn.Module, inputs: tuple, mode: str) -> float:
    "Training img/s of `net` on `inputs` in `mode` (fp32, channels_last or bf16), after one warm-up step."
    fmt = torch.channels_last if mode == 'channels_last' else torch.contiguous_format
    net = net.to(memory_format=fmt)
    inputs = tuple(x.contiguous(memory_format=fmt) if x.dim() == 4 else x for x in inputs)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4)
    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=mode == 'bf16'):
            out = net(*inputs)
        loss = (out[0] if isinstance(out, tuple) else out).float().pow(2).mean()
        opt.zero_grad(); loss.backward(); opt.step()
    step()
    start = time.perf_counter()
    for _ in range(STEPS): step()
    return BATCH * STEPS / (time.perf_counter() - start)


def main() -> None:
    gen = torch.Generator().manual_seed(0)
    print(machine_info(torch.device('cpu')))
    flags = open('/proc/cpuinfo').read().split() if Path('/proc/cpuinfo').is_file() else []
    print('native bfloat16 instructions: ' + (', '.join(f for f in ('avx512_bf16', 'amx_bf16') if f in flags) or 'none'))
    for width in (16, 32):
        nets = {'denoiser': (LatentUNetDenoiser(base_channels=width),
                             (torch.randn(BATCH, 4, 8, 8, generator=gen), torch.randint(0, 1000, (BATCH,), generator=gen),
                              torch.randint(0, 10, (BATCH,), generator=gen))),
                'vae': (VAE(base_channels=width), (torch.randn(BATCH, 1, 32, 32, generator=gen),))}
        for name, (net, inputs) in nets.items():
            rates = {mode: images_per_second(net, inputs, mode) for mode in ('fp32', 'channels_last', 'bf16')}
            print(f'{name} width {width}: ' + ', '.join(f'{m} {r:.0f} img/s' for m, r in rates.items())
                  + f"; bf16 runs {rates['bf16'] / rates['fp32']:.2f}x the fp32 rate", flush=True)


if __name__ == '__main__': main()
