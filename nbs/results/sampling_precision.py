"""Does bf16 autocast or channels_last make a sampling step cheaper on this CPU, and what does it do to the figures?

Times the model's default sampler (with decoding, at its default guidance) REPEATS times for each variant,
alternating between them (500 images; 100 under bf16 where bfloat16 products are slower than float32 ones, as on
AVX2-only CPUs), then measures 2,000 samples per variant against 2,000 training images, like sampler_sweep.py.

Run from the repository root:  python nbs/results/sampling_precision.py [MODEL [OUT]]
MODEL is a shipped name or a checkpoint (default: cpu); OUT defaults to nbs/results/sampling_precision.json.
- sampling_precision.json: the `cpu` model shipped before the current one (runs/cpu_v1.pt: README says how to restore it)
  on an AVX2-only EPYC, 3 repeats (about 10 minutes);
- sampling_precision_gpu_avx512bf16.json: the default `gpu` model on an EPYC with AVX-512 BF16, 5 repeats (its decoder as
  the GPU trained it, then the package's; both runs were made before loaded models became channels-last).
README's speed sections quote them.
"""
import contextlib
import copy
import json
import sys
import time
from pathlib import Path

import torch

from fashion_ldm.bench import machine_info, product_peaks
from fashion_ldm.loop import bf16_pays
from fashion_ldm.data import balanced_subset, load_fashion_mnist
from fashion_ldm.evaluate import load_classifier, sample_metrics, unit_images
from fashion_ldm.ldm import LatentDiffusionModel

N_PER_CLASS, SEED, REPEATS = 200, 1, 5


def variant(model, bf16: bool, channels_last: bool):
    "A copy of `model` (in channels_last if asked) and the context to sample it in."
    # a model loaded on the CPU is channels-last already (notebook 07): set each variant's layout explicitly
    m = copy.deepcopy(model).to(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    return m, (torch.autocast('cpu', dtype=torch.bfloat16) if bf16 else contextlib.nullcontext())


def main(name: str = 'cpu', out: str = 'nbs/results/sampling_precision.json') -> None:
    base = LatentDiffusionModel.from_pretrained(name, device='cpu')
    cpu = torch.device('cpu')
    peaks = product_peaks(cpu)[0]   # by `@` and as a convolution; the committed records timed `@` alone
    classifier = load_classifier()
    images, labels = load_fashion_mnist(train=True)
    reference = unit_images(images[balanced_subset(labels, 10 * N_PER_CLASS, torch.Generator().manual_seed(0))])
    variants = {(bf16, cl): variant(base, bf16, cl) for bf16 in (False, True) for cl in (False, True)}
    timings = {key: [] for key in variants}
    for rep in range(REPEATS):                        # alternate the variants, so a busy moment hits them all alike
        for key, (model, ctx) in variants.items():
            per_class = 10 if key[0] and not bf16_pays(peaks) else 50   # slow bf16: 100 images instead of 500
            with ctx:
                if rep == 0: model.sample('all', 1, seed=0)                   # warm-up
                start = time.perf_counter()
                model.sample('all', per_class, seed=rep)
                timings[key].append(10 * per_class / (time.perf_counter() - start))
    rows = []
    for (bf16, channels_last), (model, ctx) in variants.items():
        with ctx: x, y = model.sample('all', N_PER_CLASS, seed=SEED)
        m = sample_metrics(classifier, x.float(), y, reference, SEED)
        rates = sorted(timings[(bf16, channels_last)])
        rows.append({'bf16_autocast': bf16, 'channels_last': channels_last, 'img_s_default_guidance_median': round(rates[len(rates) // 2], 1),
                     'img_s_default_guidance_runs': [round(r, 1) for r in timings[(bf16, channels_last)]],
                     **{k: round(m[k], 4) for k in ('fid', 'precision', 'recall', 'accuracy')}})
        print(rows[-1], flush=True)
    record = {'model': name, 'sampler': base.default_config.sampler, 'steps': base.default_config.n_steps,
              'guidance': base.default_config.guidance, 'samples': 10 * N_PER_CLASS,
              'reference': f'{10 * N_PER_CLASS} balanced training images (seed 0)', 'repeats': REPEATS,
              'machine': machine_info(cpu), 'peak_gflop_s': peaks, 'rows': rows}
    Path(out).write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    main(*sys.argv[1:3])
