//go:build tools

// Package tools pins vegeta for `make vegeta`: building from this module avoids
// `go install pkg@version`, whose deprecation look-up some module proxies refuse.
package tools

import _ "github.com/tsenart/vegeta/v12"
