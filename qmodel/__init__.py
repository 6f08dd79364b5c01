"""Full four-mode master equation in QuTiP (displaced frame)."""
