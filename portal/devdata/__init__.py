"""Data for development and measurement, never for production: the national-size dataset that
``flask generate-dataset`` writes for the benchmarks (``dataset``). The demo accounts of
``flask seed-demo`` are in :mod:`portal.cli`."""
