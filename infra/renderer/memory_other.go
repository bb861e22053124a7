//go:build !linux

package main

import "runtime/debug"

// boundMemory sets only the Go runtime's soft limit off Linux (the CLI on a laptop): the hard
// bound (RLIMIT_AS, memory_linux.go) is what the Lambda relies on.
func boundMemory(maxBytes int64) error {
	if maxBytes > 0 {
		debug.SetMemoryLimit(maxBytes * 8 / 10)
	}
	return nil
}
