"""What every layer stands on and nothing of perf's own: the error type, signals, terminal-safe
text, JSON text, [tool.perf]."""
