package graph

import (
	"testing"

	"github.com/dsbuild/dsbuild/internal/ops"
)

func TestPreimageEscapingIsInjective(t *testing.T) {
	vals := []string{"a\nb", `a\nb`, `a\\nb`, "a\\\nb", "a\rb", `a\rb`, "plain"}
	seen := map[string]string{}
	for _, v := range vals {
		k := string(preimage("x", 1, []ops.Param{{Name: "p", Value: v}}, nil, nil).Key())
		if prev, ok := seen[k]; ok {
			t.Errorf("values %q and %q share a key", prev, v)
		}
		seen[k] = v
	}
}
