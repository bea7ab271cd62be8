"""The versioned JSON report: model (imports nothing of ours), checks, decode, atomic io."""
