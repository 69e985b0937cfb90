"""Does notebook 01's adversarial term (a PatchGAN critic, hinge loss, adaptive weight) lift the autoencoder's ceiling
beyond what more training alone does?

Every arm starts from a model's VAE, in float16 as shipped: by default the `long` model's (width 32, 3 epochs with the
feature term); with `--start gpu` the default model's as the GPU trained it (the same network, 37 epochs), which left
the package when its decoder was fine-tuned (below), so first:  git show 1179caf:fashion_ldm/weights/fashion_mnist_latent_diffusion_final.pt > runs/gpu_h200_as_trained.pt
with `--start default` the default model as shipped from its decoder's fine-tune until the whole-VAE fine-tune below
replaced it, so first:  git show 67c41d1:fashion_ldm/weights/fashion_mnist_latent_diffusion_final.pt > runs/default_decoder_adv05.pt
Each arm trains
it one more epoch (--epochs N: N) on all 60,000 training images with the loss it was trained with (squared error, KL 1e-3, the feature
term at weight 1 against the second classifier, FEATURE_NET, trained here as the trainer does), at a tenth of the `long`
preset's learning rate; the arms differ only in the adversarial term's weight (0: none). The critic starts at the first
step: the latent-diffusion paper starts it once the reconstruction has settled, as the `long` VAE's had (its control arm
barely moves; the `gpu` VAE's control arm still improves).
Same seed, same batches in every arm. Each VAE is measured like README's ceilings (reconstructions of 10,000 training
images against the 10,000 test images, on the evaluation classifier, which never enters training).

Run from the repository root (about 45 minutes on 2 CPU cores):   python nbs/results/vae_adversarial.py
or some arms only, keeping the other rows of the JSON:            python nbs/results/vae_adversarial.py 'adversarial 0.1'
from the default model's VAE (two arms, about 17 minutes on a faster 2-core CPU):        python nbs/results/vae_adversarial.py --start gpu 'one more epoch' 'adversarial 0.5'
Writes nbs/results/vae_adversarial.json (vae_adversarial_START.json with --start START; the starting VAE's own ceiling as a
reference row, from eval_10k.json); each fine-tuned VAE goes to runs/vae_adversarial/NAME.pt (runs/vae_adversarial_gpu/; not committed) as a checkpoint whose VAE stage is finished
(its denoiser slot holds the shipped one, unused), for a denoiser to be trained on it:
    fashion-ldm train --preset long --vae runs/vae_adversarial/adversarial_0.5.pt --out runs/adv05
Notebook 08 shows the table.

--decoder-only freezes the encoder and fine-tunes the decoder alone (the scale factor kept as shipped): the latents stay
exactly those the shipped denoiser was trained on, so the shipped denoiser samples through the new decoder with no
retraining. Such arms go to vae_adversarial_gpu_decoder.json and runs/vae_adversarial_gpu_decoder/, as finished
checkpoints that carry the shipped model's sampling settings:
    python nbs/results/vae_adversarial.py --start gpu --decoder-only 'one more epoch' 'adversarial 0.5'   (about 13 minutes)
    python -c "from fashion_ldm.ldm import export_pretrained as e; d = 'runs/vae_adversarial_gpu_decoder/'; e(d + 'adversarial_0.5.pt', d + 'adversarial_0.5_fp16.pt')"
    python nbs/results/measure_model.py gpu_decoder_adv05 runs/vae_adversarial_gpu_decoder/adversarial_0.5_fp16.pt   (float16, as shipped)
The rule for shipping one, written before the first such run: the arm with the lowest sample FID replaces the default
model's decoder if that FID is lower than the default's (gpu_h200_tuned_default in eval_10k.json: 0.995) by more than
0.05, its recall is not lower by more than 0.01, and its precision (>= 0.779) and accuracy (>= 95%) meet their targets.
It shipped 'adversarial 0.5' (FID 0.914). The same rule, against that decoder's 0.914 (gpu_decoder_adv05_default),
decides a second epoch:  python nbs/results/vae_adversarial.py --start default --decoder-only 'adversarial 0.5'

--epochs N trains each arm N epochs (one learning-rate cycle over all of them) and writes vae_adversarial_START_Nep.json
and runs/vae_adversarial_START_Nep/. Every arm's file carries the start model's sampling settings, and a whole-VAE arm's
row records how far its latents moved: the mean squared change of the scaled latents of the first 10,000 training
images, over their variance under the start VAE (0: the denoiser's inputs unchanged; 1: as far as a fresh draw).
The whole VAE with the term, several epochs, then the shipped denoiser trained on its latents (written before the run):
    python nbs/results/vae_adversarial.py --start default --epochs 3 'adversarial 0.5'          (about 20 minutes; it took 12)
    python nbs/results/continue_denoiser.py runs/adv3_denoiser --start runs/vae_adversarial_default_3ep/adversarial_0.5.pt --steps 5000
    python nbs/results/measure_model.py default_adv3_continued runs/adv3_denoiser/continued_fp16.pt
It replaces the default model if, at the shipped sampling, recall is at least 0.010 above the shipped 0.678, FID no
higher than its 0.914, precision at least 0.779 and accuracy at least 97% (continue_denoiser.py's rule). The control is
continue_denoiser.py on the unchanged VAE: 14,000 steps moved recall by -0.003 (continue_denoiser.json).
It passed (FID 0.826, recall 0.693; key default_adv3_continued_default) and shipped in c1b05af. A second round on that
model, 5 epochs this time, under the same rule against it (recall at least 0.703, FID at most 0.826), written before the run:
    git show c1b05af:fashion_ldm/weights/fashion_mnist_latent_diffusion_final.pt > runs/default_adv3.pt
    python nbs/results/vae_adversarial.py --start adv3 --epochs 5 'adversarial 0.5'                (about 16 minutes; it took 20)
    python nbs/results/continue_denoiser.py runs/adv5_denoiser --start runs/vae_adversarial_adv3_5ep/adversarial_0.5.pt --steps 5000
    python nbs/results/measure_model.py default_adv3_adv5_continued runs/adv5_denoiser/continued_fp16.pt
It did not pass: recall 0.697, FID 0.819 (key default_adv3_adv5_continued_default); the ceiling's FID fell to 0.617, its recall
stayed at 0.770.
--lr X replaces the learning rate (LR, a tenth of the `long` preset's: 2e-4) and adds _lrX to the names. Does a higher rate
move the ceiling's recall where 2e-4 stopped? Written before the run: three epochs at five times the rate on the shipped model,
    python nbs/results/vae_adversarial.py --start adv3 --epochs 3 --lr 1e-3 'adversarial 0.5'      (about 12 minutes)
and only if its ceiling's recall reaches 0.777 (0.005 above the shipped VAE's 0.772) the denoiser continued on it and measured as
in the second round (runs/adv3_lr_denoiser, key default_adv3_lr1e3_continued), shipped by the same rule as the second round's.
Its ceiling's recall fell to 0.765 (FID 0.629, latents moved 0.93%; it took 12 minutes): no denoiser was trained on it.
"""
import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

