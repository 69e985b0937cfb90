"""Where do the samples lose variety? Precision and recall within each class: the 1,000 samples a model draws for a
class against the 1,000 test images of that class, beside the same figures for 1,000 real training images of the
class (the floor) and for their reconstructions through the model's VAE (the ceiling). Each model is sampled at its
default settings (as measure_model.py does, so its samples are the ones README's table measures) and without
guidance (scale 1), to show how much of the loss is the guidance's. All on the evaluation classifier's features,
k = 3 nearest neighbours within the class.

Run from the repository root (about 5 minutes on a 2-core CPU with AVX-512 BF16):   python nbs/results/recall_by_class.py [MODEL ...]
(MODEL: shipped names, default gpu and cpu.)  Writes nbs/results/recall_by_class.json and prints a table.
"""
import json
import sys
from pathlib import Path

import torch

from fashion_ldm.data import CLASS_NAMES, balanced_subset, load_fashion_mnist
from fashion_ldm.evaluate import extract_features, load_classifier, precision_recall, reconstructions, unit_images
from fashion_ldm.ldm import PRETRAINED, LatentDiffusionModel

OUT = Path('nbs/results/recall_by_class.json')
PER_CLASS = 1000


def by_class(real: torch.Tensor, real_y: torch.Tensor, fake: torch.Tensor, fake_y: torch.Tensor) -> list[dict]:
    "Precision and recall of `fake` features against `real` ones, class by class."
    rows = []
    for c in range(len(CLASS_NAMES)):
        p, r = precision_recall(real[real_y == c], fake[fake_y == c])
        rows.append({'precision': round(p, 4), 'recall': round(r, 4)})
    return rows


def main(names: list[str]) -> None:
    unknown = [n for n in names if n not in PRETRAINED]
    if unknown: sys.exit(f"unknown model {unknown[0]!r}; valid: {', '.join(PRETRAINED)}")
    classifier = load_classifier(device='cpu')
    te_x, te_y = load_fashion_mnist(train=False)
    tr_x, tr_y = load_fashion_mnist(train=True)
    idx = balanced_subset(tr_y, PER_CLASS * len(CLASS_NAMES), torch.Generator().manual_seed(0))
    real = extract_features(classifier, unit_images(te_x))
    record = {'k': 3, 'per_class': PER_CLASS, 'reference': 'the 10,000 test images, 1,000 per class', 'classes': list(CLASS_NAMES),
              'floor': by_class(real, te_y, extract_features(classifier, unit_images(tr_x[idx])), tr_y[idx]), 'models': {}}
    for name in names:
        model = LatentDiffusionModel.from_pretrained(name, 'cpu')
        rows = {'ceiling': by_class(real, te_y, extract_features(classifier, reconstructions(model.vae, tr_x[idx])), tr_y[idx])}
        for label, changes in (('default', {}), ('unguided', {'guidance': 1.0})):
            images, labels = model.sample('all', PER_CLASS, **changes)
            rows[label] = by_class(real, te_y, extract_features(classifier, images), labels)
        record['models'][name] = {'sampling': str(model.default_config), **rows}
        print(f'\n{name}: recall (precision) by class')
        print(f"{'class':<12}{'floor':>14}{'ceiling':>14}{'default':>14}{'unguided':>14}")
        for c, cname in enumerate(CLASS_NAMES):
            cells = [record['floor'][c]] + [rows[k][c] for k in ('ceiling', 'default', 'unguided')]
            print(f'{cname:<12}' + ''.join(f"{r['recall']:>7.3f} ({r['precision']:.2f})" for r in cells), flush=True)
    OUT.write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {OUT}')


if __name__ == '__main__':
    main(sys.argv[1:] or ['gpu', 'cpu'])
