"""``mwent figure output``: the filtered pair against the filter centres and the bandwidth."""
import json

import numpy as np

from compare.cli import main


def test_output_figure(capsys, tmp_path):
    code = main(["figure", "output", "--points", "9", "--out", str(tmp_path), "--json"])
    doc = json.loads(capsys.readouterr()[0])
    assert code == 0 and (tmp_path / "figoutput.png").stat().st_size > 10000
    with np.load(doc["data"]) as f:
        c, m = f["centers"], f["E_N_map"]
        en_bw = f["E_N_vs_bandwidth"]
    # a stationary state correlates only opposite frequencies: the filtered pair is entangled
    # only near Omega_1 + Omega_2 = 0, most at the sidebands +-omega_b
    i, j = np.unravel_index(np.argmax(m), m.shape)
    assert abs(c[i] + c[j]) < 1e-6 and abs(c[i] - 1e7) < 1e-6
    off = np.abs(c[:, None] + c[None, :]) > 0.3e7
    assert m[off].max() < 0.02 * m.max()      # Lorentzian filter tails only
    # wide filters see the vacuum-diluted output: E_N falls below the intracavity value
    assert en_bw[-1] < doc["summary"]["intracavity_E_N"] < en_bw[0]
