"""Does notebook 01's adversarial term (a PatchGAN critic, hinge loss, adaptive weight) lift the autoencoder's ceiling
beyond what more training alone does?

Every arm starts from a shipped model's VAE, as shipped in float16: by default the `long` model's (width 32, 3 epochs
with the feature term), or with `--start gpu` the default model's (the same network, 37 epochs on a GPU), and trains
it one more epoch on all 60,000 training images with the loss it was trained with (squared error, KL 1e-3, the feature
term at weight 1 against the second classifier, FEATURE_NET, trained here as the trainer does), at a tenth of the `long`
preset's learning rate; the arms differ only in the adversarial term's weight (0: none). The critic starts at the first
step: the latent-diffusion paper starts it once the reconstruction has settled, as the `long` VAE's had (its control arm
barely moves; the `gpu` VAE's control arm still improves).
Same seed, same batches in every arm. Each VAE is measured like README's ceilings (reconstructions of 10,000 training
images against the 10,000 test images, on the evaluation classifier, which never enters training).

Run from the repository root (about 45 minutes on 2 CPU cores):   python nbs/results/vae_adversarial.py
or some arms only, keeping the other rows of the JSON:            python nbs/results/vae_adversarial.py 'adversarial 0.1'
from the default model's VAE (two arms, about 17 minutes on a faster 2-core CPU):        python nbs/results/vae_adversarial.py --start gpu 'one more epoch' 'adversarial 0.5'
Writes nbs/results/vae_adversarial.json (vae_adversarial_gpu.json with --start gpu; the starting VAE's own ceiling as a
reference row, from eval_10k.json); each fine-tuned VAE goes to runs/vae_adversarial/NAME.pt (runs/vae_adversarial_gpu/; not committed) as a checkpoint whose VAE stage is finished
(its denoiser slot holds the shipped one, unused), for a denoiser to be trained on it:
    fashion-ldm train --preset long --vae runs/vae_adversarial/adversarial_0.5.pt --out runs/adv05
Notebook 08 shows the table.
"""
import json
import platform
import sys
import time
from pathlib import Path

import torch

from fashion_ldm.bench import machine_info
from fashion_ldm.checkpoint import write_checkpoint
from fashion_ldm.data import PRESETS, load_fashion_mnist, to_model_range
from fashion_ldm.evaluate import FEATURE_NET, RESULTS_DIR, load_classifier, train_feature_classifier, unit_images, vae_ceiling
from fashion_ldm.ldm import LatentDiffusionModel
from fashion_ldm.vae import VAE, Adversary, PatchDiscriminator, fit_scale_factor, fit_vae

ARMS = {'one more epoch': 0.0, 'adversarial 0.1': 0.1, 'adversarial 0.5': 0.5}   # name: the adversarial term's weight
EPOCHS, SEED = 1, 0
LR = PRESETS['long'].vae_lr / 10
FIGURES = ('fid', 'precision', 'recall', 'accuracy')
# the shipped model an arm starts from: its VAE's epochs, and the key of its ceiling in eval_10k.json
STARTS = {'long': (3, 'long_d24_reconstructions'), 'gpu': (37, 'gpu_h200_tuned_reconstructions')}   # the float16 files


def main(names: list[str], start_from: str = 'long') -> None:
    out = 'nbs/results/vae_adversarial.json' if start_from == 'long' else f'nbs/results/vae_adversarial_{start_from}.json'
    epochs_before, reference = STARTS[start_from]
    unknown = [n for n in names if n not in ARMS]
    if unknown: sys.exit(f"unknown arm {unknown[0]!r}; valid: {', '.join(map(repr, ARMS))}")
    names = names or list(ARMS)
    preset = PRESETS['long']
    shipped = LatentDiffusionModel.from_pretrained(start_from, 'cpu')
    start = {k: v.float() for k, v in shipped.vae.state_dict().items()}
    images, labels = load_fashion_mnist(train=True)
    data = to_model_range(images)
    classifier = load_classifier(device='cpu')
    measured = json.loads((RESULTS_DIR / 'eval_10k.json').read_text())
    earlier = json.loads(Path(out).read_text()) if Path(out).is_file() else {}
    kept = {r['variant']: r for r in earlier.get('rows', []) if r['variant'] in ARMS and r['variant'] not in names}
    rows = [{'variant': f'shipped VAE ({epochs_before} epochs, features 1)', 'adversarial_weight': 0.0, 'epochs': epochs_before,
             **{k: round(measured[reference][k], 4) for k in FIGURES}, 'source': f'eval_10k.json: {reference}'}]
    feature_net = train_feature_classifier(unit_images(images), labels)
    for name, weight in ARMS.items():
        if name in kept: rows.append(kept[name]); continue
        if name not in names: continue
        vae = VAE(in_channels=1, base_channels=preset.vae_channels, latent_channels=preset.latent_channels)
        vae.load_state_dict(start)
        torch.manual_seed(SEED)
        adversary = Adversary(PatchDiscriminator(), weight=weight) if weight else None
        started = time.perf_counter()
        fit_vae(vae, data, EPOCHS, preset.batch_size, lr=LR, seed=SEED, feature_net=feature_net,
                feature_weight=preset.vae_feature_weight, adversary=adversary)
        train_s = time.perf_counter() - started
        fit_scale_factor(vae, data)   # for a denoiser trained on it later; the ceiling does not depend on it
        ceiling = vae_ceiling(vae, classifier)
        extra = {} if adversary is None else {'critic_loss_last_100': round(sum(adversary.critic_losses[-100:]) / len(adversary.critic_losses[-100:]), 4),
                                              'adaptive_weight_last': round(adversary.lambdas[-1], 2)}
        rows.append({'variant': name, 'adversarial_weight': weight, 'epochs': epochs_before + EPOCHS, 'train_seconds': round(train_s, 1),
                     **{k: round(ceiling[k], 4) for k in FIGURES}, **extra})
        print(rows[-1], flush=True)
        folder = 'runs/vae_adversarial' + ('' if start_from == 'long' else f'_{start_from}')
        write_checkpoint(Path(folder) / f"{name.replace(' ', '_')}.pt", vae, shipped.denoiser, shipped.betas,
                         finished={'vae': True, 'diffusion': False}, config={'vae_adversarial': {'weight': weight, 'lr': LR}})
    record = {'start': f"the shipped {start_from!r} model's VAE", 'train_images': len(data), 'epochs': EPOCHS, 'lr': LR,
              'batch_size': preset.batch_size, 'seed': SEED, 'feature_net': FEATURE_NET,
              'measured': '10,000 reconstructed training images against the 10,000 test images',
              'cpu': platform.processor() or platform.machine(), 'threads': torch.get_num_threads(),
              'machine': machine_info(torch.device('cpu')), 'rows': rows}
    Path(out).write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    args = sys.argv[1:]
    start_from = 'long'
    if '--start' in args:
        i = args.index('--start')
        if i + 1 >= len(args) or args[i + 1] not in STARTS: sys.exit(f"--start takes one of: {', '.join(STARTS)}")
        start_from = args[i + 1]; del args[i:i + 2]
    main(args, start_from)
