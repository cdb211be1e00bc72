//go:build !linux

package fetch

import "os"

func pseudoFS(*os.File) (string, bool) { return "", false }
