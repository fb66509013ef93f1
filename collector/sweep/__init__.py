"""`perf collect` itself: the sweep's loop over servers, endpoints and loads, its plan (and
--dry-run), its progress display and its last lines."""
