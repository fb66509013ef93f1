"""One module per CLI command: click parses, then one call into collector or reporter."""
