"""Autoguidance on the shipped `cpu` model: guide its denoiser with a weaker denoiser of the same classes instead of with
its own unconditional prediction (Karras et al. 2024, "Guiding a diffusion model with a bad version of itself").

Why try it: recall_by_class.py found that the `cpu` denoiser needs classifier-free guidance to keep look-alike classes
apart and pays for it in variety (unguided, coats gain 0.17 of recall, shirts 0.13, but accuracy falls). Classifier-free
guidance pushes every sample away from the unconditional prediction, towards the most class-typical images; autoguidance
pushes it away from the errors of a weaker model of the *same* class, which the paper found to sharpen images without
narrowing their variety. The guided prediction at scale w is

    eps = eps_guide(x, t, y) + w * (eps_model(x, t, y) - eps_guide(x, t, y)).

The guides are short denoisers (4 epochs, against the shipped one's 28) trained here on the `cpu` model's own VAE
latents with the preset's recipe otherwise (learning rate 2e-3, batch 128, bfloat16 autocast where native), one at the
shipped width (16) and one at half of it (8); each is saved in runs/autoguidance/ and reused.

Each setting samples 2,000 images (200 per class) with the model's sampler and steps, for two sampling seeds (2 and 3),
each against its own 2,000 balanced *training* images (the test set stays for the headline figures), like
denoiser_levers.py; one seed's recall varies by about 0.016 (notebook 09a).

The rule, written before it ran: an autoguidance setting is worth a 10,000-sample measurement on the test set (and, if it
holds there, a place in the library) if, averaged over the two seeds and against the library's default guidance on the
same noise, its recall is at least 0.03 higher, its accuracy at least 97% (notebook 09a's floor), its precision at most
0.03 lower and its FID no higher.

It failed on every setting. Averaged over the two seeds, the library's guidance measured FID 2.11, precision 0.832,
recall 0.603, accuracy 98.7%; the conditional prediction alone (scale 1, no rule) 6.26, 0.756, 0.663, 78.3%. Guided by
the width-8 guide at scale 2, the samples beat the unguided ones (FID 4.38, recall 0.731, precision 0.753, accuracy
81.1%), as the paper found, but do not separate the classes the way classifier-free guidance does; larger scales and the
width-16 guide (149 s of training against 112 s) are worse on FID, precision and accuracy (width 16 at scale 2: 7.53,
0.696, 0.733, 72.5%). Autoguidance alone buys variety, not class separation.

A second stage (`combined`) asks whether the two can be had together, in the library's guidance interval
(alpha_bar_t >= 0.1), with the width-8 guide and the same rule against the same baseline, written before it ran:
- a weak unconditional guide: the guide's unconditional prediction is the one pushed away from,
  eps = eps_guide(x, t, none) + w * (eps_model(x, t, y) - eps_guide(x, t, none)), at w = 3 and 5: the class direction of
  classifier-free guidance and the quality direction of autoguidance in one term, at the cost of classifier-free guidance
  (two network passes a step, one of them the narrower guide's);
- classifier-free guidance at the library's scale 5 plus autoguidance at w = 1.5 and 2:
  eps = eps_model(x, t, y) + 4 * (eps_model(x, t, y) - eps_model(x, t, none)) + (w - 1) * (eps_model(x, t, y) - eps_guide(x, t, y)),
  three passes a step.
No setting passed. The weak unconditional guide lost accuracy (92% at both scales) and, at w = 5, precision (0.500).
Classifier-free 5 plus autoguidance at w = 2 raised recall from 0.603 to 0.638 at accuracy 98.4% and precision 0.825, but
its FID was 0.010 higher (2.121 against 2.111) where the rule allowed none; at w = 1.5, recall 0.625 (+0.023), FID 2.062.

A third stage, written with its rule before it ran, follows that trend, the rule unchanged:
- `stronger`: the `cpu` model, classifier-free 5 plus autoguidance at w = 2.5 and 3;
- `gpu`: the shipped `gpu` model (width 32), at its own default guidance (4 where alpha_bar_t >= 0.2) plus autoguidance
  at w = 1.5, 2 and 3, with a width-8 guide trained here on its VAE's latents by the same recipe (4 epochs), against its
  default; its figures go to nbs/results/autoguidance_gpu.json.
A setting that passes is measured again with 10,000 samples against the test set, beside its model's default on the same
noise, and counts as a gain if there its recall is at least 0.02 higher, its accuracy at least 97%, its precision at most
0.03 lower and its FID no higher.
No setting passed, so none was measured on the test set. On the `cpu` model, w = 2.5 and 3 bought no more recall than
w = 2 (0.637 and 0.644) and cost precision (0.789 and 0.737) and FID (2.32 and 2.75). On the `gpu` model (its default:
FID 1.394, precision 0.859, recall 0.735, accuracy 98.4%), w = 1.5, 2 and 3 moved recall
by +0.008, +0.018 and +0.023 while precision fell by 0.010, 0.026 and 0.099; w = 1.5 lowered FID to 1.288, w = 2 to 1.358.
On both models, autoguidance on top of classifier-free guidance trades precision for recall much as guiding less does.

Run from the repository root (about 15 minutes on a 2-core CPU with AVX-512 BF16):
    python nbs/results/autoguidance.py [STAGE]        Writes nbs/results/autoguidance.json
(STAGE `combined` or `stronger`: that stage alone, added to the JSON that `all`, every `cpu` stage, wrote; about 5
minutes each. `gpu`: the `gpu` model's stage, its baseline included, into autoguidance_gpu.json; about 15 minutes).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

from fashion_ldm.bench import machine_info
from fashion_ldm.data import balanced_subset, get_preset, load_fashion_mnist, to_model_range
from fashion_ldm.evaluate import RESULTS_DIR, load_classifier, unit_images
from fashion_ldm.ldm import LatentDiffusionModel, encode_dataset, fit_denoiser
from fashion_ldm.loop import native_bf16
from fashion_ldm.sampling import check_guidance
from fashion_ldm.schedule import expand_like
from fashion_ldm.tuning import guidance_sweep
from fashion_ldm.unet import LatentUNetDenoiser

SEEDS, N_PER_CLASS, EPOCHS = (2, 3), 200, 4
GUIDES = {'width 8': 8, 'width 16': 16}   # name: width, each trained EPOCHS epochs
SCALES = (2.0, 3.0, 4.0)
# the second stage: name: (guide width, whether the guide sees the class, classifier-free scale or None, the scales tried)
COMBINED = {'weak unconditional guide': (8, False, None, (3.0, 5.0)),
            'classifier-free 5 + autoguidance': (8, True, 5.0, (1.5, 2.0))}
# stage: (the shipped model it runs on, its settings); `all` runs the first stage and then every cpu stage
STAGES = {'combined': ('cpu', COMBINED),
          'stronger': ('cpu', {'classifier-free 5 + autoguidance': (8, True, 5.0, (2.5, 3.0))}),
          'gpu': ('gpu', {'classifier-free 4 + autoguidance': (8, True, 4.0, (1.5, 2.0, 3.0))})}
RULE = {'min_recall_gain': 0.03, 'min_accuracy': 0.97, 'max_precision_loss': 0.03, 'max_fid_loss': 0.0}
FIGURES = ('fid', 'precision', 'recall', 'accuracy')
RUNS = Path('runs/autoguidance')


class AutoGuided(LatentDiffusionModel):
    "`model`, guided by `guide` (a weaker denoiser of the same latents) at the config's scale, in its guidance interval."
    def __init__(self, model: LatentDiffusionModel, guide: LatentUNetDenoiser, guide_class: bool = True, cfg_scale: float | None = None):
        super().__init__(model.vae, model.denoiser, schedule=model.schedule, clip_latent=model.clip_latent)
        self.default_config = model.default_config   # its sampler and steps (the sweeps set the scale and interval)
        self.guide = guide.to(model.device).eval()
        self.guide_class = guide_class   # False: the guide's unconditional prediction is the one pushed away from
        self.cfg_scale = cfg_scale       # given: classifier-free guidance at this scale as well, in the same interval

    def eps_fn(self, labels, config=None):
        cfg = config or self.default_config
        scale, (lo, hi) = check_guidance(cfg.guidance, cfg.guidance_interval)
        y, alpha_bar = labels.to(self.device), self.schedule.alpha_bar.to(self.device)
        def eps_fn(x, t):
            good = self.denoiser(x, t, y).float()
            on = (alpha_bar[t] >= lo) & (alpha_bar[t] <= hi)
            if (scale == 1 and self.cfg_scale is None) or not on.any(): return good
            bad = self.guide(x, t, y if self.guide_class else torch.full_like(y, self.denoiser.num_classes)).float()
            guided = bad + scale * (good - bad)
            if self.cfg_scale is not None:
                guided = guided + (self.cfg_scale - 1) * (good - self.denoiser(x, t, torch.full_like(y, self.denoiser.num_classes)).float())
            return torch.where(expand_like(on, good).bool(), guided, good)
        return eps_fn


def train_guide(model: LatentDiffusionModel, name: str, width: int, latents, labels) -> tuple[LatentUNetDenoiser, float]:
    "A short denoiser of `width` on `latents` of the shipped model `name` (the EMA weights), from RUNS if trained before; and its training seconds."
    preset, path = get_preset('cpu'), RUNS / f'{name}_guide_width{width}_epochs{EPOCHS}.pt'   # the cpu preset's recipe at any width
    torch.manual_seed(0)
    guide = LatentUNetDenoiser(base_channels=width, num_classes=10, time_dim=preset.time_dim, latent_channels=model.vae.latent_channels)
    if path.is_file():
        saved = torch.load(path, weights_only=True)
        guide.load_state_dict(saved['state_dict'])
        return guide.eval(), saved['seconds']
    started = time.perf_counter()
    ema, _ = fit_denoiser(guide, latents, labels, model.schedule, EPOCHS, preset.batch_size, preset.diffusion_lr, preset.warmup_steps,
                          preset.ema_decay, autocast=torch.bfloat16 if native_bf16('cpu') else None)
    seconds = round(time.perf_counter() - started, 1)
    RUNS.mkdir(parents=True, exist_ok=True)
    torch.save({'state_dict': ema.model.state_dict(), 'seconds': seconds}, path)
    return ema.model.eval(), seconds


def mean_figures(rows: list[dict]) -> dict:
    return {k: round(sum(r[k] for r in rows) / len(rows), 4) for k in FIGURES}


def passed(row: dict, baseline: dict) -> dict:
    "Which clauses of RULE a setting's mean figures meet against the baseline's."
    m, b = row['mean'], baseline['mean']
    return {'recall': m['recall'] >= b['recall'] + RULE['min_recall_gain'], 'accuracy': m['accuracy'] >= RULE['min_accuracy'],
            'precision': m['precision'] >= b['precision'] - RULE['max_precision_loss'], 'fid': m['fid'] <= b['fid'] + RULE['max_fid_loss']}


def main(stage: str = 'all') -> None:
    name = 'gpu' if stage == 'gpu' else 'cpu'
    out = RESULTS_DIR / ('autoguidance_gpu.json' if name == 'gpu' else 'autoguidance.json')
    model = LatentDiffusionModel.from_pretrained(name, 'cpu')
    classifier = load_classifier(device='cpu')
    images, labels = load_fashion_mnist(train=True)
    references = {s: unit_images(images[balanced_subset(labels, 10 * N_PER_CLASS, torch.Generator().manual_seed(s))]) for s in SEEDS}
    latents = encode_dataset(model.vae, to_model_range(images))

    def sweep(m: LatentDiffusionModel, scales, interval) -> dict:
        "Per scale: each seed's figures and their mean."
        per_seed = {s: guidance_sweep(m, classifier, references[s], scales, N_PER_CLASS, m.default_config.replace(seed=s),
                                      guidance_interval=interval) for s in SEEDS}
        return {g: {'seeds': {s: {k: round(per_seed[s][i][k], 4) for k in FIGURES} for s in SEEDS},
                    'mean': mean_figures([per_seed[s][i] for s in SEEDS])} for i, g in enumerate(scales)}

    def run_settings(record: dict, settings: dict) -> dict:
        "Each combined setting's figures, with the clauses of RULE it meets."
        results = {}
        for setting, (width, guide_class, cfg_scale, scales) in settings.items():
            guide, _ = train_guide(model, name, width, latents, labels)
            rows = sweep(AutoGuided(model, guide, guide_class, cfg_scale), scales, cfg.guidance_interval)
            for scale, row in rows.items():
                row['passed'] = passed(row, record['baseline'])
                print(setting, scale, row, flush=True)
            results[setting] = {'guide_width': width, 'guide_class': guide_class, 'cfg_scale': cfg_scale, 'interval': cfg.guidance_interval, 'scales': rows}
        return results

    cfg = model.default_config
    if stage in ('all', 'gpu'):
        baseline = sweep(model, (cfg.guidance,), cfg.guidance_interval)[cfg.guidance]
        print('classifier-free guidance (the model\'s default)', baseline, flush=True)
        unguided = sweep(model, (1.0,), cfg.guidance_interval)[1.0]   # the conditional prediction alone: no rule, for scale
        print('unguided', unguided, flush=True)
        record = {'model': f'{name} (shipped)', 'samples': 10 * N_PER_CLASS, 'seeds': SEEDS, 'reference': f'{10 * N_PER_CLASS} balanced training images per seed',
                  'machine': machine_info(torch.device('cpu')), 'rule': RULE,
                  'baseline': {'guidance': cfg.guidance, 'interval': cfg.guidance_interval, **baseline}, 'unguided': unguided}
    else:
        record = json.loads(out.read_text())
    if stage == 'all':
        record['guides'] = {}
        for guide_name, width in GUIDES.items():
            guide, seconds = train_guide(model, name, width, latents, labels)
            rows = sweep(AutoGuided(model, guide), SCALES, (0.0, 1.0))
            for scale, row in rows.items():
                row['passed'] = passed(row, record['baseline'])
                print(guide_name, scale, row, flush=True)
            record['guides'][guide_name] = {'width': width, 'epochs': EPOCHS, 'train_seconds': seconds, 'scales': rows}
    for later in ([stage] if stage != 'all' else [k for k, (m, _) in STAGES.items() if m == 'cpu']):
        record[later] = run_settings(record, STAGES[later][1])
    out.write_text(json.dumps(record, indent=1) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1] not in ('all', *STAGES)):
        sys.exit(f"usage: python nbs/results/autoguidance.py [STAGE]; STAGE: all (the default), {', '.join(STAGES)}")
    main(*sys.argv[1:])
