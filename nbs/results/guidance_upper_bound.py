"""Is guidance at the last, least noisy steps worth its network passes? Both shipped models guide every step from a
lower bound of alpha_bar_t up (the `gpu` model from 0.2, the `cpu` one from 0.1, notebook 09a), and each guided step
costs a second pass of the denoiser. Kynkäänniemi et al. (2024, "Applying guidance in a limited interval") found guidance
at low noise levels to do little. With 12 DPM-Solver++ 2M steps the last steps sit at alpha_bar_t 0.595, 0.732 and 0.874,
so an upper bound of 0.8, 0.7 or 0.5 drops one, two or three guided passes.

Each setting samples 2,000 images (200 per class) with the model's sampler, steps, scale and lower bound, for two sampling
seeds (2 and 3), each against its own 2,000 balanced *training* images (as autoguidance.py does), and counts the network
passes per sample with a hook on the denoiser.

The rule, written before it ran: an upper bound keeps quality if, averaged over the two seeds and against the same model's
default on the same noise, its recall is at most 0.01 lower, its FID at most 0.05 higher, its precision at most 0.01 lower
and its accuracy at most 0.5 points lower. Such a bound is a candidate for the models' defaults, to be decided with
10,000 samples on the test set in a later change; this script changes nothing.
No bound kept quality: dropping even the last guided step (bound 0.8) cost accuracy on both models, 98.65% -> 97.95% on
`cpu` and 98.35% -> 97.58% on `gpu`, beyond the rule's half point, while it bought FID (2.11 -> 2.01 and 1.39 -> 1.36) and
precision; lower bounds cost accuracy and FID both (bound 0.5: 96.1% and 95.3%, FID 2.42 and 1.74). On these models and
this evaluator, guidance at the least noisy steps still sharpens what makes a garment its class, so it earns its passes
(20 and 18 per sample against 19 and 17 without the last one).

Run from the repository root (about 6 minutes on a 2-core CPU with AVX-512 BF16):
    python nbs/results/guidance_upper_bound.py        Writes nbs/results/guidance_upper_bound.json.
"""
import json

import torch

from fashion_ldm.bench import machine_info
from fashion_ldm.data import balanced_subset, load_fashion_mnist
from fashion_ldm.evaluate import RESULTS_DIR, load_classifier, unit_images
from fashion_ldm.ldm import LatentDiffusionModel
from fashion_ldm.tuning import guidance_sweep

MODELS, SEEDS, N_PER_CLASS = ('cpu', 'gpu'), (2, 3), 200
UPPER = (1.0, 0.8, 0.7, 0.5)   # 1.0: the default
RULE = {'max_recall_loss': 0.01, 'max_fid_loss': 0.05, 'max_precision_loss': 0.01, 'max_accuracy_loss': 0.005}
FIGURES = ('fid', 'precision', 'recall', 'accuracy')


def main(out=RESULTS_DIR / 'guidance_upper_bound.json') -> None:
    classifier = load_classifier(device='cpu')
    images, labels = load_fashion_mnist(train=True)
    references = {s: unit_images(images[balanced_subset(labels, 10 * N_PER_CLASS, torch.Generator().manual_seed(s))]) for s in SEEDS}
    record = {'samples': 10 * N_PER_CLASS, 'seeds': SEEDS, 'reference': f'{10 * N_PER_CLASS} balanced training images per seed',
              'machine': machine_info(torch.device('cpu')), 'rule': RULE, 'models': {}}
    for name in MODELS:
        model = LatentDiffusionModel.from_pretrained(name, 'cpu')
        cfg, passes = model.default_config, [0]
        hook = model.denoiser.register_forward_hook(lambda module, args, output: passes.__setitem__(0, passes[0] + len(args[0])))
        rows = {}
        for hi in UPPER:
            per_seed, passes[0] = {}, 0
            for s in SEEDS:
                (row,) = guidance_sweep(model, classifier, references[s], (cfg.guidance,), N_PER_CLASS, cfg.replace(seed=s),
                                        guidance_interval=(cfg.guidance_interval[0], hi))
                per_seed[s] = {k: round(row[k], 4) for k in FIGURES}
            rows[hi] = {'interval': (cfg.guidance_interval[0], hi), 'passes_per_sample': passes[0] / (len(SEEDS) * 10 * N_PER_CLASS),
                        'seeds': per_seed, 'mean': {k: round(sum(per_seed[s][k] for s in SEEDS) / len(SEEDS), 4) for k in FIGURES}}
        hook.remove()
        base = rows[1.0]['mean']
        for hi, row in rows.items():
            if hi == 1.0: continue
            m = row['mean']
            row['passed'] = {'recall': m['recall'] >= base['recall'] - RULE['max_recall_loss'], 'fid': m['fid'] <= base['fid'] + RULE['max_fid_loss'],
                             'precision': m['precision'] >= base['precision'] - RULE['max_precision_loss'],
                             'accuracy': m['accuracy'] >= base['accuracy'] - RULE['max_accuracy_loss']}
        for hi, row in rows.items(): print(name, hi, row, flush=True)
        record['models'][name] = {'guidance': cfg.guidance, 'rows': rows}
    out.write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
