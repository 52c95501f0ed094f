"""Exports a small random Hugging Face decoder with torch.onnx.export(dynamo=True)
in the most common form -- input_ids is the only input, positions come from
Range over the dynamic sequence -- compiles it with txc --max-seq, generates
greedily with txc-run and compares the tokens with transformers' own greedy
generate on the same weights.

usage: torch_export_check.py ARCH OUTDIR [--window W] [--position-ids]
  ARCH: llama | qwen2 | mistral | phi3 | gpt2
  --position-ids: export position_ids as a second input (transformers 5 then
  builds its mask from position_ids at run time, for packed sequences).
Prints 'OK ARCH tokens=...' or 'MISMATCH ...' (exit 1)."""
import argparse
import os
import subprocess
import sys
import warnings

warnings.filterwarnings("ignore")
import torch  # noqa: E402
import transformers as T  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("arch")
p.add_argument("out")
p.add_argument("--window", type=int)
p.add_argument("--position-ids", action="store_true")
p.add_argument("--max-seq", type=int, default=64)
p.add_argument("--prefill-chunk", type=int, default=8)
a = p.parse_args()

torch.manual_seed(0)
kw = dict(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
          num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512)
if a.arch == "llama":
    m = T.LlamaForCausalLM(T.LlamaConfig(**kw))
elif a.arch == "qwen2":
    m = T.Qwen2ForCausalLM(T.Qwen2Config(**kw))
elif a.arch == "mistral":
    m = T.MistralForCausalLM(T.MistralConfig(sliding_window=a.window, **kw))
elif a.arch == "phi3":
    m = T.Phi3ForCausalLM(T.Phi3Config(pad_token_id=0, **kw))
elif a.arch == "gpt2":
    m = T.GPT2LMHeadModel(T.GPT2Config(vocab_size=256, n_embd=64, n_layer=2, n_head=4, n_positions=512))
else:
    sys.exit(f"unknown arch {a.arch}")
m.eval()


class Logits(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, position_ids=None):
        return self.model(input_ids=input_ids, position_ids=position_ids, use_cache=False).logits


# An example longer than the window, so that the export keeps the window's
# branch of the mask.
example = torch.randint(0, 256, (1, 32))
seq = torch.export.Dim("seq", min=2, max=512)
os.makedirs(a.out, exist_ok=True)
path = os.path.join(a.out, f"{a.arch}.onnx")
args, names, shapes = (example,), ["input_ids"], {"input_ids": {1: seq}}
if a.position_ids:
    args += (torch.arange(32)[None],)
    names.append("position_ids")
    shapes["position_ids"] = {1: seq}
torch.onnx.export(Logits(m), args, path, dynamo=True, input_names=names, output_names=["logits"],
                  dynamic_shapes=shapes, verbose=False)

prompt = [(7 * i + 3) % 256 for i in range(20)]
new = 40
lib = os.path.join(a.out, a.arch, "model.so")
subprocess.run(["txc", path, "-q", "--max-seq", str(a.max_seq), "--prefill-chunk", str(a.prefill_chunk),
                "-o", lib], check=True)
run = subprocess.run(["txc-run", lib, "generate", "--prompt-ids", " ".join(map(str, prompt)),
                      "--max-new-tokens", str(new)], check=True, capture_output=True, text=True)
got = [int(t) for t in run.stdout.split("tokens:")[1].splitlines()[0].split()]
with torch.no_grad():
    ref = m.generate(torch.tensor([prompt]), max_new_tokens=new, min_new_tokens=new, do_sample=False,
                     attention_mask=torch.ones(1, len(prompt), dtype=torch.long))[0, len(prompt):].tolist()
if got != ref:
    print(f"MISMATCH {a.arch}\n txc:  {got}\n torch: {ref}")
    sys.exit(1)
print(f"OK {a.arch} tokens={' '.join(map(str, got))}")
