"""Small FastAPI apps perf has never seen: the corpus its discovery and collect are tried on.
Each is unlike target_app and unlike the others; tests/apps/corpus.py says how to run each."""
