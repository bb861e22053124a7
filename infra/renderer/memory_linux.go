package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
)

// boundMemory makes maxBytes a hard bound on the process's resident memory. The Go runtime
// cannot enforce one itself (its memory limit is soft: one large allocation passes it), so the
// kernel does: RLIMIT_AS caps the address space at what the process has mapped at start-up plus
// the memory it may still make resident. Go reserves far more address space than it touches
// (≈ 1.3 GB mapped, ≈ 33 MB resident at start), and a reservation it touches later becomes
// resident without growing the address space, so the cap is counted from the start-up mapping.
// Past it a mapping fails and the Go runtime dies with "out of memory" (it cannot recover from
// that); the caller names the bound. The soft limit at 80 % makes the collector work harder
// first, so a render that fits only after a collection does not die.
func boundMemory(maxBytes int64) error {
	if maxBytes <= 0 {
		return nil
	}
	debug.SetMemoryLimit(maxBytes * 8 / 10)
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return err
	}
	fields := strings.Fields(string(statm))
	if len(fields) < 2 {
		return fmt.Errorf("unexpected /proc/self/statm: %q", statm)
	}
	size, err1 := strconv.ParseInt(fields[0], 10, 64)
	resident, err2 := strconv.ParseInt(fields[1], 10, 64)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("unexpected /proc/self/statm: %q", statm)
	}
	page := int64(os.Getpagesize())
	mapped, used := size*page, resident*page
	if maxBytes <= used {
		return fmt.Errorf("the bound of %d bytes is below the %d bytes the renderer uses at start-up", maxBytes, used)
	}
	limit := uint64(mapped + maxBytes - used)
	return syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: limit, Max: limit})
}
