//go:build linux

package bench

import "syscall"

// childAttr makes a child process get SIGTERM when the harness dies, so
// that no node outlives an interrupted suite.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} }
