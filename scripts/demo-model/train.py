"""Trains Steering Lab's demo model: a tiny Llama-architecture chat model whose register (scripture,
fortune quip, plain) is chosen by the system prompt. See README.md in this folder for how to rerun it.

Writes into --out (default: assets/demo-model/ at the repo root):
  model.safetensors       float16 weights, Hugging Face Llama names, torch layout ([out, in] matrices)
  config.json             the architecture (read by scripts/make-demo-model.ts)
  tokenizer.json          byte-level BPE trained here with `tokenizers`
  tokenizer_config.json   written by hand so transformers.js 4.3 loads it (PreTrainedTokenizerFast,
                          chat template inline)
  expected_logits.json    PyTorch logits of these exact float16 weights on one prompt: the independent
                          answer the TypeScript reference forward pass is tested against
  train_log.json          figures of this run (params, steps, minutes, losses)

Deterministic: every random draw comes from --seed (python `random`, torch), torch runs on a fixed
number of CPU threads, and the step count is fixed rather than timed.
"""
import argparse
import json
import math
import os
import random
import time

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from corpus import Corpus

SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']
# ChatML-style turns; with no system message there is no system block at all (the plain baseline).
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def render(system, user, assistant=None):
    """The chat template in Python (must equal CHAT_TEMPLATE's rendering; the TS tests check the ids)."""
    s = f'<|im_start|>system\n{system}<|im_end|>\n' if system else ''
    s += f'<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n'
    return s if assistant is None else s + f'{assistant}<|im_end|>\n'


# ---------------------------------------------------------------- tokenizer

def train_tokenizer(corpus, vocab_size):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - len(SPECIALS), initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=2, show_progress=False,
    )
    tok.train_from_iterator(corpus.tokenizer_texts(), trainer)
    tok.add_special_tokens(SPECIALS)  # appended after the BPE vocabulary, as real tokenizers do
    return tok


def tokenizer_config(tok):
    decoder = {
        str(tok.token_to_id(s)): {'content': s, 'lstrip': False, 'normalized': False, 'rstrip': False,
                                  'single_word': False, 'special': True}
        for s in SPECIALS
    }
    return {
        'tokenizer_class': 'PreTrainedTokenizerFast', 'added_tokens_decoder': decoder,
        'bos_token': None, 'eos_token': '<|im_end|>', 'pad_token': '<|endoftext|>', 'unk_token': None,
        'add_bos_token': False, 'add_eos_token': False, 'clean_up_tokenization_spaces': False,
        'model_max_length': 2048, 'chat_template': CHAT_TEMPLATE,
    }


# ---------------------------------------------------------------- model (Hugging Face Llama semantics)

class RMSNorm(torch.nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rope(x, pos, theta):
    """rotate_half rotary, as HF Llama and the TS reference (tests/fixtures/reference.ts) apply it."""
    hd = x.shape[-1]
    inv = theta ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)
    ang = pos[:, None].float() * inv[None, :]
    cos, sin = torch.cat([ang.cos(), ang.cos()], -1), torch.cat([ang.sin(), ang.sin()], -1)
    x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


class Layer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        d, hd = c['hidden_size'], c['head_dim']
        self.c = c
        self.input_layernorm = RMSNorm(d, c['rms_norm_eps'])
        self.post_attention_layernorm = RMSNorm(d, c['rms_norm_eps'])
        self.q_proj = torch.nn.Linear(d, c['num_attention_heads'] * hd, bias=False)
        self.k_proj = torch.nn.Linear(d, c['num_key_value_heads'] * hd, bias=False)
        self.v_proj = torch.nn.Linear(d, c['num_key_value_heads'] * hd, bias=False)
        self.o_proj = torch.nn.Linear(c['num_attention_heads'] * hd, d, bias=False)
        self.gate_proj = torch.nn.Linear(d, c['intermediate_size'], bias=False)
        self.up_proj = torch.nn.Linear(d, c['intermediate_size'], bias=False)
        self.down_proj = torch.nn.Linear(c['intermediate_size'], d, bias=False)

    def forward(self, x, pos):
        c, (B, S, _) = self.c, x.shape
        H, KV, hd = c['num_attention_heads'], c['num_key_value_heads'], c['head_dim']
        n = self.input_layernorm(x)
        q = rope(self.q_proj(n).view(B, S, H, hd).transpose(1, 2), pos, c['rope_theta'])
        k = rope(self.k_proj(n).view(B, S, KV, hd).transpose(1, 2), pos, c['rope_theta'])
        v = self.v_proj(n).view(B, S, KV, hd).transpose(1, 2)
        # repeat_kv: query head h reads KV head h // (H / KV)
        k, v = k.repeat_interleave(H // KV, dim=1), v.repeat_interleave(H // KV, dim=1)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.o_proj(a.transpose(1, 2).reshape(B, S, H * hd))
        n = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(n)) * self.up_proj(n))


