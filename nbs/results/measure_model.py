"""Measure a model the way README's tables do: 10,000 samples at its default sampling (1,000 per class) against
the 10,000 test images, and its VAE's reconstructions of 10,000 training images (the ceiling), both on the
evaluation classifier's features. Adds `<name>_default` and `<name>_reconstructions` to nbs/results/eval_10k.json.

Run from the repository root:  python nbs/results/measure_model.py NAME [CHECKPOINT] [--library-default | --ceiling-only]
(CHECKPOINT: a path, or a shipped model by name, default `gpu`; about 8 minutes for it on 2 CPU cores.
--library-default samples with the library's default settings instead of those the checkpoint carries, if any.
--ceiling-only measures the VAE alone, `<name>_reconstructions`: CHECKPOINT may then be a run whose VAE stage is
finished and whose denoiser is not, such as `train_gpu.py --vae-only`'s OUT/vae/checkpoint_last.pt.)
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from fashion_ldm.checkpoint import CheckpointError, build_network, read_checkpoint
from fashion_ldm.evaluate import load_classifier, sample_metrics, unit_images, vae_ceiling
from fashion_ldm.data import load_fashion_mnist
from fashion_ldm.ldm import LatentDiffusionModel

RESULTS = Path('nbs/results/eval_10k.json')


def ceiling(name: str, checkpoint: str) -> dict:
    "`<name>_reconstructions` for the finished VAE in `checkpoint`."
    try: state = read_checkpoint(checkpoint)
    except CheckpointError as e: sys.exit(str(e))
    if not state['finished']['vae']: sys.exit(f'{checkpoint}: its VAE stage is not finished')
    vae = build_network(state['networks']['vae'], state['vae'], 'VAE', checkpoint)
    return {f'{name}_reconstructions': vae_ceiling(vae, load_classifier(device='cpu'))}


def main(name: str, checkpoint: str | None = None, library_default: bool = False) -> None:
    model = LatentDiffusionModel.from_pretrained(checkpoint, 'cpu')
    if library_default: model.default_config = LatentDiffusionModel.default_config
    classifier = load_classifier(device='cpu')
    te_x, _ = load_fashion_mnist(train=False)
    started = time.perf_counter()
    images, labels = model.sample('all', 1000, progress=True)
    sample_s = time.perf_counter() - started
    figures = {f'{name}_default': {**sample_metrics(classifier, images, labels, unit_images(te_x[:10_000]), 0),
                                   'sampling': str(model.default_config), 'sampling_seconds': round(sample_s, 1)},
               f'{name}_reconstructions': vae_ceiling(model.vae, classifier)}
    record(figures)


def record(figures: dict) -> None:
    "Print `figures` and add them to eval_10k.json."
    for key, fig in figures.items(): print(key, {k: v for k, v in fig.items() if k != 'accuracy_per_class'}, flush=True)
    results = json.loads(RESULTS.read_text())
    results.update(figures)
    RESULTS.write_text(json.dumps(results, indent=1) + '\n')
    print(f'wrote {RESULTS}')


if __name__ == '__main__':
    flags = {'--library-default', '--ceiling-only'}
    args, given = [a for a in sys.argv[1:] if a not in flags], flags & set(sys.argv[1:])
    if not 1 <= len(args) <= 2 or len(given) > 1: sys.exit('usage: ' + __doc__.split('Run from the repository root:')[1].split('(')[0].strip())
    if '--ceiling-only' in given:
        if len(args) != 2: sys.exit('--ceiling-only needs the CHECKPOINT whose VAE to measure')
        record(ceiling(*args))
    else: main(*args, library_default='--library-default' in given)
