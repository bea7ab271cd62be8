"""One run of a test item and its energy window: protocol, probe, threads, environment."""