from fashion_ldm.bench import machine_info
from fashion_ldm.checkpoint import read_checkpoint, write_checkpoint
from fashion_ldm.data import PRESETS, load_fashion_mnist, to_model_range
from fashion_ldm.evaluate import FEATURE_NET, RESULTS_DIR, load_classifier, train_feature_classifier, unit_images, vae_ceiling
from fashion_ldm.ldm import PRETRAINED, LatentDiffusionModel, pretrained_path
from fashion_ldm.vae import VAE, Adversary, PatchDiscriminator, fit_scale_factor, fit_vae

ARMS = {'one more epoch': 0.0, 'adversarial 0.1': 0.1, 'adversarial 0.5': 0.5}   # name: the adversarial term's weight
SEED = 0
LR = PRESETS['long'].vae_lr / 10
FIGURES = ('fid', 'precision', 'recall', 'accuracy')
# the shipped model an arm starts from: its VAE's epochs, and the key of its ceiling in eval_10k.json
# the default model as the GPU trained it, before its decoder's fine-tune replaced it in the package
GPU_AS_TRAINED = 'runs/gpu_h200_as_trained.pt'
# the default model with that fine-tuned decoder, before the whole-VAE fine-tune (--epochs 3) replaced it in the package
DECODER_ADV05 = 'runs/default_decoder_adv05.pt'
# and the default after it: the whole VAE 3 epochs further with the term, the denoiser continued on its latents
ADV3 = 'runs/default_adv3.pt'
FROM_GIT = {GPU_AS_TRAINED: '1179caf', DECODER_ADV05: '67c41d1', ADV3: 'c1b05af'}   # the commit whose shipped default file each is
# a start: (the shipped name or file its VAE comes from, its VAE's epochs, the key of its ceiling in eval_10k.json); float16 files
STARTS = {'long': ('long', 3, 'long_d24_reconstructions'),
          'gpu': (GPU_AS_TRAINED, 37, 'gpu_h200_tuned_reconstructions'),
          'default': (DECODER_ADV05, 38, 'gpu_decoder_adv05_reconstructions'),   # the decoder one epoch further
          'adv3': (ADV3, 41, 'default_adv3_continued_reconstructions')}


