"""The store layer: the DuckDB schema and how it is opened, the per-attack aggregates, the one
metric registry with its formulas, the success rule, what failures mean, how runs are named."""
