"""Does a stochastic sampler buy variety? Measure DDIM's eta (0: the deterministic ODE sampler, 1: as random as DDPM)
on a shipped model at its own guidance (and unguided), beside its default sampler.

The denoiser loses recall below its decoder's ceiling (README), and the default sampler is deterministic: an ODE
solver maps each starting noise to one image. Adding fresh noise at every step (eta > 0) can correct errors of the
learned score along the way, which in diffusion papers often helps a model's coverage. Each row draws 2,000 samples
(200 per class) with seed 2 and measures them against 2,000 training images drawn with seed 2: the same samples'
seed and reference images as tune_guidance.py, so for the shipped model the default row repeats the row of its setting
in guidance_tuning_default_adv3.json, and the test set stays untouched. Read differences against notebook 09a's noise
margins (recall 0.045, precision 0.015, FID 0.48). With eta > 0 the images also depend on the sampling batch size.

Run from the repository root:  python nbs/results/sampler_eta.py [MODEL [OUT]]
MODEL is a shipped model by name (default `gpu`) or a checkpoint path; OUT defaults to nbs/results/sampler_eta.json.
About 10 minutes for the `gpu` model on the 2-core Zen 5 CPU.
"""
import json
import platform
import sys
import time
from pathlib import Path

import torch

from fashion_ldm.data import balanced_subset, load_fashion_mnist
from fashion_ldm.evaluate import extract_features, load_classifier, sample_metrics, unit_images
from fashion_ldm.ldm import LatentDiffusionModel

N_PER_CLASS, SEED = 200, 2
# (label, sampler keywords): no keywords is the model's default sampler
SETTINGS = [('default', {}), ('DDIM 50, eta 0', dict(sampler='ddim', steps=50, eta=0.0)),
            ('DDIM 50, eta 0.5', dict(sampler='ddim', steps=50, eta=0.5)), ('DDIM 50, eta 1', dict(sampler='ddim', steps=50, eta=1.0)),
            ('DDIM 25, eta 0', dict(sampler='ddim', steps=25, eta=0.0)), ('DDIM 25, eta 1', dict(sampler='ddim', steps=25, eta=1.0)),
            ('DDIM 100, eta 0', dict(sampler='ddim', steps=100, eta=0.0)), ('DDIM 100, eta 1', dict(sampler='ddim', steps=100, eta=1.0)),
            # unguided (scale 1: the conditional prediction alone), to tell eta's effect from its interplay with guidance
            ('unguided, DDIM 50, eta 0', dict(sampler='ddim', steps=50, eta=0.0, guidance=1.0)),
            ('unguided, DDIM 50, eta 1', dict(sampler='ddim', steps=50, eta=1.0, guidance=1.0))]


def main(name: str = 'gpu', out: str = 'nbs/results/sampler_eta.json') -> None:
    model = LatentDiffusionModel.from_pretrained(name, 'cpu')
    classifier = load_classifier(device=model.device)
    images, labels = load_fashion_mnist(train=True)
    reference = extract_features(classifier, unit_images(images[balanced_subset(labels, 10 * N_PER_CLASS, torch.Generator().manual_seed(SEED))]))
    cfg = model.default_config
    rows = []
    for label, kw in SETTINGS:
        start = time.perf_counter()
        x, y = model.sample('all', N_PER_CLASS, seed=SEED, **kw)
        seconds = time.perf_counter() - start
        m = sample_metrics(classifier, x, y, reference, SEED)
        rows.append({'setting': label, 'sampler': kw.get('sampler', cfg.sampler), 'steps': kw.get('steps', cfg.n_steps),
                     'eta': kw.get('eta', cfg.eta), 'guidance': kw.get('guidance', cfg.guidance), 'seconds': round(seconds, 1),
                     **{k: round(m[k], 4) for k in ('fid', 'precision', 'recall', 'accuracy')}})
        print(rows[-1], flush=True)
    record = {'model': name, 'samples': 10 * N_PER_CLASS, 'seed': SEED, 'guidance': cfg.guidance, 'guidance_interval': list(cfg.guidance_interval),
              'reference': f'{10 * N_PER_CLASS} balanced training images (seed {SEED})',
              'cpu': platform.processor() or platform.machine(), 'threads': torch.get_num_threads(), 'rows': rows}
    Path(out).write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    main(*sys.argv[1:3])
