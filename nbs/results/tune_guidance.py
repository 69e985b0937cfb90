"""Choose a model's default guidance scale and interval, measured against *training* images so that the test set
stays untouched for the headline figures. Every setting samples with the model's default sampler and steps.

Run from the repository root:  python nbs/results/tune_guidance.py [MODEL [OUT]]
MODEL is a shipped model by name (default `long`, about 18 minutes on 2 CPU cores) or a checkpoint path.
Writes OUT (default nbs/results/guidance_tuning.json; the `gpu` model's run wrote guidance_tuning_gpu_h200.json);
notebook 09a shows the tables. Earlier runs, with other grids and seed 1:
guidance_tuning_long_seed1.json on the shipped `long` model (the run whose rule kept scale 5 from alpha_bar 0.1),
guidance_tuning_long_noterm.json on the `long` model before its VAE took the feature term, and
guidance_tuning_cpu.json on the `cpu` model, at 50 DDIM steps.
"""
import json
import platform
import sys
from pathlib import Path

import torch

from fashion_ldm.data import balanced_subset, load_fashion_mnist
from fashion_ldm.evaluate import load_classifier, unit_images
from fashion_ldm.tuning import guidance_sweep
from fashion_ldm.ldm import LatentDiffusionModel

# guidance intervals (as ranges of alpha_bar_t) and the scales tried with each; with 12 steps no step has alpha_bar_t > 0.9,
# so (0.1, 1.0) and (0.1, 0.9) guide the same steps and only the first is measured
GRID = {(0.0, 1.0): (1.5, 2.0), (0.1, 1.0): (2.0, 2.5, 3.0, 3.5, 4.0, 5.0), (0.2, 1.0): (3.0, 4.0, 5.0), (0.3, 1.0): (3.0, 4.0, 5.0)}
N_PER_CLASS, SEED = 200, 2


def main(name: str = 'long', out: str = 'nbs/results/guidance_tuning.json') -> None:
    model = LatentDiffusionModel.from_pretrained(name, 'cpu')
    classifier = load_classifier(device=model.device)
    images, labels = load_fashion_mnist(train=True)
    reference = unit_images(images[balanced_subset(labels, 10 * N_PER_CLASS, torch.Generator().manual_seed(SEED))])
    cfg = model.default_config.replace(seed=SEED)
    rows = []
    for interval, scales in GRID.items():
        for row in guidance_sweep(model, classifier, reference, scales, N_PER_CLASS, cfg, guidance_interval=interval):
            rows.append({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
            print(rows[-1], flush=True)
    record = {'model': name, 'samples': 10 * N_PER_CLASS, 'sampler': cfg.sampler, 'steps': cfg.n_steps, 'seed': SEED,
              'reference': f'{10 * N_PER_CLASS} balanced training images', 'device': str(model.device),
              'cpu': platform.processor() or platform.machine(), 'threads': torch.get_num_threads(), 'rows': rows}
    Path(out).write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    main(*sys.argv[1:])
