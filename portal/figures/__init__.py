"""Figures over many organizations: the coordinators' dashboard and queue counts, and the peer
benchmarks operators see. ``queries`` computes them in SQL from stored aggregates; ``cache``
keeps them briefly and drops them when a submission or decision changes them; ``bands`` names
the score bands every table and filter uses."""
