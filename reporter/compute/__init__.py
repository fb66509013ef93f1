"""Pure functions on the query's rows: tables, sustainable rates, verdicts, thresholds, change
points, worker scaling, the self-check's words, why requests failed."""
