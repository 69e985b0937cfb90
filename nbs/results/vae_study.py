"""What buys a better autoencoder ceiling, and at what cost: VAEs of two widths, each trained with squared and with
absolute (L1) reconstruction error, and width 16 with a feature-matching term, on the same 12,000 training images for
2 epochs; then a pair of whole runs (all 60,000 images, 4 epochs at width 16) with and without the term. Each is
measured like README's ceilings (reconstructions of 10,000 training images against the 10,000 test images, on the
evaluation classifier).

The feature-matching term compares the reconstruction's and the original's penultimate features under a *second*
classifier (width 16, seed 1, 2 epochs, trained here), never the evaluation one, so the evaluator stays an independent
judge of what the term buys.

Added later, at the same 12,000 images and 2 epochs: width 16 with the KL weight at 1e-4 and 1e-2 instead of 1e-3, and
with the learning rate at 1e-3 and 4e-3 instead of 2e-3, and row 6's settings again as their control, on the same machine
(about 5 minutes for the five on a 2-core CPU with AVX-512 BF16; their rows follow the LATER one).

Run from the repository root (about an hour on 2 CPU cores):     python nbs/results/vae_study.py
or only some variants, keeping the other rows of the JSON:      python nbs/results/vae_study.py 'width 16, L1'
or only the reference rows, after measure_model.py has measured a new model:   python nbs/results/vae_study.py --references
Writes nbs/results/vae_study.json, with the VAE ceilings measured earlier (nbs/results/eval_10k.json) as reference rows;
notebook 08 shows the table. Cost is training compute: images seen times the FLOPs of one training step per image.
"""
from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import torch

from fashion_ldm.data import balanced_subset, load_fashion_mnist, to_model_range
from fashion_ldm.bench import training_flops_per_image
from fashion_ldm.evaluate import (FEATURE_NET, RESULTS_DIR, FashionClassifier, load_classifier, predict, train_feature_classifier,
                                  unit_images, vae_ceiling)
from fashion_ldm.vae import VAE, fit_vae, vae_loss

N_TRAIN, EPOCHS, BATCH, SEED = 12_000, 2, 128, 0
VARIANTS = {'width 16, squared': dict(base_channels=16, recon_error='squared'),
            'width 16, L1': dict(base_channels=16, recon_error='l1'),
            'width 32, squared': dict(base_channels=32, recon_error='squared'),
            'width 32, L1': dict(base_channels=32, recon_error='l1'),
            'width 16, squared + features 1': dict(base_channels=16, recon_error='squared', feature_weight=1.0),
            'width 16, squared + features 10': dict(base_channels=16, recon_error='squared', feature_weight=10.0),
            # the better weight above in a whole run, beside the same run without the term
            'all 60,000 x 4 epochs, width 16, squared': dict(base_channels=16, recon_error='squared', whole_set=True, epochs=4),
            'all 60,000 x 4 epochs, width 16, squared + features 1': dict(base_channels=16, recon_error='squared', feature_weight=1.0,
                                                                           whole_set=True, epochs=4)}
# added after the study, listed after its LATER rows: the KL weight (notebook 01's default 1e-3) and the learning rate (2e-3)
ADDED = {'width 16, squared, KL 1e-4': dict(base_channels=16, recon_error='squared', kl_weight=1e-4),
         'width 16, squared, KL 1e-2': dict(base_channels=16, recon_error='squared', kl_weight=1e-2),
         'width 16, squared, lr 1e-3': dict(base_channels=16, recon_error='squared', lr=1e-3),
         'width 16, squared, lr 4e-3': dict(base_channels=16, recon_error='squared', lr=4e-3),
         # their control: row 6's settings again, trained on the same machine minutes later (row 6 ran on another CPU)
         'width 16, squared, KL 1e-3, lr 2e-3 (control, again)': dict(base_channels=16, recon_error='squared')}
VARIANTS = {**VARIANTS, **ADDED}
# ceilings measured before (key in eval_10k.json): the VAEs of whole training runs on all 60,000 images
# (name: key, width, latent channels, epochs, feature weight)
REFERENCE = {'cpu preset: width 16, 2 epochs': ('vae_reconstructions', 16, 4, 2, 0.0),
             'width 16, 4 epochs': ('vae4_diff10_reconstructions', 16, 4, 4, 0.0),
             'width 16, 4 epochs, 8 latent channels': ('vae4_diff10_8ch_reconstructions', 16, 8, 4, 0.0),
             'long preset, no feature term: width 32, 3 epochs': ('long_preset_reconstructions', 32, 4, 3, 0.0),
             'long preset (shipped): width 32, 3 epochs, features 1': ('long_features_reconstructions', 32, 4, 3, 1.0)}
# measured after the study, listed after it so that the rows above keep their numbers
LATER = {'gpu (GPU-trained): width 32, 37 epochs, features 1': ('gpu_h200_reconstructions', 32, 4, 37, 1.0)}
FIGURES = ('fid', 'precision', 'recall', 'accuracy')


def gflop_per_image(base_channels: int, latent_channels: int = 4, feature_net=None, feature_weight: float = 0.0) -> float:
    "Forward and backward FLOPs of one VAE training step (with its feature term, if any), per image, in GFLOP."
    vae, x = VAE(in_channels=1, base_channels=base_channels, latent_channels=latent_channels), torch.rand(8, 1, 32, 32) * 2 - 1
    return training_flops_per_image(lambda: vae_loss(vae, x, feature_net=feature_net, feature_weight=feature_weight)[0], 8) / 1e9