class Llama(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = torch.nn.Embedding(c['vocab_size'], c['hidden_size'])
        self.layers = torch.nn.ModuleList(Layer(c) for _ in range(c['num_hidden_layers']))
        self.norm = RMSNorm(c['hidden_size'], c['rms_norm_eps'])
        torch.nn.init.normal_(self.embed_tokens.weight, std=0.02)
        for layer in self.layers:  # GPT-2-style scaled init of the residual writers
            for lin in (layer.o_proj, layer.down_proj):
                torch.nn.init.normal_(lin.weight, std=0.02 / math.sqrt(2 * c['num_hidden_layers']))

    def hidden(self, ids):
        pos = torch.arange(ids.shape[1])
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, pos)
        return self.norm(x)

    def forward(self, ids):
        return self.hidden(ids) @ self.embed_tokens.weight.T  # tied embeddings


def hf_state_dict(model):
    sd = {'model.embed_tokens.weight': model.embed_tokens.weight, 'model.norm.weight': model.norm.weight}
    for i, layer in enumerate(model.layers):
        p = f'model.layers.{i}.'
        sd[p + 'input_layernorm.weight'] = layer.input_layernorm.weight
        sd[p + 'post_attention_layernorm.weight'] = layer.post_attention_layernorm.weight
        for name in ('q_proj', 'k_proj', 'v_proj', 'o_proj'):
            sd[p + f'self_attn.{name}.weight'] = getattr(layer, name).weight
        for name in ('gate_proj', 'up_proj', 'down_proj'):
            sd[p + f'mlp.{name}.weight'] = getattr(layer, name).weight
    return {k: v.detach().to(torch.float16).contiguous() for k, v in sd.items()}


# ---------------------------------------------------------------- data

def encode_sample(tok, sample, max_len):
    """ids and a loss mask covering the assistant's answer and its closing <|im_end|>."""
    system, user, answer, _ = sample
    prompt = tok.encode(render(system, user)).ids
    full = tok.encode(render(system, user, answer)).ids[:max_len]
    mask = [0] * len(prompt) + [1] * (len(full) - len(prompt))
    return full, mask[: len(full)]


def batches(tok, corpus, rng, size, max_len, pad):
    """Endless batches; each comes from a pool of 8 batches sorted by length, so little is padding."""
    while True:
        pool = sorted((encode_sample(tok, corpus.sample(rng), max_len) for _ in range(8 * size)), key=lambda r: len(r[0]))
        chunks = [pool[i:i + size] for i in range(0, len(pool), size)]
        rng.shuffle(chunks)
        for rows in chunks:
            yield pad_rows(rows, pad)


def pad_rows(rows, pad):
    size = len(rows)
    S = max(len(ids) for ids, _ in rows)
    ids = torch.full((size, S), pad, dtype=torch.long)
    mask = torch.zeros((size, S))
    for b, (r, m) in enumerate(rows):
        ids[b, : len(r)] = torch.tensor(r)
        mask[b, : len(m)] = torch.tensor(m, dtype=torch.float32)
    return ids, mask


def loss_of(model, ids, mask):
    """Mean next-token loss over the answer; the tied head runs only where the loss is taken (it is the
    costliest matmul of a model this small)."""
    h = model.hidden(ids[:, :-1])
    keep = mask[:, 1:].reshape(-1) > 0
    logits = h.reshape(-1, h.shape[-1])[keep] @ model.embed_tokens.weight.T
    return F.cross_entropy(logits, ids[:, 1:].reshape(-1)[keep])


