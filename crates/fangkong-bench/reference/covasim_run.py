"""Covasim reference run of `fangkong-bench sim`.

Runs Covasim (Kerr et al. 2021, PLoS Comput Biol 17(7):e1009149; the version pinned in
covasim-requirements.txt) on a population of the same kind as the simulator's: a 'hybrid'
population (households, schools, workplaces and community contacts), `pop_size` people,
`n_days` days, `pop_infected` seeds, Covasim's default parameters otherwise.

Usage: python covasim_run.py POP_SIZE N_DAYS SEED POP_INFECTED OUT.json

Writes one JSON object: versions, `init_seconds` (building the population and its contact
layers), `run_seconds` (the simulation only: the number the benchmark compares),
`attack_rate` (cumulative infections over the population), `peak_rss_bytes`.
"""

import json
import platform
import resource
import sys
import time


def main():
    pop_size, n_days, seed, pop_infected = (int(x) for x in sys.argv[1:5])
    out = sys.argv[5]
    t0 = time.perf_counter()
    import covasim as cv
    import numpy as np

    t1 = time.perf_counter()
    sim = cv.Sim(
        pop_size=pop_size,
        n_days=n_days,
        pop_type="hybrid",
        pop_infected=pop_infected,
        rand_seed=seed,
        verbose=0,
    )
    sim.initialize()
    t2 = time.perf_counter()
    sim.run()
    t3 = time.perf_counter()
    infections = float(sim.results["cum_infections"][-1])
    report = {
        "versions": {
            "python": platform.python_version(),
            "covasim": cv.__version__,
            "numpy": np.__version__,
        },
        "import_seconds": t1 - t0,
        "init_seconds": t2 - t1,
        "run_seconds": t3 - t2,
        "pop_size": pop_size,
        "n_days": n_days,
        "attack_rate": infections / pop_size,
        # ru_maxrss is in kilobytes on Linux.
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    with open(out, "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main()
