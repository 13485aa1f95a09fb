#!/usr/bin/env python3
"""Independent check of the dispatch LP: parse the free-format MPS subset that
`vpp dispatch plan --export-mps FILE` writes (NAME, ROWS N/E/L/G, COLUMNS, RHS, RANGES,
BOUNDS LO/UP/FX/MI/PL/FR, ENDATA) and solve it with scipy.optimize.linprog(method="highs").

usage: dispatch-mps-check.py model.mps [expected_objective]
Prints the HiGHS objective and, if given, the relative difference to the expected one;
exits 1 if it exceeds 1e-6.
"""
import sys, time
import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

def parse(path):
    rows, kinds, cols, obj = {}, [], {}, []
    ent_r, ent_c, ent_v = [], [], []
    rhs, rng, lo, up = {}, {}, {}, {}
    sec = None
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            if not line[0].isspace():
                sec = line.split()[0]
                continue
            tok = line.split()
            if sec == "ROWS":
                k, name = tok
                if k == "N":
                    rows[name] = -1
                else:
                    rows[name] = len(kinds); kinds.append(k)
            elif sec == "COLUMNS":
                c = cols.setdefault(tok[0], len(cols))
                if c == len(obj):
                    obj.append(0.0)
                for i in range(1, len(tok) - 1, 2):
                    r, v = rows[tok[i]], float(tok[i + 1])
                    if r < 0:
                        obj[c] += v
                    else:
                        ent_r.append(r); ent_c.append(c); ent_v.append(v)
            elif sec == "RHS":
                for i in range(1, len(tok) - 1, 2):
                    rhs[rows[tok[i]]] = float(tok[i + 1])
            elif sec == "RANGES":
                for i in range(1, len(tok) - 1, 2):
                    rng[rows[tok[i]]] = float(tok[i + 1])
            elif sec == "BOUNDS":
                k, c = tok[0], cols[tok[2]]
                v = float(tok[3]) if len(tok) > 3 else None
                if k == "LO": lo[c] = v
                elif k == "UP": up[c] = v
                elif k == "FX": lo[c] = v; up[c] = v
                elif k == "MI": lo[c] = -np.inf
                elif k == "PL": up[c] = np.inf
                elif k == "FR": lo[c] = -np.inf; up[c] = np.inf
                else: raise ValueError("unsupported bound " + k)
    m, n = len(kinds), len(cols)
    A = csr_matrix((ent_v, (ent_r, ent_c)), shape=(m, n))
    rl = np.full(m, -np.inf); ru = np.full(m, np.inf)
    for r, k in enumerate(kinds):
        b = rhs.get(r, 0.0)
        if k == "E": rl[r] = ru[r] = b
        elif k == "L":
            ru[r] = b
            if r in rng: rl[r] = b - abs(rng[r])
        elif k == "G":
            rl[r] = b
            if r in rng: ru[r] = b + abs(rng[r])
    bounds = [(lo.get(c, 0.0), up.get(c, np.inf)) for c in range(n)]
    return np.array(obj), A, rl, ru, bounds

def main():
    path = sys.argv[1]
    c, A, rl, ru, bounds = parse(path)
    eq = rl == ru
    le = np.isfinite(ru) & ~eq
    ge = np.isfinite(rl) & ~eq
    from scipy.sparse import vstack
    A_ub = vstack([A[le], -A[ge]]).tocsr()
    b_ub = np.concatenate([ru[le], -rl[ge]])
    t = time.perf_counter()
    res = linprog(c, A_ub=A_ub if A_ub.shape[0] else None, b_ub=b_ub if A_ub.shape[0] else None,
                  A_eq=A[eq] if eq.any() else None, b_eq=rl[eq] if eq.any() else None, bounds=bounds, method="highs",
                  options={"primal_feasibility_tolerance": 1e-9, "dual_feasibility_tolerance": 1e-9})
    dt = time.perf_counter() - t
    print(f"model {path}: {A.shape[0]} rows, {A.shape[1]} columns, {A.nnz} nonzeros")
    if res.status != 0:
        print(f"highs status {res.status} ({res.message}) in {dt*1000:.1f} ms")
        sys.exit(2)
    print(f"highs status {res.status} ({res.message}) objective {res.fun:.10f} in {dt*1000:.1f} ms")
    if len(sys.argv) > 2:
        exp = float(sys.argv[2])
        rel = abs(res.fun - exp) / max(1.0, abs(exp))
        print(f"clp objective {exp:.10f} relative difference {rel:.3e} ({'OK' if rel <= 1e-6 else 'FAIL'} at 1e-6)")
        sys.exit(0 if rel <= 1e-6 else 1)

if __name__ == "__main__":
    main()
