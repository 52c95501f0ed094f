# -*- Python -*-
# Runs the GoogleTest binaries under build/test/unit through lit.

import os

import lit.formats

config.name = "TXC-Unit"
config.test_format = lit.formats.GoogleTest(".", "Tests")
config.test_source_root = os.path.join(config.txc_obj_root, "test", "unit")
config.test_exec_root = config.test_source_root
