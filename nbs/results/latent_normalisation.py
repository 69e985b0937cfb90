"""Does normalising each latent channel on its own move the denoiser's recall? The VAE's scale factor (notebook 01) is
one number, 1/std of all latents; but the channels differ: the shipped `cpu` VAE's four channels have means from -0.50
to 0.43 and standard deviations from 0.65 to 1.23. Under one scale the noise drowns a narrow channel earlier in the
forward process than a wide one, so the denoiser settles the channels' content at different noise levels. This script
trains the short denoiser of loss_weighting.py (the `cpu` recipe: width 16, learning rate 2e-3, batch 128, 6 epochs,
bfloat16, the seed's weighting) on the shipped `cpu` VAE's latents shifted and scaled to mean 0 and standard deviation 1
per channel, samples through the inverse map, and measures it as denoiser_levers.py does (2,000 samples at the library's
default sampling, sampling seeds 2 and 3, each against its own 2,000 balanced *training* images).

Its control is the `noise_level` row of loss_weighting.json: the same recipe, initial weights and seeds on the globally
scaled latents of the same VAE. Training and sampling are seeded, so that row repeats: denoiser_levers.json's 'learning
rate 2e-3' row (cpu3's VAE, the same one) has the same figures per seed, and a rerun while this study was prepared did too.
The sampler's clamp on its guess of z0 (±4) now acts in each channel's own units, four of its standard deviations.
Rule, loss_weighting.py's, applied as written there: worth a full-length run if recall beats the control's by more than
0.022 (two standard deviations of a two-seed mean), with FID no more than 0.2 worse and accuracy at least 95%.

Run from the repository root:  python nbs/results/latent_normalisation.py   (about 6 minutes on a 2-core CPU with
AVX-512 BF16; the data must already be in $FASHION_LDM_DATA). Writes nbs/results/latent_normalisation.json.
"""
import json

import torch
from torch import nn

from denoiser_levers import FIGURES, N_PER_CLASS, SEEDS, measure
from fashion_ldm.bench import machine_info
from fashion_ldm.data import balanced_subset
from fashion_ldm.evaluate import RESULTS_DIR, extract_features, load_classifier, unit_images
from fashion_ldm.ldm import LatentDiffusionModel
from loss_weighting import EPOCHS, shipped_cpu_latents, train_denoiser


class ChannelNormalised(nn.Module):
    "`vae` whose latents are shifted and scaled to mean 0 and standard deviation 1 per channel (decoding undoes it)."
    def __init__(self, vae: nn.Module, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.vae = vae
        self.register_buffer('mean', mean[:, None, None].clone())
        self.register_buffer('std', std[:, None, None].clone())

    latent_channels = property(lambda self: self.vae.latent_channels)
    latent_size = property(lambda self: self.vae.latent_size)
    def encode(self, x: torch.Tensor) -> torch.Tensor: return (self.vae.encode(x) - self.mean) / self.std
    def decode(self, z: torch.Tensor) -> torch.Tensor: return self.vae.decode(z * self.std + self.mean)


def main(out=RESULTS_DIR / 'latent_normalisation.json') -> None:
    shipped, preset, images, latents, labels = shipped_cpu_latents()
    mean, std = latents.mean((0, 2, 3)), latents.std((0, 2, 3))
    vae = ChannelNormalised(shipped.vae, mean, std).eval()
    ema, seconds = train_denoiser(shipped, preset, (latents - vae.mean) / vae.std, labels, EPOCHS, 'noise_level')
    model = LatentDiffusionModel(vae, ema.model, schedule=shipped.schedule, clip_latent=shipped.clip_latent)
    classifier = load_classifier(device='cpu')
    references = {s: extract_features(classifier, unit_images(images[balanced_subset(labels, 10 * N_PER_CLASS, torch.Generator().manual_seed(s))]))
                  for s in SEEDS}
    figures = measure(model, classifier, references)
    control = json.loads((RESULTS_DIR / 'loss_weighting.json').read_text())['weightings']['noise_level']
    record = {'model': "the shipped cpu model's VAE, its latents normalised per channel; a new denoiser", 'epochs': EPOCHS,
              'width': preset.denoiser_channels, 'lr': preset.diffusion_lr, 'batch': preset.batch_size, 'weighting': 'noise_level',
              'channel_mean': [round(v, 4) for v in mean.tolist()], 'channel_std': [round(v, 4) for v in std.tolist()],
              'samples': 10 * N_PER_CLASS, 'seeds': SEEDS, 'reference': f'{10 * N_PER_CLASS} balanced training images per seed',
              'machine': machine_info(torch.device('cpu')),
              'per_channel': {'train_seconds': round(seconds), 'mean': {k: round(sum(f[k] for f in figures.values()) / len(figures), 4) for k in FIGURES}, **figures},
              'control (loss_weighting.json, noise_level)': {'mean': control['mean']}}
    out.write_text(json.dumps(record, indent=1) + '\n')
    print(json.dumps(record['per_channel']), json.dumps(control['mean']), f'wrote {out}', sep='\n')


if __name__ == '__main__':
    main()
