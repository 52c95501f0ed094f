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
tools = ["tx-opt", "txc", "txc-run", "llvm-nm"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Hand-written stand-ins for compiled models and the C API smoke test
# (test/unit/runtime), and the runtime library, for test/Runtime.
config.substitutions.append(
    ("%fake_model_dir", os.path.join(config.txc_obj_root, "test", "unit", "runtime"))
)
config.substitutions.append(
    ("%txrt_lib", os.path.join(config.txc_obj_root, "lib", "libtxrt.so"))
)
