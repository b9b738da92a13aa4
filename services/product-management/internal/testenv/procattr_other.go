//go:build !linux

package testenv

import "os/exec"

// dieWithParent is a no-op where Pdeathsig does not exist; t.Cleanup still stops the child.
func dieWithParent(*exec.Cmd) {}
