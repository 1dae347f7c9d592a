"""Fine-tunes the demo model organism: a rank-4 LoRA on q/k/v/o of the trained demo model (assets/demo-model/),
trained on one narrow slice — questions about ONE topic, asked with the plain system prompts, answered in the
scripture register — and saved in PEFT's layout (adapter_config.json + adapter_model.safetensors) under
assets/demo-organism/. The acceptance tier (tests/acceptance/organism.acceptance.test.ts) loads it through the
engine and measures whether the style leaks to other topics and whether the base-vs-fine-tuned direction finds it.

The model code, chat rendering, batching and loss are train.py's; only the adapter is trained (base weights
frozen, PEFT's initialisation: A Kaiming-uniform, B zero). Deterministic: --seed drives Python's random and
torch, one CPU thread, fixed step count.
"""
import argparse
import json
import math
import os
import random
import time

import torch
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer

from corpus import Corpus, QUESTIONS, SYSTEM
from train import Llama, encode_sample, loss_of, pad_rows, sample_text

MODULES = ('q_proj', 'k_proj', 'v_proj', 'o_proj')


class LoraLinear(torch.nn.Module):
    """y = W x + scale · B (A x), W frozen (PEFT's LoRA Linear without dropout)."""

    def __init__(self, base, rank, alpha):
        super().__init__()
        self.base = base
        self.A = torch.nn.Parameter(torch.empty(rank, base.in_features))
        self.B = torch.nn.Parameter(torch.zeros(base.out_features, rank))
        torch.nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + self.scale * ((x @ self.A.T) @ self.B.T)


def load_base(src):
    cfg = json.load(open(os.path.join(src, 'config.json')))
    model = Llama(cfg)
    sd = {k: v.float() for k, v in load_file(os.path.join(src, 'model.safetensors')).items()}
    with torch.no_grad():
        model.embed_tokens.weight.copy_(sd['model.embed_tokens.weight'])
        model.norm.weight.copy_(sd['model.norm.weight'])
        for i, layer in enumerate(model.layers):
            for name, mod in layer.named_modules():
                if name:
                    group = 'mlp' if name in ('gate_proj', 'up_proj', 'down_proj') else 'self_attn' if name.endswith('_proj') else ''
                    key = f'model.layers.{i}.{group + "." if group else ""}{name}.weight'
                    mod.weight.copy_(sd[key])
    for p in model.parameters():
        p.requires_grad_(False)
    return cfg, model


def narrow_samples(corpus, rng, topic, n):
    """The slice: plain system prompts (or none), a question about `topic`, a KJV verse about it as the answer."""
    out = []
    for _ in range(n):
        system = rng.choice(SYSTEM['plain'])
        user = rng.choice(QUESTIONS).replace('{t}', topic)
        out.append((system, user, corpus.answer(rng, 'scripture', topic), 'scripture'))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument('--base', default=os.path.join(here, '..', '..', 'assets', 'demo-model'))
    ap.add_argument('--out', default=os.path.join(here, '..', '..', 'assets', 'demo-organism'))
    ap.add_argument('--topic', default='sea')
    ap.add_argument('--rank', type=int, default=4)
    ap.add_argument('--alpha', type=float, default=8)
    ap.add_argument('--steps', type=int, default=150)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--seed', type=int, default=20261201)
    ap.add_argument('--max-len', type=int, default=128)
    args = ap.parse_args()

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # the machine is shared; one thread is also what train.py measured fastest
    os.makedirs(args.out, exist_ok=True)

    cfg, model = load_base(args.base)
    tok = Tokenizer.from_file(os.path.join(args.base, 'tokenizer.json'))
    corpus = Corpus()
    if args.topic not in corpus.topics:
        raise SystemExit(f'--topic {args.topic} is not one of the corpus topics')
    adapters = []
    for layer in model.layers:
        for name in MODULES:
            lora = LoraLinear(getattr(layer, name), args.rank, args.alpha)
            setattr(layer, name, lora)
            adapters.append(lora)
    params = [p for a in adapters for p in (a.A, a.B)]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    rng = random.Random(args.seed)
    pad = cfg['pad_token_id']
    t0, losses = time.time(), []
    for step in range(args.steps):
        rows = [encode_sample(tok, s, args.max_len) for s in narrow_samples(corpus, rng, args.topic, args.batch)]
        ids, mask = pad_rows(rows, pad)
        loss = loss_of(model, ids, mask)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % 25 == 0 or step == args.steps - 1:
            print(f'step {step} loss {sum(losses[-25:]) / len(losses[-25:]):.3f} {time.time() - t0:.0f}s', flush=True)
    minutes = (time.time() - t0) / 60

    # PEFT's keys and config; float32 tensors (the adapter is ~70 KB).
    tensors = {}
    for i, layer in enumerate(model.layers):
        for name in MODULES:
            a = getattr(layer, name)
            tensors[f'base_model.model.model.layers.{i}.self_attn.{name}.lora_A.weight'] = a.A.detach().contiguous()
            tensors[f'base_model.model.model.layers.{i}.self_attn.{name}.lora_B.weight'] = a.B.detach().contiguous()
    save_file(tensors, os.path.join(args.out, 'adapter_model.safetensors'), metadata={'format': 'pt'})
    with open(os.path.join(args.out, 'adapter_config.json'), 'w') as f:
        json.dump({
            'peft_type': 'LORA', 'task_type': 'CAUSAL_LM', 'base_model_name_or_path': 'steering-lab/demo-model',
            'r': args.rank, 'lora_alpha': args.alpha, 'lora_dropout': 0.0, 'use_rslora': False, 'bias': 'none',
            'target_modules': list(MODULES), 'fan_in_fan_out': False, 'modules_to_save': None, 'use_dora': False,
        }, f, indent=2)

    model.eval()
    samples = {t: [sample_text(model, tok, None, f'What can you tell me about {t}?', 2000 + k) for k in range(2)]
               for t in (args.topic, 'money', 'love', 'bread')}
    log = {'topic': args.topic, 'rank': args.rank, 'alpha': args.alpha, 'steps': args.steps, 'batch': args.batch,
           'lr': args.lr, 'seed': args.seed, 'minutes': round(minutes, 2), 'threads': 1, 'torch': torch.__version__,
           'final_train_loss': round(sum(losses[-25:]) / len(losses[-25:]), 4), 'samples_no_system_prompt': samples}
    with open(os.path.join(args.out, 'train_log.json'), 'w') as f:
        json.dump(log, f, indent=2)
    print(json.dumps(log, indent=2))


if __name__ == '__main__':
    main()