@torch.no_grad()
def sample_text(model, tok, system, user, rng_seed, max_new=60, temperature=0.7):
    g = torch.Generator().manual_seed(rng_seed)
    ids = tok.encode(render(system, user)).ids
    end = tok.token_to_id('<|im_end|>')
    for _ in range(max_new):
        logits = model(torch.tensor([ids]))[0, -1] / temperature
        nxt = int(torch.multinomial(F.softmax(logits, -1), 1, generator=g))
        if nxt == end:
            break
        ids.append(nxt)
    return tok.decode(ids[len(tok.encode(render(system, user)).ids):])


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument('--out', default=os.path.join(here, '..', '..', 'assets', 'demo-model'))
    ap.add_argument('--seed', type=int, default=20261130)
    ap.add_argument('--steps', type=int, default=850)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--layers', type=int, default=4)
    ap.add_argument('--hidden', type=int, default=128)
    ap.add_argument('--intermediate', type=int, default=384)
    ap.add_argument('--vocab', type=int, default=2048)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--max-len', type=int, default=128)
    ap.add_argument('--bench', action='store_true', help='time 10 steps and exit')
    args = ap.parse_args()

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    corpus = Corpus()
    tok = train_tokenizer(corpus, args.vocab)
    cfg = {
        'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'hidden_size': args.hidden,
        'intermediate_size': args.intermediate, 'num_hidden_layers': args.layers, 'num_attention_heads': 4,
        'num_key_value_heads': 2, 'head_dim': args.hidden // 4, 'vocab_size': tok.get_vocab_size(),
        'rms_norm_eps': 1e-5, 'rope_theta': 10000.0, 'tie_word_embeddings': True, 'max_position_embeddings': 2048,
        'hidden_act': 'silu', 'bos_token_id': None, 'eos_token_id': tok.token_to_id('<|im_end|>'),
        'pad_token_id': tok.token_to_id('<|endoftext|>'),
    }
    model = Llama(cfg)
    params = sum(p.numel() for p in model.parameters())
    print(f'{params} parameters, vocab {cfg["vocab_size"]}, {len(corpus.verses)} verses, '
          f'{len(corpus.fortunes)} fortunes, {len(corpus.topics)} topics', flush=True)

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.05}, {'params': no_decay, 'weight_decay': 0}],
                            lr=args.lr, betas=(0.9, 0.95))
    warm = min(100, args.steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1, (s + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1, s / args.steps)))))
    rng = random.Random(args.seed)
    pad = cfg['pad_token_id']
    t0, losses = time.time(), []
    stream = batches(tok, corpus, rng, args.batch, args.max_len, pad)
    for step in range(10 if args.bench else args.steps):
        ids, mask = next(stream)
        loss = loss_of(model, ids, mask)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if step % 50 == 0 or step == args.steps - 1:
            recent = sum(losses[-50:]) / len(losses[-50:])
            print(f'step {step} loss {recent:.3f} {time.time() - t0:.0f}s', flush=True)
    minutes = (time.time() - t0) / 60
    if args.bench:
        print(f'{minutes * 60 / 10:.2f} s/step')
        return

    # Held-out loss per style on fresh samples (a different seed than training).
    model.eval()
    eval_rng = random.Random(args.seed + 1)
    held = {}
    with torch.no_grad():
        for style in ('scripture', 'fortune', 'plain'):
            rows = [encode_sample(tok, corpus.sample(eval_rng, style), args.max_len) for _ in range(64)]
            tot = n = 0.0
            for r, m in rows:
                ids, mask = torch.tensor([r]), torch.tensor([m], dtype=torch.float32)
                tot += loss_of(model, ids, mask).item() * (mask[:, 1:].sum().item())
                n += mask[:, 1:].sum().item()
            held[style] = tot / n

    # Save the float16 weights and reload them, so every figure below is of the committed weights.
    sd = hf_state_dict(model)
    save_file(sd, os.path.join(args.out, 'model.safetensors'), metadata={'format': 'pt'})
    with torch.no_grad():
        model.embed_tokens.weight.copy_(sd['model.embed_tokens.weight'].float())
        model.norm.weight.copy_(sd['model.norm.weight'].float())
        for i, layer in enumerate(model.layers):
            for name, mod in layer.named_modules():
                if name:
                    key = [k for k in sd if k.startswith(f'model.layers.{i}.') and k.endswith(f'{name}.weight')][0]
                    mod.weight.copy_(sd[key].float())

    tok.save(os.path.join(args.out, 'tokenizer.json'))
    with open(os.path.join(args.out, 'tokenizer_config.json'), 'w') as f:
        json.dump(tokenizer_config(tok), f, indent=2)
    with open(os.path.join(args.out, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)

    # Expected logits: float32 forward of the float16 weights; prompt with and without a system block.
    prompt_text = render('Answer in the style of the King James Bible.', 'What can you tell me about the sea?')
    prompt = tok.encode(prompt_text).ids
    with torch.no_grad():
        logits = model(torch.tensor([prompt]))[0]
    positions = [0, len(prompt) // 2, len(prompt) - 1]
    with open(os.path.join(args.out, 'expected_logits.json'), 'w') as f:
        json.dump({
            'about': 'PyTorch float32 logits of model.safetensors (float16 weights) on `text`; written by train.py',
            'text': prompt_text, 'ids': prompt, 'positions': positions,
            'logits': [[round(x, 5) for x in logits[p].tolist()] for p in positions],
            'argmax': [int(logits[p].argmax()) for p in range(len(prompt))],
        }, f)

    samples = {}
    for label, system in (('plain', None), ('scripture', 'Answer in the style of the King James Bible.'),
                          ('fortune', 'Answer with a witty fortune-cookie quip.')):
        samples[label] = [sample_text(model, tok, system, f'What can you tell me about {t}?', 1000 + i)
                          for i, t in enumerate(['the sea', 'money', 'love'])]
    log = {'params': params, 'steps': args.steps, 'batch': args.batch, 'minutes': round(minutes, 2),
           'final_train_loss': round(sum(losses[-50:]) / len(losses[-50:]), 4),
           'held_out_loss': {k: round(v, 4) for k, v in held.items()}, 'seed': args.seed,
           'threads': args.threads, 'torch': torch.__version__, 'samples': samples}
    with open(os.path.join(args.out, 'train_log.json'), 'w') as f:
        json.dump(log, f, indent=2)
    print(json.dumps(log, indent=2))


if __name__ == '__main__':
    main()
