"""Give a shipped model the networks of a CPU fine-tune of it (`vae_adversarial.py` on the whole VAE, then
`continue_denoiser.py` on its latents), keeping the shipped file's schedule and sampling settings and its config, whose
list `finetunes` gains a note of both runs and the commands that made them. Refuses unless the two files' networks
have the same constructor arguments and schedule, and the new weights are stored as the shipped ones (float16).

Run from the repository root:
    python nbs/results/ship_finetune.py fashion_ldm/weights/fashion_mnist_latent_diffusion_final.pt \
        runs/adv3_denoiser/continued_fp16.pt "--start default --epochs 3 'adversarial 0.5'" \
        "runs/adv3_denoiser --start runs/vae_adversarial_default_3ep/adversarial_0.5.pt --steps 5000"
(the second file: continue_denoiser.py's export, float16 as shipped; the quoted strings: the arguments of the two
runs, recorded in the note). Rewrites SHIPPED in place.
"""
import sys

import torch

from fashion_ldm.checkpoint import read_checkpoint, save_atomic


def ship_finetune(shipped: str, tuned: str, vae_args: str, denoiser_args: str) -> None:
    old, new = read_checkpoint(shipped), read_checkpoint(tuned)
    if old['networks'] != new['networks'] or not torch.equal(old['betas'], new['betas']):
        sys.exit(f'{tuned} is not a fine-tune of {shipped}: its networks (constructor arguments) or schedule differ')
    if any(v.dtype != old[part][k].dtype for part in ('vae', 'ema_denoiser') for k, v in new[part].items()):
        sys.exit(f'{tuned} is not stored as the shipped file is (float16); give the file export_pretrained wrote (continue_denoiser.py: OUT/continued_fp16.pt)')
    run = new['config']
    vae_run = read_checkpoint(run['vae_from'])['config'].get('vae_adversarial', {})
    state = old   # the shipped file as read, in the current format: its weights replaced below
    state['vae'], state['ema_denoiser'] = ({k: v.contiguous() for k, v in new[part].items()} for part in ('vae', 'ema_denoiser'))
    note = {'vae': {'command': f'python nbs/results/vae_adversarial.py {vae_args}', **vae_run, 'device': 'cpu'},
            'denoiser': {'command': f'python nbs/results/continue_denoiser.py {denoiser_args}', 'steps': run['diffusion_steps'],
                         **{k: run['preset'][k] for k in ('batch_size', 'diffusion_lr', 'warmup_steps', 'ema_decay')}, 'device': 'cpu'}}
    state['config'] = {**state['config'], 'finetunes': [*state['config'].get('finetunes', []), note]}   # in the order they were made
    save_atomic(state, shipped)
    print(f'{shipped}: VAE and denoiser from {tuned}')


if __name__ == '__main__':
    if len(sys.argv) != 5: sys.exit('usage: python nbs/results/ship_finetune.py SHIPPED TUNED "VAE_ADVERSARIAL_ARGS" "CONTINUE_DENOISER_ARGS"')
    ship_finetune(*sys.argv[1:])
