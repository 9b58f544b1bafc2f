//go:build tools

// Package tools pins the upstream programs the release tests run: krew, which installs
// the plugin from the manifest and archive that tools/release/build.sh writes (its own
// manifest validation included), and actionlint, which checks the workflows under
// .github/workflows. The tests build them with `go build` from this module.
package tools

import (
	_ "github.com/rhysd/actionlint/cmd/actionlint"
	_ "sigs.k8s.io/krew/cmd/krew"
)
