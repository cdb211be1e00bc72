// Package faultpoint lets tests stop a dsbuild process at a named point of
// a write, to kill it there (kill -9) and check what the next build finds.
// With DSBUILD_TEST_HOOK=pause-at:NAME the process, on reaching the point
// NAME, prints "dsbuild-test-hook: paused at NAME" on stderr and blocks
// forever; the test waits for that line and kills it. Unset (always, for
// users), Hit costs one atomic load.
//
// The package must never change what a build does when the variable is
// unset, and never import anything of dsbuild's.
package faultpoint

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

var (
	once  sync.Once
	pause string
)

// Hit marks the point name.
func Hit(name string) {
	once.Do(func() {
		if p, ok := strings.CutPrefix(os.Getenv("DSBUILD_TEST_HOOK"), "pause-at:"); ok {
			pause = p
		}
	})
	if pause == "" || pause != name {
		return
	}
	fmt.Fprintf(os.Stderr, "dsbuild-test-hook: paused at %s\n", name)
	select {}
}
