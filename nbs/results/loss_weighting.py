"""Does the loss's weighting over noise levels move the denoiser's recall? Denoiser training has bought FID and
precision but not recall (denoiser_levers.json; continue_denoiser.json: 60 more epochs of the default model's
denoiser left its recall where it was). The seed's weighting, `noise_level` (1 + alpha_bar, notebook 04), gives the
low-noise steps more weight; the high-noise steps, which settle an image's overall shape, are where variety is decided.
This script trains short denoisers (the `cpu` preset's recipe: width 16, learning rate 2e-3, batch 128, 6 epochs, in
bfloat16 autocast) on the shipped `cpu` model's VAE, one per weighting, and measures each as denoiser_levers.py does:
2,000 samples at the library's default sampling with two sampling seeds, each against its own 2,000 balanced
*training* images (one 2,000-sample recall has a standard deviation of about 0.016, a mean of two about 0.011).

Rule, written before the run: a weighting is worth a full-length run if its recall beats `noise_level`'s by more than
0.022 (two standard deviations of a two-seed mean), with FID no more than 0.2 worse and accuracy at least 95%.

Run from the repository root:  python nbs/results/loss_weighting.py   (about 15 minutes on a 2-core CPU with AVX-512 BF16;
the data must already be in $FASHION_LDM_DATA). Writes nbs/results/loss_weighting.json.

No weighting passed that rule, but both alternatives gave the short denoiser a much lower FID (3.33 and 3.17 against 3.91).
`--full WEIGHTING` checks whether that holds at full length: the preset's 28 denoiser epochs on the same VAE, written as a
float16 model to runs/loss_weighting/cpu_WEIGHTING_fp16.pt (about 21 minutes), to be measured like README's table:
    python nbs/results/loss_weighting.py --full uniform
    python nbs/results/measure_model.py cpu_uniform runs/loss_weighting/cpu_uniform_fp16.pt
Its control is the shipped `cpu` model (cpu4_default in eval_10k.json: the same recipe under the seed's weighting, trained by
the trainer with other random draws; seeds moved its FID by 0.11). Rule, written before the full-length run: the weighting
is worth proposing as the default if its FID is lower than cpu4's 1.62 by more than 0.2 and its recall is not lower than
cpu4's 0.548 by more than 0.02. It is not shipped either way: the seed's design names the noise-level weighting.
"""
import json
import sys
import time
from pathlib import Path

import torch

from denoiser_levers import FIGURES, N_PER_CLASS, SEEDS, measure
from fashion_ldm.bench import machine_info
from fashion_ldm.checkpoint import write_checkpoint
from fashion_ldm.data import balanced_subset, get_preset, load_fashion_mnist, to_model_range
from fashion_ldm.evaluate import RESULTS_DIR, extract_features, load_classifier, unit_images
from fashion_ldm.ldm import LatentDiffusionModel, encode_dataset, fit_denoiser
from fashion_ldm.loss import WEIGHTINGS
from fashion_ldm.unet import LatentUNetDenoiser

EPOCHS = 6


def shipped_cpu_latents():
    "The shipped cpu model, its preset, and its VAE's latents of the 60,000 training images with their labels."
    shipped, preset = LatentDiffusionModel.from_pretrained('cpu', 'cpu'), get_preset('cpu')
    images, labels = load_fashion_mnist(train=True)
    return shipped, preset, images, encode_dataset(shipped.vae, to_model_range(images)), labels


def train_denoiser(shipped: LatentDiffusionModel, preset, latents, labels, epochs: int, weighting: str):
    "A new denoiser of the preset's recipe, trained `epochs` under `weighting` in bfloat16; its EMA and the seconds it took."
    torch.manual_seed(0)
    denoiser = LatentUNetDenoiser(base_channels=preset.denoiser_channels, num_classes=10, time_dim=preset.time_dim,
                                  latent_channels=shipped.vae.latent_channels)
    started = time.perf_counter()
    ema, _ = fit_denoiser(denoiser, latents, labels, shipped.schedule, epochs, preset.batch_size, preset.diffusion_lr,
                          preset.warmup_steps, preset.ema_decay, weighting=weighting, autocast=torch.bfloat16)
    return ema, time.perf_counter() - started


def main(out=RESULTS_DIR / 'loss_weighting.json') -> None:
    shipped, preset, images, latents, labels = shipped_cpu_latents()
    classifier = load_classifier(device='cpu')
    references = {s: extract_features(classifier, unit_images(images[balanced_subset(labels, 10 * N_PER_CLASS, torch.Generator().manual_seed(s))]))
                  for s in SEEDS}
    record = {'model': "the shipped cpu model's VAE; a new denoiser per weighting", 'epochs': EPOCHS, 'width': preset.denoiser_channels,
              'lr': preset.diffusion_lr, 'batch': preset.batch_size, 'samples': 10 * N_PER_CLASS, 'seeds': SEEDS,
              'reference': f'{10 * N_PER_CLASS} balanced training images per seed', 'machine': machine_info(torch.device('cpu')), 'weightings': {}}
    for weighting in WEIGHTINGS:
        ema, seconds = train_denoiser(shipped, preset, latents, labels, EPOCHS, weighting)
        model = LatentDiffusionModel(shipped.vae, ema.model, schedule=shipped.schedule, clip_latent=shipped.clip_latent)
        figures = measure(model, classifier, references)
        mean = {k: round(sum(f[k] for f in figures.values()) / len(figures), 4) for k in FIGURES}
        record['weightings'][weighting] = {'train_seconds': round(seconds), 'mean': mean, **figures}
        print(weighting, record['weightings'][weighting], flush=True)
    out.write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


def full_length(weighting: str, out_dir: Path = Path('runs/loss_weighting')) -> Path:
    "The preset's full denoiser stage under `weighting` on the shipped cpu model's VAE, written in float16 as shipped."
    if weighting not in WEIGHTINGS: sys.exit(f"unknown weighting {weighting!r}; valid: {', '.join(WEIGHTINGS)}")
    shipped, preset, _, latents, labels = shipped_cpu_latents()
    ema, seconds = train_denoiser(shipped, preset, latents, labels, preset.diffusion_epochs, weighting)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = {'script': 'nbs/results/loss_weighting.py --full', 'weighting': weighting, 'epochs': preset.diffusion_epochs,
              'train_seconds': round(seconds), 'machine': machine_info(torch.device('cpu'))}
    path = write_checkpoint(out_dir / f'cpu_{weighting}_fp16.pt', shipped.vae, ema.model, shipped.schedule.betas, config=config, dtype=torch.float16)
    print(config, f'wrote {path}', flush=True)
    return path


if __name__ == '__main__':
    if sys.argv[1:2] == ['--full'] and len(sys.argv) == 3: full_length(sys.argv[2])
    elif len(sys.argv) == 1: main()
    else: sys.exit('usage: python nbs/results/loss_weighting.py [--full WEIGHTING]')
