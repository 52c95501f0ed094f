#!/usr/bin/env python3
"""Imports a one-node model of every ONNX op the importer must cover and
checks the IR holds the op it should become. Prints one line per op and a
summary; exits 1 on any failure. Usage: check_ops.py GEN_MODELS.py WORKDIR"""
import os
import re
import subprocess
import sys

# What each op must import to (a regex over the printed IR); ops that fold
# away completely become arith.constant.
EXPECTED = {
    "Add": r"arith\.addf", "Sub": r"arith\.subf", "Mul": r"arith\.mulf",
    "Div": r"arith\.divf", "Pow": r"math\.powf", "Sqrt": r"math\.sqrt",
    "Reciprocal": r"arith\.divf", "Neg": r"arith\.negf", "Erf": r"math\.erf",
    "Tanh": r"math\.tanh", "Sigmoid": r"tosa\.sigmoid", "Gelu": r"math\.erf",
    "Cos": r"math\.cos", "Sin": r"math\.sin", "And": r"arith\.andi",
    "Or": r"arith\.ori", "Not": r"arith\.xori", "Equal": r"arith\.cmp[fi] (oeq|eq)",
    "Less": r"arith\.cmp[fi] (olt|slt)", "LessOrEqual": r"arith\.cmp[fi] (ole|sle)",
    "Greater": r"arith\.cmp[fi] (ogt|sgt)",
    "GreaterOrEqual": r"arith\.cmp[fi] (oge|sge)", "IsNaN": r"arith\.cmpf uno",
    "Where": r"arith\.select", "Max": r"arith\.maximumf", "Min": r"arith\.minimumf",
    "Cast": r"arith\.(sitofp|fptosi|extf|truncf|extsi|trunci)",
    "Concat": r"tensor\.concat", "Split": r"tensor\.extract_slice",
    "Slice": r"tensor\.extract_slice", "Gather": r"tx\.embedding|linalg\.generic",
    "GatherND": r"linalg\.generic", "GatherElements": r"linalg\.generic",
    "Expand": r"linalg\.broadcast", "Reshape": r"tensor\.(collapse_shape|expand_shape|reshape)",
    "Shape": r"arith\.constant", "Squeeze": r"tensor\.collapse_shape",
    "Unsqueeze": r"tensor\.expand_shape", "Transpose": r"linalg\.transpose",
    "Range": r"arith\.constant", "CumSum": r"linalg\.contract",
    "ConstantOfShape": r"arith\.constant", "Constant": r"arith\.constant",
    "Identity": r"return %arg0", "Trilu": r"arith\.select",
    "MatMul": r"linalg\.contract|tx\.linear", "Gemm": r"tx\.linear|linalg\.contract",
    "Softmax": r"linalg\.softmax", "ReduceMean": r"linalg\.reduce",
    "ReduceSum": r"linalg\.reduce", "LayerNormalization": r"tx\.layer_norm",
    "Flatten": r"tensor\.collapse_shape", "Einsum": r"linalg\.generic",
    "ScatterND": r"tensor\.insert_slice|linalg\.generic",
}


def main():
    gen, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    listed = subprocess.run([sys.executable, gen, "--op-list"], check=True,
                            capture_output=True, text=True).stdout
    ops = [line.split()[0] for line in listed.splitlines() if line.strip()]
    failures = 0
    for op in ops:
        model = os.path.join(work, op + ".onnx")
        subprocess.run([sys.executable, gen, "--op", op, "-o", model],
                       check=True, capture_output=True)
        r = subprocess.run(["txc", model, "--emit=import", "-q"],
                           capture_output=True, text=True)
        pattern = EXPECTED.get(op)
        if r.returncode != 0:
            print(f"FAIL {op}: txc exited {r.returncode}: {r.stderr.strip()}")
            failures += 1
        elif pattern is None or not re.search(pattern, r.stdout):
            print(f"FAIL {op}: expected /{pattern}/ in the imported IR")
            failures += 1
        else:
            print(f"OK {op}")
    print(f"imported {len(ops) - failures} of {len(ops)} ops")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
