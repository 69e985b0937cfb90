"""Measure every sampler setting on the shipped model, to choose the default sampler and step count.

Like tune_guidance.py, the samples are measured against *training* images, so that the test set stays untouched
for the headline figures. Each setting draws 2,000 samples (200 per class) at the default guidance; the settings
repeated with a second seed give the noise of the measurement. The seconds recorded per row are the sampling
time on a machine that may be busy with other work; bench measures speed.

Run from the repository root (about 25 minutes on 2 CPU cores):  python nbs/results/sampler_sweep.py [OUT [MODEL]]
Writes OUT (default nbs/results/sampler_sweep.json); notebook 09a shows the table and applies the rule that picks the default.
MODEL is a shipped name or a checkpoint (default: cpu). The committed file measured the `cpu` model shipped before the
current one: `git show 05c693a:fashion_ldm/weights/fashion_ldm_cpu.pt > runs/cpu_v1.pt` restores it, and
`python nbs/results/sampler_sweep.py nbs/results/sampler_sweep.json runs/cpu_v1.pt` measures it again.
"""
import json
import platform
import sys
import time
from pathlib import Path

import torch

from fashion_ldm.data import balanced_subset, load_fashion_mnist
from fashion_ldm.evaluate import load_classifier, sample_metrics, unit_images
from fashion_ldm.ldm import LatentDiffusionModel

N_PER_CLASS = 200
# (sampler, spacing, rho, steps, seeds): 'ddim' with uniform spacing is notebook 06's DDIM; every other row is ode_sample
SETTINGS = ([('ddim', 'uniform', 1.0, s, (1,)) for s in (5, 10, 15, 20, 25)] + [('ddim', 'uniform', 1.0, 50, (1, 2))]
            + [('ddim', 'trailing', 0.6, s, (1, 2) if s in (10, 12) else (1,)) for s in (8, 10, 12, 15)]
            + [('dpm++2m', 'uniform', 1.0, s, (1,)) for s in (10, 20)]
            + [('dpm++2m', 'logsnr', 1.0, s, (1,)) for s in (10, 15, 20)]
            + [('dpm++2m', 'trailing', 1.0, s, (1,)) for s in (5, 10, 15, 20)]
            + [('dpm++2m', 'trailing', 0.5, s, (1, 2) if s < 15 else (1,)) for s in (8, 10, 15)]
            + [('dpm++2m', 'trailing', rho, s, (1, 2)) for rho in (0.6, 0.7) for s in (6, 8, 10, 12, 15)])


def main(out: str = 'nbs/results/sampler_sweep.json', model_name: str = 'cpu') -> None:
    model = LatentDiffusionModel.from_pretrained(model_name, device='cpu')
    classifier = load_classifier(device=model.device)
    images, labels = load_fashion_mnist(train=True)
    reference = unit_images(images[balanced_subset(labels, 10 * N_PER_CLASS, torch.Generator().manual_seed(0))])
    rows = []
    for sampler, spacing, rho, steps, seeds in SETTINGS:
        for seed in seeds:
            start = time.perf_counter()
            x, y = model.sample('all', N_PER_CLASS, steps=steps, seed=seed, sampler=sampler, spacing=spacing, rho=rho)
            seconds = time.perf_counter() - start
            m = sample_metrics(classifier, x, y, reference, seed)
            rows.append({'sampler': sampler, 'spacing': spacing, 'rho': rho, 'steps': steps, 'seed': seed, 'seconds': round(seconds, 1),
                         **{k: round(m[k], 4) for k in ('fid', 'precision', 'recall', 'accuracy')}})
            print(rows[-1], flush=True)
    guidance, interval = model.default_config.guidance, model.default_config.guidance_interval
    record = {'model': 'shipped (fashion_ldm_cpu.pt)', 'samples': 10 * N_PER_CLASS, 'guidance': guidance,
              'guidance_interval': list(interval), 'reference': f'{10 * N_PER_CLASS} balanced training images (seed 0)',
              'cpu': platform.processor() or platform.machine(), 'threads': torch.get_num_threads(), 'rows': rows}
    Path(out).write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    main(*sys.argv[1:3])
