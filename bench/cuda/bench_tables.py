"""Shared by run.sh and run_b2.sh: the rows a CUDA bench printed and the JAX figures."""
import json


def load(genc_path, jax_path, min_fields):
    """rows: N -> the bench's whitespace-split line for 1eK (at least min_fields fields);
    jax: (dtype, N) -> the JSON record of b1_jax.py / b2_jax.py (missing file: empty)."""
    rows = {}
    for line in open(genc_path):
        f = line.split()
        if f and f[0].startswith("1e") and len(f) >= min_fields:
            rows[10 ** int(f[0][2:])] = f
    jax = {}
    try:
        for line in open(jax_path):
            d = json.loads(line)
            if "ms" in d:
                jax[(d["dtype"], d["N"])] = d
    except FileNotFoundError:
        pass
    return rows, jax


def jax_get(jax, dtype, n, key):
    return jax.get((dtype, n), {}).get(key, float("nan"))
