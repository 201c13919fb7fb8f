"""Community registry adapters: the cross-match engine (DuckDB), ledger/results files, synthetic data."""