@torch.no_grad()
def latent_drift(start: dict, vae: VAE, images: torch.Tensor) -> float:
    "Mean squared change of the scaled latents of `images` from the VAE with state `start` to `vae`, over their variance under `start`."
    before = VAE(in_channels=1, base_channels=vae.base_channels, latent_channels=vae.latent_channels)
    before.load_state_dict(start)
    z0, z1 = (torch.cat([v.eval().encode(x) for x in images.split(500)]) for v in (before, vae))
    return ((z1 - z0).pow(2).mean() / z0.var()).item()


def main(names: list[str], start_from: str = 'long', decoder_only: bool = False, epochs: int = 1, lr: float = LR) -> None:
    tag = ('' if start_from == 'long' else f'_{start_from}') + ('_decoder' if decoder_only else '') + ('' if epochs == 1 else f'_{epochs}ep') + ('' if lr == LR else f'_lr{lr:g}')
    out = f'nbs/results/vae_adversarial{tag}.json'
    source, epochs_before, reference = STARTS[start_from]
    if source in FROM_GIT and not Path(source).is_file():
        sys.exit(f'--start {start_from} needs {source}; make it with: git show {FROM_GIT[source]}:fashion_ldm/weights/fashion_mnist_latent_diffusion_final.pt > {source}')
    unknown = [n for n in names if n not in ARMS]
    if unknown: sys.exit(f"unknown arm {unknown[0]!r}; valid: {', '.join(map(repr, ARMS))}")
    names = names or list(ARMS)
    preset = PRESETS['long']
    shipped = LatentDiffusionModel.from_pretrained(source, 'cpu')
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
        if decoder_only: vae.encoder.requires_grad_(False)   # AdamW skips weights without gradients
        torch.manual_seed(SEED)
        adversary = Adversary(PatchDiscriminator(), weight=weight) if weight else None
        started = time.perf_counter()
        fit_vae(vae, data, epochs, preset.batch_size, lr=lr, seed=SEED, feature_net=feature_net,
                feature_weight=preset.vae_feature_weight, adversary=adversary)
        train_s = time.perf_counter() - started
        if not decoder_only: fit_scale_factor(vae, data)   # for a denoiser trained on it later; the ceiling does not depend on it
        ceiling = vae_ceiling(vae, classifier)
        extra_drift = {} if decoder_only else {'latent_drift': round(latent_drift(start, vae, data[:10_000]), 4)}
        extra = {} if adversary is None else {'critic_loss_last_100': round(sum(adversary.critic_losses[-100:]) / len(adversary.critic_losses[-100:]), 4),
                                              'adaptive_weight_last': round(adversary.lambdas[-1], 2)}
        rows.append({'variant': name, 'adversarial_weight': weight, 'epochs': epochs_before + epochs, 'train_seconds': round(train_s, 1),
                     **{k: round(ceiling[k], 4) for k in FIGURES}, **extra, **extra_drift})
        print(rows[-1], flush=True)
        # decoder-only: the shipped denoiser still fits, so the checkpoint is a finished model with the shipped sampling
        write_checkpoint(Path(f'runs/vae_adversarial{tag}') / f"{name.replace(' ', '_')}.pt", vae, shipped.denoiser, shipped.betas,
                         finished={'vae': True, 'diffusion': decoder_only}, config={'vae_adversarial': {'weight': weight, 'lr': lr, 'epochs': epochs}},
                         sampling=read_checkpoint(pretrained_path(source) if source in PRETRAINED else source).get('sampling'))
    record = {'start': f"the {start_from!r} model's VAE ({source})", 'trained': 'the decoder only' if decoder_only else 'the whole VAE',
              'train_images': len(data), 'epochs': epochs, 'lr': lr,
              'batch_size': preset.batch_size, 'seed': SEED, 'feature_net': FEATURE_NET,
              'measured': '10,000 reconstructed training images against the 10,000 test images',
              'cpu': platform.processor() or platform.machine(), 'threads': torch.get_num_threads(),
              'machine': machine_info(torch.device('cpu')), 'rows': rows}
    Path(out).write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


def positive(kind):
    "An argparse type: `kind` of the text, refused unless above 0."
    def parse(text: str):
        try: value = kind(text)
        except ValueError: value = 0
        if not value > 0: raise argparse.ArgumentTypeError(f'must be a positive {kind.__name__}, got {text!r}')
        return value
    return parse


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('arms', nargs='*', metavar='ARM', help=f"some of {', '.join(map(repr, ARMS))} (default: all)")
    ap.add_argument('--start', default='long', choices=STARTS, help='the model whose VAE every arm starts from (default: long)')
    ap.add_argument('--decoder-only', action='store_true', help='freeze the encoder: the shipped denoiser still fits')
    ap.add_argument('--epochs', type=positive(int), default=1)
    ap.add_argument('--lr', type=positive(float), default=LR, help=f'peak learning rate (default: {LR:g})')
    a = ap.parse_args()
    main(a.arms, a.start, a.decoder_only, a.epochs, a.lr)
