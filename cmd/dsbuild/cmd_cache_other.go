//go:build !unix

package main

import "fmt"

func holdStore(string) func() { return func() {} }

func lockStoreExclusive(root string) (func(), error) {
	return nil, fmt.Errorf("cache gc: this system has no file locks to tell a running build from none; not removing anything from %s", root)
}
