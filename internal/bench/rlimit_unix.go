//go:build unix

package bench

import (
	"fmt"
	"syscall"
)

// raiseOpenFiles lifts the soft limit of open files to the hard one (every socket is a file)
// and returns it.
func raiseOpenFiles() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, fmt.Errorf("open files limit: %w", err)
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return 0, fmt.Errorf("raise the open files limit: %w", err)
		}
	}
	return uint64(l.Cur), nil
}
