"""From a finished attack to the store: records, the spool that makes them durable first, the
writer thread, the attack and run rows, perf ingest, scratch folders."""
