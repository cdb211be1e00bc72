package vec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

// TestReadersRefuseWrappingSizes: sizes whose product wraps int64 are
// refused, not allocated (a .npy of shape (2^33, 2^31) and no data, and
// a safetensors tensor of 2^62 F32 values in 0 bytes, passed the size
// check and panicked in make).
func TestReadersRefuseWrappingSizes(t *testing.T) {
	hdr := "{'descr': '<f4', 'fortran_order': False, 'shape': (8589934592, 2147483648), }"
	npy := append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr)), 0)
	npy = append(npy, hdr...)
	if _, err := ReadNPY(npy, nil, ""); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("npy: %v", err)
	}
	js := `{"v":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}`
	st := append([]byte{byte(len(js)), 0, 0, 0, 0, 0, 0, 0}, js...)
	if _, err := ReadSafetensors(st); err == nil || !strings.Contains(err.Error(), "data_offsets") {
		t.Errorf("safetensors: %v", err)
	}
}

// FuzzReadVectors feeds each direction-vector reader the same bytes: none
// may panic, and what one accepts is finite and non-empty.
func FuzzReadVectors(f *testing.F) {
	if dir, ok := sharedtest.Lookup("fixtures/reference"); ok {
		for _, name := range []string{"vector_64.f64.npy", "vectors_8x64.f32.npy", "vectors.safetensors", "vectors.json"} {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("\x93NUMPY\x01\x00\x46\x00{'descr': '>f8', 'fortran_order': True, 'shape': (2, 1), }           \n\x3f\xf0\x00\x00\x00\x00\x00\x00\x40\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte(`{"a": [1, 2.5e-3], "b": [0]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, read := range []func([]byte) ([]Named, error){
			func(b []byte) ([]Named, error) { return ReadNPY(b, []string{"x"}, "d") },
			ReadSafetensors,
			ReadJSON,
		} {
			vs, err := read(b)
			if err != nil {
				continue
			}
			if len(vs) == 0 {
				t.Fatal("accepted a file of no vectors")
			}
			for _, v := range vs {
				if len(v.Values) == 0 {
					t.Fatalf("vector %q is empty", v.Name)
				}
				for i, x := range v.Values {
					if err := finite(v.Name, i, float64(x)); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	})
}
