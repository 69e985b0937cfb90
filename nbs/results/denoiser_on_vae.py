"""Does a better autoencoder ceiling show through the denoiser? The same short denoiser recipe (the `cpu` preset's
width 16, but EPOCHS diffusion epochs) is trained on the latents of two VAEs from vae_study.py, the 4-epoch width-16 VAE
with and without the feature-matching term, and 10,000 samples of each (1,000 per class, the model's default sampling)
are measured against the 10,000 test images on the evaluation classifier.

Run from the repository root after vae_study.py has saved its VAEs under runs/vae_study/ (about 20 minutes on 2 CPU
cores):  python nbs/results/denoiser_on_vae.py      Writes nbs/results/denoiser_on_vae.json.
"""
import json
import platform
import sys
import time
from pathlib import Path

import torch
from vae_study import weights_path   # the script beside this one

from fashion_ldm.data import get_preset, load_fashion_mnist, to_model_range
from fashion_ldm.evaluate import RESULTS_DIR, load_classifier, sample_metrics, unit_images
from fashion_ldm.ldm import LatentDiffusionModel, encode_dataset, fit_denoiser
from fashion_ldm.schedule import NoiseSchedule
from fashion_ldm.unet import LatentUNetDenoiser
from fashion_ldm.vae import VAE, fit_scale_factor

EPOCHS, SEED = 5, 0
VAES = {'4 epochs, squared': 'all 60,000 x 4 epochs, width 16, squared',   # label: vae_study.py's variant
        '4 epochs, squared + features 1': 'all 60,000 x 4 epochs, width 16, squared + features 1'}
FIGURES = ('fid', 'precision', 'recall', 'accuracy')


def main(out: Path = RESULTS_DIR / 'denoiser_on_vae.json') -> None:
    missing = [str(weights_path(v)) for v in VAES.values() if not weights_path(v).is_file()]
    if missing: sys.exit(f"VAE weights not found: {', '.join(missing)}; make them with python nbs/results/vae_study.py " + ' '.join(map(repr, VAES.values())))
    p = get_preset('cpu')
    tr_x, tr_y = load_fashion_mnist(train=True)
    te_x, _ = load_fashion_mnist(train=False)
    images, classifier, rows = to_model_range(tr_x), load_classifier(device='cpu'), []
    for name, variant in VAES.items():
        path = weights_path(variant)
        vae = VAE(in_channels=1, base_channels=16)
        vae.load_state_dict(torch.load(path, map_location='cpu', weights_only=True))
        fit_scale_factor(vae, images)
        vae.requires_grad_(False)
        latents = encode_dataset(vae, images)
        torch.manual_seed(SEED)
        denoiser = LatentUNetDenoiser(base_channels=p.denoiser_channels, num_classes=10, time_dim=p.time_dim, latent_channels=4)
        schedule = NoiseSchedule.cosine(1000)
        started = time.perf_counter()
        ema, _ = fit_denoiser(denoiser, latents, tr_y, schedule, EPOCHS, p.batch_size, p.diffusion_lr, p.warmup_steps, p.ema_decay, seed=SEED)
        train_s = time.perf_counter() - started
        model = LatentDiffusionModel(vae, ema.model, schedule=schedule)
        samples, labels = model.sample('all', n=1000, seed=SEED)
        m = sample_metrics(classifier, samples, labels, unit_images(te_x), SEED)
        rows.append({'vae': name, 'vae_weights': str(path), 'diffusion_epochs': EPOCHS, 'train_seconds': round(train_s, 1),
                     'sampling': str(model.default_config), **{k: round(m[k], 4) for k in FIGURES}})
        print(rows[-1], flush=True)
    record = {'preset': 'cpu', 'diffusion_epochs': EPOCHS, 'seed': SEED, 'samples': 10_000,
              'measured': '10,000 samples (1,000 per class) against the 10,000 test images',
              'cpu': platform.processor() or platform.machine(), 'threads': torch.get_num_threads(), 'rows': rows}
    out.write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
