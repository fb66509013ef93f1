//go:build tools

// Package tools pins actionlint, the linter `make test` runs on every workflow under
// docs/workflows/ (GitHub rejects a workflow actionlint rejects, e.g. a context used where
// it is not allowed).
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
