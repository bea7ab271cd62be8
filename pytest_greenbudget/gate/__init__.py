"""The regression gate: statistics, baseline comparison, repeats advice, merge. Pure: no pytest."""
