# -*- Python -*-
# lit configuration for txc's FileCheck tests.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "TXC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.txc_obj_root, "test")
# GoogleTest binaries have their own suite under unit/.
config.excludes = ["unit", "Inputs", "lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%txc_src_root", config.txc_src_root))
config.substitutions.append(("%txc_obj_root", config.txc_obj_root))
config.substitutions.append(("%python", config.python_executable))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

llvm_config.with_environment("PATH", config.txc_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.txc_tools_dir, config.llvm_tools_dir]
tools = ["tx-opt", "txc", "txc-run", "txc-tokenize", "llvm-nm"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Hand-written stand-ins for compiled models and the C API smoke test
# (test/unit/runtime), and the runtime library, for test/Runtime.
config.substitutions.append(
    ("%fake_model_dir", os.path.join(config.txc_obj_root, "test", "unit", "runtime"))
)
config.substitutions.append(
    ("%txrt_lib", os.path.join(config.txc_obj_root, "lib", "libtxrt.so"))
)

# Tokenizer vocabularies from scripts/fetch-test-data (build-data/vocab).
tokenizer_vocab = os.path.join(config.txc_src_root, "build-data", "vocab")
if os.path.isdir(tokenizer_vocab) and any(
    f.endswith(".gguf") for f in os.listdir(tokenizer_vocab)
):
    config.available_features.add("tokenizer-vocab")
config.substitutions.append(("%tokenizer_vocab", tokenizer_vocab))

# Real models installed by scripts/setup (scripts/find-models): SmolLM2-135M
# GGUF and the all-MiniLM-L6-v2 folder. Their tests need them.
import subprocess

try:
    found = subprocess.run(
        [config.python_executable,
         os.path.join(config.txc_src_root, "scripts", "find-models")],
        capture_output=True, text=True, timeout=60).stdout
except (OSError, subprocess.SubprocessError):
    found = ""
for line in found.splitlines():
    name, _, path = line.partition(" ")
    if name in ("smollm2", "minilm") and path:
        config.available_features.add(name)
        config.substitutions.append(("%" + name, path))

# torch.onnx.export(dynamo=True) with transformers: the exports users make.
# Optional (torch is not a dependency); test/e2e/torch-exports.test needs it.
try:
    probe = subprocess.run(
        [config.python_executable, "-c",
         "import importlib.util as u, sys; sys.exit(not all(u.find_spec(m) for m "
         "in ('torch', 'transformers', 'onnxscript')))"],
        capture_output=True, timeout=60)
    if probe.returncode == 0:
        config.available_features.add("torch-export")
except (OSError, subprocess.SubprocessError):
    pass
