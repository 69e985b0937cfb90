"""What moves the `cpu` denoiser's recall? Its samples lose about 0.16 of recall below their VAE ceiling (cpu3 in
cpu_preset_study.json). This script tries the cheap levers on the cpu3 model (the shipped `cpu` model when it ran;
it left the package when cpu4, the same VAE with a denoiser trained at learning rate 2e-3, replaced it), against 2,000 balanced
*training* images (the test set stays for the headline figures), at the library's default guidance:

- sampling: more solver steps, and DDIM with noise (eta > 0), on cpu3's denoiser;
- training: short denoisers (4 to 6 epochs, about 4 minutes each) on cpu3's VAE's latents, in bfloat16 autocast,
  that change one thing against the preset's recipe (width 16, learning rate 1e-3, batch 128): twice the learning
  rate, half the batch, or width 24 for 4 epochs (planned for the recipe's wall time; it took 255 s against 201 s).

Each figure is measured with two sampling seeds (2 and 3), each against its own reference images; the standard deviation
of one 2,000-sample recall is about 0.016 (notebook 09a). Short runs only rank recipes; they are not the preset's figures.

Run from the repository root (about 25 minutes on a 2-core CPU with AVX-512 BF16), after taking cpu3's file from git:
    git show 5870911:fashion_ldm/weights/fashion_ldm_cpu.pt > runs/cpu3_as_shipped.pt
    python nbs/results/denoiser_levers.py        Writes nbs/results/denoiser_levers.json.
"""
import json
import sys
import time
from pathlib import Path

import torch

from fashion_ldm.bench import machine_info
from fashion_ldm.data import balanced_subset, get_preset, load_fashion_mnist, to_model_range
from fashion_ldm.evaluate import RESULTS_DIR, extract_features, load_classifier, sample_metrics, unit_images
from fashion_ldm.ldm import LatentDiffusionModel, encode_dataset, fit_denoiser
from fashion_ldm.unet import LatentUNetDenoiser

SEEDS, N_PER_CLASS = (2, 3), 200
SAMPLING = {'default (DPM-Solver++ 2M, 12 steps)': {}, '20 steps': {'steps': 20}, '30 steps': {'steps': 30},
            'DDIM, 50 steps': {'sampler': 'ddim', 'steps': 50}, 'DDIM, 50 steps, eta 1': {'sampler': 'ddim', 'steps': 50, 'eta': 1.0},
            'DDIM, 100 steps, eta 0.5': {'sampler': 'ddim', 'steps': 100, 'eta': 0.5}}
# name: (width, learning rate, batch, epochs)
# the model the study ran on: the shipped cpu model then, cpu3 (cpu_preset_study.py), taken from the commit that shipped it
CPU3 = 'runs/cpu3_as_shipped.pt'
CPU3_HOW = f'git show 5870911:fashion_ldm/weights/fashion_ldm_cpu.pt > {CPU3}'
TRAINING = {'recipe, 6 epochs': (16, 1e-3, 128, 6), 'learning rate 2e-3': (16, 2e-3, 128, 6),
            'batch 64': (16, 1e-3, 64, 6), 'width 24, 4 epochs': (24, 1e-3, 128, 4)}
FIGURES = ('fid', 'precision', 'recall', 'accuracy')


def measure(model: LatentDiffusionModel, classifier, references: dict, **changes) -> dict:
    "Figures of 2,000 samples per seed at the model's default sampling with `changes`, and the seconds sampling took."
    out = {}
    for seed, reference in references.items():
        started = time.perf_counter()
        images, labels = model.sample('all', N_PER_CLASS, model.default_config.replace(seed=seed, **changes))
        seconds = time.perf_counter() - started
        m = sample_metrics(classifier, images, labels, reference, seed)
        out[f'seed {seed}'] = {**{k: round(m[k], 4) for k in FIGURES}, 'sampling_seconds': round(seconds, 1)}
    return out


def main(out: Path = RESULTS_DIR / 'denoiser_levers.json') -> None:
    if not Path(CPU3).is_file(): sys.exit(f'this study needs {CPU3}; make it with: {CPU3_HOW}')
    shipped = LatentDiffusionModel.from_pretrained(CPU3, 'cpu')
    classifier = load_classifier(device='cpu')
    images, labels = load_fashion_mnist(train=True)
    references = {s: extract_features(classifier, unit_images(images[balanced_subset(labels, 10 * N_PER_CLASS, torch.Generator().manual_seed(s))]))
                  for s in SEEDS}
    record = {'model': 'cpu3 (the shipped cpu model then)', 'samples': 10 * N_PER_CLASS, 'seeds': SEEDS, 'reference': f'{10 * N_PER_CLASS} balanced training images per seed',
              'machine': machine_info(torch.device('cpu')), 'sampling': {}, 'training': {}}
    for name, changes in SAMPLING.items():
        record['sampling'][name] = measure(shipped, classifier, references, **changes)
        print(name, record['sampling'][name], flush=True)
    latents, preset = encode_dataset(shipped.vae, to_model_range(images)), get_preset('cpu')
    for name, (width, lr, batch, epochs) in TRAINING.items():
        torch.manual_seed(0)
        denoiser = LatentUNetDenoiser(base_channels=width, num_classes=10, time_dim=preset.time_dim, latent_channels=shipped.vae.latent_channels)
        started = time.perf_counter()
        ema, losses = fit_denoiser(denoiser, latents, labels, shipped.schedule, epochs, batch, lr, preset.warmup_steps, preset.ema_decay,
                                   autocast=torch.bfloat16)
        seconds = time.perf_counter() - started
        model = LatentDiffusionModel(shipped.vae, ema.model, schedule=shipped.schedule, clip_latent=shipped.clip_latent)
        record['training'][name] = {'width': width, 'lr': lr, 'batch': batch, 'epochs': epochs, 'train_seconds': round(seconds),
                                    'last_200_steps_loss': round(sum(losses[-200:]) / 200, 4), **measure(model, classifier, references)}
        print(name, record['training'][name], flush=True)
    out.write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
