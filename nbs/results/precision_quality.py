"""Does bfloat16 autocast keep quality when training on the CPU? The same short runs of the `cpu` preset's networks,
once in float32 and once with `precision='bf16'` (the trainer's autocast), same seed and batches:
- the VAE: one epoch on all 60,000 images, measured by its ceiling (10,000 reconstructed training images);
- the denoiser: three epochs on the shipped `cpu` model's frozen VAE, measured by 10,000 samples at the library's
  default sampling against the 10,000 test images;
each with its wall time. Only worth running where bfloat16 is native (AVX-512 BF16 or AMX): elsewhere bf16 is far slower.

Run from the repository root (about 11 minutes on a 2-core CPU with AVX-512 BF16):  python nbs/results/precision_quality.py
Writes nbs/results/precision_quality.json; runs go to runs/precision/ (not committed).
"""
import json
import time
from pathlib import Path

import torch

from fashion_ldm.bench import machine_info
from fashion_ldm.checkpoint import LAST_NAME
from fashion_ldm.data import load_fashion_mnist
from fashion_ldm.evaluate import load_classifier, sample_metrics, unit_images, vae_ceiling
from fashion_ldm.ldm import LatentDiffusionModel, model_from_checkpoint, pretrained_path
from fashion_ldm.train import RunConfig, Trainer

PRECISIONS, VAE_EPOCHS, DIFFUSION_EPOCHS = ('fp32', 'bf16'), 1, 3
FIGURES = ('fid', 'precision', 'recall', 'accuracy')


def main(out: str = 'nbs/results/precision_quality.json') -> None:
    classifier = load_classifier(device='cpu')
    te_x, _ = load_fashion_mnist(train=False)
    reference = unit_images(te_x[:10_000])
    flags = open('/proc/cpuinfo').read().split() if Path('/proc/cpuinfo').is_file() else []
    rows = []
    for precision in PRECISIONS:
        common = dict(device='cpu', download=False, overwrite=True, precision=precision)
        vae_cfg = RunConfig.from_preset('cpu', epochs_vae=VAE_EPOCHS, out=f'runs/precision/vae_{precision}', stage='vae', **common)
        started = time.perf_counter()
        Trainer(vae_cfg).fit(progress=False)
        vae_s = time.perf_counter() - started
        ceiling = vae_ceiling(model_from_checkpoint(Path(vae_cfg.out) / LAST_NAME).vae, classifier)
        diff_cfg = RunConfig.from_preset('cpu', epochs_diffusion=DIFFUSION_EPOCHS, out=f'runs/precision/diffusion_{precision}',
                                         stage='diffusion', vae_from=str(pretrained_path('cpu')), **common)
        started = time.perf_counter()
        final = Trainer(diff_cfg).fit(progress=False)
        diffusion_s = time.perf_counter() - started
        model = LatentDiffusionModel.from_pretrained(final, 'cpu')
        images, labels = model.sample('all', 1000)
        samples = sample_metrics(classifier, images, labels, reference, 0)
        rows.append({'precision': precision, 'vae_seconds': round(vae_s, 1), 'diffusion_seconds': round(diffusion_s, 1),
                     'vae_ceiling': {k: round(ceiling[k], 4) for k in FIGURES}, 'samples': {k: round(samples[k], 4) for k in FIGURES}})
        print(rows[-1], flush=True)
    record = {'vae_epochs': VAE_EPOCHS, 'diffusion_epochs': DIFFUSION_EPOCHS, 'preset': 'cpu', 'machine': machine_info(torch.device('cpu')),
              'native_bf16': [f for f in ('avx512_bf16', 'amx_bf16') if f in flags], 'rows': rows}
    Path(out).write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