def weights_path(variant: str) -> Path:
    "Where the study saves a variant's VAE state_dict (under runs/, not committed)."
    return Path('runs/vae_study') / f"{variant.replace(' ', '_').replace(',', '')}.pt"


def feature_classifier() -> tuple[FashionClassifier, float]:
    "The feature-matching term's classifier (the trainer's, FEATURE_NET), trained on all training images, and its test accuracy."
    tr_x, tr_y = load_fashion_mnist(train=True)
    te_x, te_y = load_fashion_mnist(train=False)
    model = train_feature_classifier(unit_images(tr_x), tr_y)
    return model, (predict(model, unit_images(te_x)) == te_y).double().mean().item()


def main(names: list[str], out: str = 'nbs/results/vae_study.json') -> None:
    references_only = names == ['--references']   # rebuild the reference rows from eval_10k.json, train nothing
    if references_only: names = []
    unknown = [n for n in names if n not in VARIANTS]
    if unknown: sys.exit(f"unknown variant {unknown[0]!r}; valid: {', '.join(map(repr, VARIANTS))}, or --references")
    names = names or ([] if references_only else list(VARIANTS))
    images, labels = load_fashion_mnist(train=True)
    train = to_model_range(images[balanced_subset(labels, N_TRAIN, torch.Generator().manual_seed(SEED))])
    classifier = load_classifier(device='cpu')
    measured = json.loads((RESULTS_DIR / 'eval_10k.json').read_text())
    def reference_row(name: str, key: str, width: int, channels: int, epochs: int, weight: float) -> dict:
        return {'variant': name, 'base_channels': width, 'latent_channels': channels, 'recon_error': 'squared', 'feature_weight': weight,
                'images_seen': 60_000 * epochs, 'train_gflop': round(60_000 * epochs * gflop_per_image(
                    width, channels, FashionClassifier(width=FEATURE_NET['width']) if weight else None, weight)),   # FLOPs: any weights do
                **{k: round(measured[key][k], 4) for k in FIGURES}, 'source': f'eval_10k.json: {key}'}
    rows = [reference_row(name, *spec) for name, spec in REFERENCE.items()]
    earlier = json.loads(Path(out).read_text()) if Path(out).is_file() else {}
    kept = {r['variant']: r for r in earlier.get('rows', []) if r['variant'] in VARIANTS and r['variant'] not in names}
    feature_net, feature_net_accuracy = None, earlier.get('feature_net', {}).get('test_accuracy')
    if any(VARIANTS[n].get('feature_weight') for n in names):
        feature_net, feature_net_accuracy = feature_classifier()
        print(f'feature classifier: test accuracy {feature_net_accuracy:.2%}', flush=True)
    def arm_row(name: str) -> dict | None:
        "The row of a variant: kept from the JSON, trained now, or None if neither."
        if name in kept: return kept[name]
        if name not in names: return None
        settings = dict(VARIANTS[name])
        weight = settings.get('feature_weight', 0.0)
        data = to_model_range(images) if settings.pop('whole_set', False) else train   # all 60,000, or the study's 12,000
        epochs = settings.pop('epochs', EPOCHS)
        torch.manual_seed(SEED)
        vae = VAE(in_channels=1, base_channels=settings['base_channels'])
        started = time.perf_counter()
        fit_vae(vae, data, epochs, BATCH, recon_error=settings['recon_error'], seed=SEED, feature_net=feature_net if weight else None,
                feature_weight=weight, **{k: settings[k] for k in ('kl_weight', 'lr') if k in settings})   # else fit_vae's defaults
        train_s = time.perf_counter() - started
        ceiling = vae_ceiling(vae, classifier)
        gflop = gflop_per_image(settings['base_channels'], feature_net=feature_net if weight else None, feature_weight=weight)
        row = {'variant': name, 'feature_weight': weight, **settings, 'parameters': sum(p.numel() for p in vae.parameters()),
               'latent_channels': 4, 'images_seen': len(data) * epochs, 'train_gflop': round(len(data) * epochs * gflop),
               'train_seconds': round(train_s, 1), **{k: round(ceiling[k], 4) for k in FIGURES}}
        print(row, flush=True)
        Path('runs/vae_study').mkdir(parents=True, exist_ok=True)   # the weights, for a denoiser to be trained on (not committed)
        torch.save(vae.state_dict(), weights_path(name))
        return row
    rows += [r for r in map(arm_row, [n for n in VARIANTS if n not in ADDED]) if r]
    rows += [reference_row(name, *spec) for name, spec in LATER.items()]
    rows += [r for r in map(arm_row, ADDED) if r]
    record = {'train_images': N_TRAIN, 'epochs': EPOCHS, 'batch_size': BATCH, 'seed': SEED,
              'measured': '10,000 reconstructed training images against the 10,000 test images',
              'feature_net': {**FEATURE_NET, 'test_accuracy': feature_net_accuracy},
              'added': [n for n in ADDED if any(r['variant'] == n for r in rows)],   # the later arms and their control
              'cpu': platform.processor() or platform.machine(), 'threads': torch.get_num_threads(), 'rows': rows}
    Path(out).write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    main(sys.argv[1:])
