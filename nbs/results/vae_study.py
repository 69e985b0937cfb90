"""What buys a better autoencoder ceiling, and at what cost: VAEs of two widths, each trained with squared and with
absolute (L1) reconstruction error, on the same 12,000 training images for 2 epochs, then measured like README's
ceilings (reconstructions of 10,000 training images against the 10,000 test images, on the evaluation classifier).

Run from the repository root (about 16 minutes on 2 CPU cores):  python nbs/results/vae_study.py
Writes nbs/results/vae_study.json, with the VAE ceilings measured earlier (nbs/results/eval_10k.json) as reference rows;
notebook 08 shows the table. Cost is training compute: images seen times the FLOPs of one training step per image.
"""
import json
import platform
import time
from pathlib import Path

import torch

from fashion_ldm.data import balanced_subset, load_fashion_mnist, to_model_range
from fashion_ldm.bench import training_flops_per_image
from fashion_ldm.evaluate import RESULTS_DIR, load_classifier, vae_ceiling
from fashion_ldm.vae import VAE, fit_vae, vae_loss

N_TRAIN, EPOCHS, BATCH, SEED = 12_000, 2, 128, 0
VARIANTS = {'width 16, squared': dict(base_channels=16, recon_error='squared'),
            'width 16, L1': dict(base_channels=16, recon_error='l1'),
            'width 32, squared': dict(base_channels=32, recon_error='squared'),
            'width 32, L1': dict(base_channels=32, recon_error='l1')}
# ceilings measured before (key in eval_10k.json): the VAEs of whole training runs on all 60,000 images
REFERENCE = {'cpu preset: width 16, 2 epochs': ('vae_reconstructions', 16, 4, 2),
             'width 16, 4 epochs': ('vae4_diff10_reconstructions', 16, 4, 4),
             'width 16, 4 epochs, 8 latent channels': ('vae4_diff10_8ch_reconstructions', 16, 8, 4),
             'long preset (shipped): width 32, 3 epochs': ('long_preset_reconstructions', 32, 4, 3)}
FIGURES = ('fid', 'precision', 'recall', 'accuracy')


def gflop_per_image(base_channels: int, latent_channels: int = 4) -> float:
    "Forward and backward FLOPs of one VAE training step, per image, in GFLOP."
    vae, x = VAE(in_channels=1, base_channels=base_channels, latent_channels=latent_channels), torch.rand(8, 1, 32, 32) * 2 - 1
    return training_flops_per_image(lambda: vae_loss(vae, x)[0], 8) / 1e9


def main(out: str = 'nbs/results/vae_study.json') -> None:
    images, labels = load_fashion_mnist(train=True)
    train = to_model_range(images[balanced_subset(labels, N_TRAIN, torch.Generator().manual_seed(SEED))])
    classifier = load_classifier(device='cpu')
    measured = json.loads((RESULTS_DIR / 'eval_10k.json').read_text())
    rows = [{'variant': name, 'base_channels': width, 'latent_channels': channels, 'recon_error': 'squared',
             'images_seen': 60_000 * epochs, 'train_gflop': round(60_000 * epochs * gflop_per_image(width, channels)),
             **{k: round(measured[key][k], 4) for k in FIGURES}, 'source': f'eval_10k.json: {key}'}
            for name, (key, width, channels, epochs) in REFERENCE.items()]
    for name, settings in VARIANTS.items():
        torch.manual_seed(SEED)
        vae = VAE(in_channels=1, base_channels=settings['base_channels'])
        started = time.perf_counter()
        fit_vae(vae, train, EPOCHS, BATCH, recon_error=settings['recon_error'], seed=SEED)
        train_s = time.perf_counter() - started
        ceiling = vae_ceiling(vae, classifier)
        rows.append({'variant': name, **settings, 'parameters': sum(p.numel() for p in vae.parameters()),
                     'latent_channels': 4, 'images_seen': N_TRAIN * EPOCHS,
                     'train_gflop': round(N_TRAIN * EPOCHS * gflop_per_image(settings['base_channels'])),
                     'train_seconds': round(train_s, 1), **{k: round(ceiling[k], 4) for k in FIGURES}})
        print(rows[-1], flush=True)
    record = {'train_images': N_TRAIN, 'epochs': EPOCHS, 'batch_size': BATCH, 'seed': SEED,
              'measured': '10,000 reconstructed training images against the 10,000 test images',
              'cpu': platform.processor() or platform.machine(), 'threads': torch.get_num_threads(), 'rows': rows}
    Path(out).write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
