"""What the user asked for: every option of `perf collect`, merged from its sources and
validated in one place; the secrets among them."""
