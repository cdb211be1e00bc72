package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

// copyRepoRecipes lays out in dir what a build of the repository's own
// recipes reads from the checkout: recipes/ (with lib/ and templates/),
// review/ (the pinned verdicts), and a sibling ../shared, as the checkout
// has one: recipes/lib/smilechat.hcl reads the SMILECHAT sample through
// the relative path ../../../shared/data/smilechat/data (a local sample
// no single upstream URL names, so no mirror can serve it by digest).
func copyRepoRecipes(t *testing.T, dir string) {
	t.Helper()
	copyTree(t, "../../recipes", filepath.Join(dir, "recipes"))
	copyTree(t, "../../review", filepath.Join(dir, "review"))
	shared := filepath.Dir(sharedtest.Dir(t, "data"))
	link := filepath.Join(filepath.Dir(dir), "shared")
	if _, err := os.Lstat(link); err == nil {
		return // another project in this test's temp root made it
	}
	must(t, os.Symlink(shared, link))
}
