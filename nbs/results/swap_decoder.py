"""Give a shipped model the decoder of a decoder-only fine-tune (`vae_adversarial.py --decoder-only`), keeping
everything else of the shipped file: its denoiser, schedule, sampling settings and config (whose list `finetunes`
gains a note of the fine-tune). Refuses unless the two files' encoders, scale factors and denoisers are identical, which is what lets
the shipped denoiser sample through the new decoder unchanged.

Run from the repository root:
    python nbs/results/swap_decoder.py fashion_ldm/weights/fashion_mnist_latent_diffusion_final.pt \
        runs/vae_adversarial_gpu_decoder/adversarial_0.5_fp16.pt "--start gpu --decoder-only 'adversarial 0.5'"
(the _fp16 file: the arm's checkpoint after `export_pretrained`, float16 as shipped). Rewrites SHIPPED in place.
"""
import sys

import torch

from fashion_ldm.checkpoint import read_checkpoint, save_atomic


def swap_decoder(shipped: str, tuned: str, arm: str) -> None:
    old, new = read_checkpoint(shipped), read_checkpoint(tuned)
    kept = [k for k in old['vae'] if not k.startswith('decoder.')]
    same = all(torch.equal(old['vae'][k], new['vae'][k]) for k in kept) and \
        all(torch.equal(v, new['ema_denoiser'][k]) for k, v in old['ema_denoiser'].items())
    if not same: sys.exit(f'{tuned} differs from {shipped} beyond the decoder: its latents would not fit the shipped denoiser')
    state = old   # the shipped file as read, in the current format: its weights replaced below
    state['vae'] = {k: v.contiguous() for k, v in new['vae'].items()}
    note = {'decoder': {'command': f'python nbs/results/vae_adversarial.py {arm}', **new['config'].get('vae_adversarial', {}),
                        'epochs': 1, 'device': 'cpu'}}
    state['config'] = {**state['config'], 'finetunes': [*state['config'].get('finetunes', []), note]}   # as ship_finetune.py notes its own
    save_atomic(state, shipped)
    print(f'{shipped}: decoder from {tuned}')


if __name__ == '__main__':
    if len(sys.argv) != 4: sys.exit('usage: python nbs/results/swap_decoder.py SHIPPED TUNED "ARGUMENTS OF ITS vae_adversarial.py RUN"')
    swap_decoder(*sys.argv[1:])
