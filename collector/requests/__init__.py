"""The requests perf sends: operations from the app's OpenAPI document (or a vegeta targets
file), with parameters and bodies from examples or generated from their JSON Schemas."""
