"""``--greenbudget-against``: the paired gate, base against head in rounds of fresh processes."""
