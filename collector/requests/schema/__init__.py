"""An OpenAPI document's JSON Schemas: translated, resolved, validated, and the values perf sends."""
