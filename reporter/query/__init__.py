"""The reporter's SQL: which runs and attacks a selection means, their exact metrics, the
within-attack series. The only part of the reporter that touches the store."""
