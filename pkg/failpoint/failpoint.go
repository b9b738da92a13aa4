//go:build failpoints

// Package failpoint kills a process at a named point of its code, for the fault suite
// (services/product-management/faults): a binary built with the tag failpoints reads
// FLOWKIWI_FAILPOINTS ("name" or "name=N", comma-separated) at start and sends itself SIGKILL the
// Nth time (the first by default) it reaches name, as `kill -9` would at that instant. Without
// the tag, Hit is an empty function the compiler removes and Enabled is false.
//
// The points are process-wide by nature (the process dies), so they are package state read once.
package failpoint

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// Enabled reports whether the binary was built with failpoints.
const Enabled = true

var (
	once   sync.Once
	armed  map[string]int64
	counts sync.Map // name -> *atomic.Int64
)

func load() {
	armed = map[string]int64{}
	for _, spec := range strings.Split(os.Getenv("FLOWKIWI_FAILPOINTS"), ",") {
		name, n, found := strings.Cut(strings.TrimSpace(spec), "=")
		if name == "" {
			continue
		}
		at := int64(1)
		if found {
			if v, err := strconv.ParseInt(n, 10, 64); err == nil && v > 0 {
				at = v
			}
		}
		armed[name] = at
	}
}

// Hit kills the process when name is armed and this is its Nth hit.
func Hit(name string) {
	once.Do(load)
	at, ok := armed[name]
	if !ok {
		return
	}
	c, _ := counts.LoadOrStore(name, new(atomic.Int64))
	if c.(*atomic.Int64).Add(1) == at {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way: nothing more of this process runs
	}
}
