"""What the CPU benchmarks share: paths, the benchmark model's sizes, and
the machine probes (peak_flops.c, membw.c) compiled and run on the spot."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(ROOT, "test", "Frontend", "ONNX", "gen_models.py")
# The ~100M-parameter Llama-style model (gen_models.py flags).
CONFIG = dict(layers=8, hidden=768, heads=12, kv_heads=4, intermediate=2048,
              vocab=32000)


def probe(name, threads, work, runs=1):
    """Compiles bench/NAME.c (clang-22 -O2 -march=native -fopenmp), runs it
    `runs` times with `threads` threads and returns the largest of the last
    numbers it prints, or None when it cannot be built or run."""
    exe = os.path.join(work, name)
    src = os.path.join(ROOT, "bench", name + ".c")
    omp = "/usr/lib/llvm-22/lib"
    try:
        subprocess.run(["clang-22", "-O2", "-march=native", "-fopenmp", src,
                        "-o", exe, "-L" + omp, "-Wl,-rpath," + omp],
                       check=True, capture_output=True)
        best = None
        for _ in range(runs):
            out = subprocess.run([exe, str(threads)], check=True,
                                 capture_output=True, text=True).stdout
            value = float(out.split()[-1])
            best = value if best is None else max(best, value)
        return best
    except (OSError, subprocess.CalledProcessError, ValueError, IndexError):
        return None
