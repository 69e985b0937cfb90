"""Train the seed's-width model (the `full` preset's networks) on one GPU inside a fixed wall-time budget.

The `full` preset's own schedule (50 + 200 epochs at batch 128) needs more than an hour; a borrowed GPU may give minutes.
So this script keeps `full`'s networks and loss, uses batches of 512, so that each of the few steps it can afford sees
more images, and sizes both stages to the budget from measured step times:
1. times 30 VAE steps, then trains the VAE for as many epochs as fit in 35% of the budget (at most `full`'s 50);
2. times 60 diffusion steps on that VAE, then trains the denoiser for as many steps as fit in the rest, its
   warmup-then-cosine schedule ending exactly there (EMA decay 0.9995: `full`'s 0.9999 would average over more
   steps than the run has; as it turned out, over the shipped run's 8,237 steps the decay's warmup, notebook 05, kept
   it below 0.999, so either gives the same weights: README, *The average's length*).
Everything else is the trainer's (notebook 10): checkpoints, NaN guard, pictures, metrics.jsonl. `--adversarial W` adds
notebook 01's adversarial term to the VAE at weight W (the preset's `vae_adversarial_weight`; its critic starts halfway).
On a CPU, where each stage takes an hour or more, the two can run in turns: `--vae-only` stops after stage 1, and
`--vae-from OUT/vae/checkpoint_last.pt` with the same OUT starts at stage 2 on that VAE, keeping stage 1's record;
with `--checkpoint-every STEPS`, `fashion-ldm train --resume --out OUT/vae` (or OUT/diffusion) continues a stopped stage.

Run from the repository root:  python nbs/results/train_gpu.py OUT --minutes 8.8 [--data DIR] [--device cuda] [--adversarial W]
[--vae-only | --vae-from CHECKPOINT] [--checkpoint-every STEPS]
(the data must already be in DIR or $FASHION_LDM_DATA: nothing is downloaded). The step counts depend on the GPU's speed;
to replay a run's counts, give them instead of --minutes: --vae-epochs 37 --diffusion-steps 8237 (the shipped run's).
It writes OUT/vae/ (the VAE stage), OUT/diffusion/fashion_mnist_latent_diffusion_final.pt (the model) and
OUT/train_gpu.json (settings, steps, seconds and images per second of each stage, and the machine).
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from fashion_ldm.bench import machine_info
from fashion_ldm.data import PRESETS, training_data
from fashion_ldm.loop import count_batches
from fashion_ldm.train import RunConfig, Trainer, seconds_per_step

BATCH = 512
VAE_SHARE = 0.35                 # of the training budget
MAX_VAE_EPOCHS = PRESETS['full'].vae_epochs
DIFFUSION_EMA = 0.9995
SAFETY = 0.9                     # of the measured rate: pictures, checkpoints and the final save share the rest


def train_vae(out: Path, preset, images: torch.Tensor, labels: torch.Tensor, common: dict) -> tuple[Path, dict]:
    "Train `preset`'s VAE stage into OUT/vae/: its checkpoint, and what to record of the run."
    t0 = time.perf_counter()
    trainer = Trainer(RunConfig(preset=preset.to_dict(), out=str(out / 'vae'), stage='vae',
                                pictures_every=max(1, preset.vae_epochs // 5), **common), images, labels)
    ckpt = trainer.fit(progress=False)
    steps = preset.vae_epochs * count_batches(len(images), preset.batch_size)
    seconds = time.perf_counter() - t0
    return ckpt, {'epochs': preset.vae_epochs, 'steps': steps, 'lr': preset.vae_lr, 'warmup_steps': trainer.warmup_steps,
                  'seconds': seconds, 'img_s': steps * preset.batch_size / seconds}   # the seconds include pictures, checkpoints and the feature classifier


def main(out: Path, minutes: float | None, data: str | None, device: str, train_images: int | None = None, adversarial: float = 0.0,
         vae_epochs: int | None = None, diffusion_steps: int | None = None, seed: int = 0, overwrite: bool = False,
         vae_only: bool = False, checkpoint_every: int = 10**9, vae_from: str | None = None) -> dict:
    for name, value in (('--minutes', minutes), ('--vae-epochs', vae_epochs), ('--diffusion-steps', diffusion_steps)):
        if value is not None and value <= 0: sys.exit(f'{name} must be positive, got {value}')
    if vae_from and (vae_only or vae_epochs is not None): sys.exit('--vae-from skips the VAE stage: drop --vae-only and --vae-epochs')
    if vae_from and not Path(vae_from).is_file(): sys.exit(f'--vae-from: no checkpoint at {vae_from}')
    pinned = diffusion_steps is not None if vae_from else vae_epochs is not None and (diffusion_steps is not None or vae_only)
    if pinned: minutes = None   # no budget to size the stages to
    elif minutes is None: sys.exit('give --minutes, or --vae-epochs with --diffusion-steps or --vae-only (with --vae-from: --diffusion-steps)')
    fresh = out / 'diffusion' if vae_from else out   # stage 2 alone may share OUT with the --vae-only run it continues
    if fresh.is_dir() and any(fresh.iterdir()):
        if not overwrite: sys.exit(f'{fresh} is not empty: choose another OUT, or pass --overwrite')
        shutil.rmtree(fresh)   # only once the arguments hold: the trainer appends to metrics.jsonl, so start empty
    started = time.perf_counter()
    deadline = started + (minutes or 0) * 60
    if device == 'cuda': torch.backends.cudnn.benchmark = True
    base = replace(PRESETS['full'], batch_size=BATCH, train_images=train_images, vae_adversarial_weight=adversarial)
    images, labels = training_data(base, data, seed, download=False)
    per_epoch = count_batches(len(images), BATCH)
    common = dict(seed=seed, device=device, data=data, download=False, overwrite=True, checkpoint_every=checkpoint_every)
    record = {'script': 'nbs/results/train_gpu.py', 'minutes': minutes, 'batch_size': BATCH, 'train_images': len(images),
              'machine': machine_info(torch.device(device))}

    # 1. the VAE: time it, then as many epochs as fit in its share (unless --vae-epochs pins them, or --vae-from gives it)
    if vae_from:
        vae_ckpt, earlier = Path(vae_from), out / 'train_gpu.json'
        earlier = json.loads(earlier.read_text()) if earlier.is_file() else {}
        same = 'model' in earlier and Path(earlier['model']).resolve() == vae_ckpt.resolve()
        record['vae'] = {**(earlier['vae'] if same else {}), 'from': vae_from}
    else:
        vae_s = None
        if vae_epochs is None:
            calibrate = replace(base, vae_adversarial_start=0.0)   # time the steps with the critic, the dearer ones
            vae_s = seconds_per_step(RunConfig(preset=calibrate.to_dict(), out=str(out / 'calibrate_vae'), stage='vae',
                                               pictures_every=10**9, **common), images, labels, steps=30, warmup=10)
            budget = deadline - time.perf_counter()
            vae_epochs = max(1, min(MAX_VAE_EPOCHS, int(SAFETY * VAE_SHARE * budget / (vae_s * per_epoch))))
        vae_ckpt, record['vae'] = train_vae(out, replace(base, vae_epochs=vae_epochs), images, labels, common)
        record['vae'].update(adversarial_weight=adversarial, calibrated_s_per_step=vae_s)
        print('vae', record['vae'], flush=True)
    if vae_only:
        record['model'] = str(vae_ckpt)
        (out / 'train_gpu.json').write_text(json.dumps(record, indent=1) + '\n')
        return record

    # 2. the denoiser on that VAE: time it, then as many steps as fit in the rest (unless --diffusion-steps pins them)
    diffusion_preset = replace(base, ema_decay=DIFFUSION_EMA, diffusion_epochs=10**4)
    on_vae = dict(stage='diffusion', vae_from=str(vae_ckpt), **common)
    diff_s = None
    if diffusion_steps is None:
        diff_s = seconds_per_step(RunConfig(preset=diffusion_preset.to_dict(), out=str(out / 'calibrate_diffusion'),
                                            diffusion_steps=10**9, pictures_every=10**9, **on_vae), images, labels, steps=60, warmup=10)
        diffusion_steps = max(per_epoch, int(SAFETY * (deadline - time.perf_counter()) / diff_s))
    epochs = math.ceil(diffusion_steps / per_epoch)
    t0 = time.perf_counter()
    diffusion_trainer = Trainer(RunConfig(preset=replace(diffusion_preset, diffusion_epochs=epochs).to_dict(), out=str(out / 'diffusion'),
                                          diffusion_steps=diffusion_steps, pictures_every=max(1, epochs // 5), **on_vae), images, labels)
    final = diffusion_trainer.fit(progress=False)
    record['diffusion'] = {'steps': diffusion_steps, 'epochs': round(diffusion_steps / per_epoch, 2), 'lr': base.diffusion_lr,
                           'ema_decay': DIFFUSION_EMA, 'warmup_steps': diffusion_trainer.warmup_steps,
                           'calibrated_s_per_step': diff_s, 'seconds': time.perf_counter() - t0}
    r = record['diffusion']
    r['img_s'] = r['steps'] * BATCH / r['seconds']   # the seconds include pictures and checkpoints
    record['total_seconds'] = time.perf_counter() - started
    record['model'] = str(final)
    print('diffusion', record['diffusion'], flush=True)
    (out / 'train_gpu.json').write_text(json.dumps(record, indent=1) + '\n')
    return record


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('out', type=Path)
    ap.add_argument('--minutes', type=float, help='wall-time budget for both stages, calibration included')
    ap.add_argument('--data', help='folder holding FashionMNIST/raw (default: $FASHION_LDM_DATA)')
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--train-images', type=int, help='a class-balanced subset (for a quick check of the script)')
    ap.add_argument('--adversarial', type=float, default=0.0, help="the VAE's adversarial weight (default 0: none)")
    ap.add_argument('--vae-epochs', type=int, help='train the VAE this many epochs instead of sizing them to the budget')
    ap.add_argument('--diffusion-steps', type=int, help='train the denoiser this many steps instead of sizing them to the budget')
    ap.add_argument('--vae-from', metavar='CHECKPOINT', help="skip the VAE stage: train the denoiser on this run's finished VAE "
                                                              "(such as a --vae-only run's OUT/vae/checkpoint_last.pt)")
    ap.add_argument('--vae-only', action='store_true', help='stop after the VAE stage (its epochs: --vae-epochs, or a share of --minutes)')
    ap.add_argument('--checkpoint-every', type=int, default=10**9,
                    help='steps between checkpoints (default: none before the end); a stopped stage continues with '
                         '`fashion-ldm train --resume --out OUT/vae`')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--overwrite', action='store_true', help='delete what OUT holds first')
    a = ap.parse_args()
    main(a.out, a.minutes, a.data, a.device, a.train_images, a.adversarial, a.vae_epochs, a.diffusion_steps, a.seed, a.overwrite,
         a.vae_only, a.checkpoint_every, a.vae_from)
