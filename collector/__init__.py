"""perf collect and perf ingest: plan the sweep, run the server and vegeta, store every result."""
