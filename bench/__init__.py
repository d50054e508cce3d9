"""Benchmarks for MAPPA Flow: a synthetic data generator (bench.generate) and the benchmark run (bench.run).

Everything writes under bench/out/ (gitignored); instance/mappa.db is never touched.
"""
