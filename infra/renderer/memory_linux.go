package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
)

// arenaAllowance is what Go's start-up reservations (address space mapped PROT_NONE, ≈ 1.3 GB)
// can still become resident without growing the address space: the rest of the first heap arena
// (heap arenas are 64 MiB) and the few pages of page-allocator summaries a heap of this size
// commits. Every later arena and all runtime metadata are mapped anew, and count.
const arenaAllowance = 64<<20 + 8<<20

// boundMemory makes maxBytes a hard bound on the process's resident memory. The Go runtime
// cannot enforce one itself (its memory limit is soft: one large allocation passes it), so the
// kernel does, with RLIMIT_AS: resident memory is at most what was mapped and accessible at
// start-up, plus the part of the start-up reservations the heap can grow into (arenaAllowance),
// plus every mapping made since, which the limit caps. (RLIMIT_DATA would be the natural limit,
// but Linux does not charge it when Go commits memory inside an address range it reserved,
// MAP_FIXED over PROT_NONE: measured, a render passed it by 190 MB.) Past the limit a mapping
// fails and the Go runtime dies with "out of memory" (it cannot recover from that); the caller
// names the bound. The soft limit at 80 % makes the collector work harder first, so a render
// that fits only after a collection does not die.
func boundMemory(maxBytes int64) error {
	if maxBytes <= 0 {
		return nil
	}
	debug.SetMemoryLimit(maxBytes * 8 / 10)
	mapped, accessible, err := mappings()
	if err != nil {
		return err
	}
	growth := maxBytes - accessible - arenaAllowance
	if growth <= 0 {
		return fmt.Errorf("the bound of %d bytes is below what the renderer maps at start-up (%d bytes)", maxBytes, accessible+arenaAllowance)
	}
	limit := uint64(mapped + growth)
	return syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: limit, Max: limit})
}

// mappings sums the process's address space, and the part of it that is accessible (not
// PROT_NONE): every page of the latter may be resident, whatever is resident now.
func mappings() (mapped, accessible int64, err error) {
	maps, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0, 0, err
	}
	defer maps.Close()
	scanner := bufio.NewScanner(maps)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 2 {
			continue
		}
		from, to, ok := strings.Cut(fields[0], "-")
		start, err1 := strconv.ParseUint(from, 16, 64)
		end, err2 := strconv.ParseUint(to, 16, 64)
		if !ok || err1 != nil || err2 != nil {
			return 0, 0, fmt.Errorf("unexpected /proc/self/maps line %q", scanner.Text())
		}
		if start >= 1<<63 { // [vsyscall]: not counted by RLIMIT_AS
			continue
		}
		size := int64(end - start)
		mapped += size
		if !strings.HasPrefix(fields[1], "---") {
			accessible += size
		}
	}
	return mapped, accessible, scanner.Err()
}
