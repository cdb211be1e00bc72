package vec

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

// The reference vector files (written by numpy, safetensors and Python's
// json) hold the same eight vectors; every reader gives them.
func TestReferenceVectorFilesAgree(t *testing.T) {
	dir := sharedtest.Dir(t, "fixtures/reference")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var names []string
	for i := range 8 {
		names = append(names, fmt.Sprint("trait_", i))
	}
	npy, err := ReadNPY(read("vectors_8x64.f32.npy"), names, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := ReadSafetensors(read("vectors.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := ReadJSON(read("vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	one, err := ReadNPY(read("vector_64.f64.npy"), nil, "trait_0")
	if err != nil {
		t.Fatal(err)
	}
	if len(npy) != 8 || len(st) != 8 || len(js) != 8 || len(one) != 1 {
		t.Fatalf("vectors: npy %d, safetensors %d, json %d, f64 npy %d; want 8, 8, 8, 1", len(npy), len(st), len(js), len(one))
	}
	for k := range 8 {
		for _, other := range [][]Named{st, js} {
			if other[k].Name != names[k] || len(other[k].Values) != 64 {
				t.Fatalf("vector %d: %q of %d, want %q of 64", k, other[k].Name, len(other[k].Values), names[k])
			}
			for i, x := range npy[k].Values {
				if y := other[k].Values[i]; x != y {
					t.Fatalf("%s[%d]: npy %v, other %v", names[k], i, x, y)
				}
			}
		}
	}
	for i, x := range one[0].Values {
		if math.Abs(float64(x-npy[0].Values[i])) > 1e-6*math.Abs(float64(x)) {
			t.Fatalf("trait_0[%d]: f64 npy %v, f32 npy %v", i, x, npy[0].Values[i])
		}
	}
}

func TestReadersRefuseBadFiles(t *testing.T) {
	for _, c := range []struct {
		name string
		read func() error
		want string
	}{
		{"npy int", func() error { _, err := ReadNPY(npyBytes("<i4", "(2,)", 8), nil, ""); return err }, "not float32 or float64"},
		{"npy 3d", func() error { _, err := ReadNPY(npyBytes("<f4", "(1, 1, 2)", 8), nil, ""); return err }, "neither (d,) nor (K, d)"},
		{"npy short", func() error { _, err := ReadNPY(npyBytes("<f4", "(4,)", 8), nil, ""); return err }, "needs 16 data bytes"},
		{"npy nan", func() error {
			_, err := ReadNPY(append(npyBytes("<f4", "(1,)", 0), 0, 0, 0xc0, 0x7f), nil, "x")
			return err
		}, "element 0 is NaN"},
		{"json list", func() error { _, err := ReadJSON([]byte(`[1,2]`)); return err }, "must be an object"},
		{"json dup", func() error { _, err := ReadJSON([]byte(`{"a":[1],"a":[2]}`)); return err }, `names "a" twice`},
		{"json text", func() error { _, err := ReadJSON([]byte(`{"a":["x"]}`)); return err }, "not a list of numbers"},
		{"safetensors 2d", func() error {
			h := `{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}`
			b := append([]byte{byte(len(h)), 0, 0, 0, 0, 0, 0, 0}, h...)
			_, err := ReadSafetensors(append(b, make([]byte, 16)...))
			return err
		}, "(d,) or (1, d)"},
		{"safetensors truncated", func() error {
			h := `{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`
			b := append([]byte{byte(len(h)), 0, 0, 0, 0, 0, 0, 0}, h...)
			_, err := ReadSafetensors(append(b, make([]byte, 8)...))
			return err
		}, "do not hold 4 F32 values"},
	} {
		err := c.read()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func npyBytes(descr, shape string, data int) []byte {
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := []byte{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, byte(len(h)), byte(len(h) >> 8)}
	b = append(b, h...)
	return append(b, make([]byte, data)...)
}
