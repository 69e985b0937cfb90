"""Choose the shipped model's default guidance scale and interval, measured against *training* images
so that the test set stays untouched for the headline figures.

Run from the repository root (about 15 minutes on 2 CPU cores):  python nbs/results/tune_guidance.py
Writes nbs/results/guidance_tuning.json; notebook 09 shows the table.
"""
import json
import platform
from pathlib import Path

import torch

from fashion_ldm.data import balanced_subset, load_fashion_mnist
from fashion_ldm.evaluate import load_classifier, unit_images
from fashion_ldm.explore import guidance_sweep
from fashion_ldm.ldm import LatentDiffusionModel

# guidance intervals (as ranges of alpha_bar_t) and the scales tried with each
GRID = {(0.0, 1.0): (2.0, 3.0, 4.0), (0.1, 0.9): (3.0, 4.0, 5.0), (0.1, 1.0): (3.0, 4.0, 5.0, 6.0, 7.0), (0.2, 0.9): (4.0, 5.0, 6.0)}
N_PER_CLASS, STEPS, SEED = 200, 50, 1


def main(out: str = 'nbs/results/guidance_tuning.json') -> None:
    model = LatentDiffusionModel.from_pretrained('cpu')   # the model these figures were measured on
    classifier = load_classifier(device=model.device)
    images, labels = load_fashion_mnist(train=True)
    reference = unit_images(images[balanced_subset(labels, 10 * N_PER_CLASS, torch.Generator().manual_seed(SEED))])
    rows = []
    for interval, scales in GRID.items():
        for row in guidance_sweep(model, classifier, reference, scales, N_PER_CLASS, steps=STEPS, seed=SEED,
                                  guidance_interval=interval, sampler='ddim'):
            rows.append({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
            print(rows[-1], flush=True)
    record = {'model': 'shipped (fashion_ldm_cpu.pt)', 'samples': 10 * N_PER_CLASS, 'steps': STEPS, 'seed': SEED,
              'reference': f'{10 * N_PER_CLASS} balanced training images', 'device': str(model.device),
              'cpu': platform.processor() or platform.machine(), 'threads': torch.get_num_threads(), 'rows': rows}
    Path(out).write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
