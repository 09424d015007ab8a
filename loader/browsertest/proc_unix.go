//go:build unix

package browsertest

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the browser in a process group of its own, so that
// killing it kills its renderer and GPU processes too.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup kills the browser and every process it started.
func killProcessGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
