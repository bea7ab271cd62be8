"""Settings read once: the config file, values, plans, carbon. Pure: no pytest."""
