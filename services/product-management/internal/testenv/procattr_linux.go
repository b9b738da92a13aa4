package testenv

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the child die with the test binary, even when the test is killed.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
