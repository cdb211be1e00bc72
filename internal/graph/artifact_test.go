package graph

import (
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dsbuild/dsbuild/internal/artifact"
	"github.com/dsbuild/dsbuild/internal/cache"
)

func TestOpenArtifactCorrupt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(*testing.T, string)
		miss  bool // getManifest already misses (size differs)
	}{
		{"flipped byte", flipByte, false},
		{"truncated", truncate, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProject(t, chainRecipe)
			pl := p.mustBuild(1)
			n := pl.Node("gen.a")
			path, _ := p.store.Path(n.Manifest.Blob)
			tc.spoil(t, path)
			if _, ok := getManifest(context.Background(), p.store, n.Key); ok == tc.miss {
				t.Errorf("getManifest hit = %v, want %v", ok, !tc.miss)
			}
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rd, err := artifact.Open(context.Background(), p.store, mem, n.Manifest.Blob)
			if err == nil {
				for rd.Next() {
				}
				err = rd.Err()
				rd.Release()
			}
			if !errors.Is(err, cache.ErrCorrupt) {
				t.Errorf("reading a spoiled artifact: err = %v, want one wrapping cache.ErrCorrupt", err)
			}
			if p.store.Has(n.Manifest.Blob, -1) {
				t.Errorf("the corrupt blob is still in the store")
			}
		})
	}
}
