package vec

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Named is one direction vector.
type Named struct {
	Name   string
	Values []float32
}

// MaxFileSize bounds what the readers here accept: direction vectors are
// small, so a larger file is a mistake, not a reason to exhaust memory.
const MaxFileSize = 1 << 30

func finite(name string, i int, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("vector %q: element %d is %v; direction vectors must be finite", name, i, f)
	}
	if f > math.MaxFloat32 || f < -math.MaxFloat32 {
		return fmt.Errorf("vector %q: element %d (%g) is outside float32's range", name, i, f)
	}
	return nil
}

var npyDescr = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
var npyFortran = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
var npyShape = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)

// ReadNPY reads a NumPy .npy array of float32 or float64 (either byte
// order), of shape (d,) or (K, d): one vector, or K vectors (rows). names
// names the vectors in order; with fewer names than vectors, the rest are
// "v<i>" (or def for a single vector).
func ReadNPY(b []byte, names []string, def string) ([]Named, error) {
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return nil, errors.New("not a .npy file (no \\x93NUMPY magic)")
	}
	major := b[6]
	var hlen, off int
	switch major {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, errors.New(".npy header truncated")
		}
		hlen, off = int(binary.LittleEndian.Uint32(b[8:12])), 12
	default:
		return nil, fmt.Errorf(".npy format version %d is not supported (1, 2 and 3 are)", major)
	}
	if off+hlen > len(b) {
		return nil, errors.New(".npy header truncated")
	}
	hdr := string(b[off : off+hlen])
	data := b[off+hlen:]
	m := npyDescr.FindStringSubmatch(hdr)
	if m == nil {
		return nil, fmt.Errorf(".npy header %q has no descr", strings.TrimSpace(hdr))
	}
	var width int
	var order binary.ByteOrder = binary.LittleEndian
	switch m[1] {
	case "<f4", "f4":
		width = 4
	case ">f4":
		width, order = 4, binary.BigEndian
	case "<f8", "f8":
		width = 8
	case ">f8":
		width, order = 8, binary.BigEndian
	default:
		return nil, fmt.Errorf(".npy dtype %q is not float32 or float64", m[1])
	}
	fortran := false
	if f := npyFortran.FindStringSubmatch(hdr); f != nil {
		fortran = f[1] == "True"
	}
	s := npyShape.FindStringSubmatch(hdr)
	if s == nil {
		return nil, fmt.Errorf(".npy header %q has no shape", strings.TrimSpace(hdr))
	}
	var shape []int
	for _, p := range strings.Split(s[1], ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 {
			return nil, fmt.Errorf(".npy shape (%s) is not a list of sizes", s[1])
		}
		shape = append(shape, x)
	}
	var k, d int
	switch len(shape) {
	case 1:
		k, d = 1, shape[0]
	case 2:
		k, d = shape[0], shape[1]
	default:
		return nil, fmt.Errorf(".npy shape (%s) is neither (d,) nor (K, d)", s[1])
	}
	if k == 0 || d == 0 {
		return nil, fmt.Errorf(".npy shape (%s) holds no vector", s[1])
	}
	// Each size alone first: k*d of two sizes from the header can wrap.
	if k > MaxFileSize/width || d > MaxFileSize/width || k*d > MaxFileSize/width || len(data) != k*d*width {
		return nil, fmt.Errorf(".npy shape (%s) of %d-byte floats needs %d data bytes, the file has %d", s[1], width, k*d*width, len(data))
	}
	if len(names) > k {
		return nil, fmt.Errorf("%d names for %d vectors", len(names), k)
	}
	out := make([]Named, k)
	for r := range out {
		out[r].Name = vectorName(names, r, k, def)
		out[r].Values = make([]float32, d)
	}
	for i := 0; i < k*d; i++ {
		var f float64
		if width == 4 {
			f = float64(math.Float32frombits(order.Uint32(data[i*4:])))
		} else {
			f = math.Float64frombits(order.Uint64(data[i*8:]))
		}
		r, c := i/d, i%d
		if fortran {
			r, c = i%k, i/k
		}
		if err := finite(out[r].Name, c, f); err != nil {
			return nil, err
		}
		out[r].Values[c] = float32(f)
	}
	return out, nil
}

func vectorName(names []string, i, k int, def string) string {
	if i < len(names) {
		return names[i]
	}
	if k == 1 && def != "" {
		return def
	}
	return "v" + strconv.Itoa(i)
}

// ReadSafetensors reads every tensor of a .safetensors file as a vector
// named by its key (F32, F64, F16 or BF16; shape (d,) or (1, d)), in the
// order of their data offsets, which is the order they were written.
func ReadSafetensors(b []byte) ([]Named, error) {
	if len(b) < 8 {
		return nil, errors.New("not a .safetensors file (shorter than its header size)")
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf(".safetensors header of %d bytes does not fit in the file (%d bytes)", n, len(b))
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &hdr); err != nil {
		return nil, fmt.Errorf(".safetensors header: %v", err)
	}
	data := b[8+n:]
	type tensor struct {
		DType   string `json:"dtype"`
		Shape   []int  `json:"shape"`
		Offsets [2]int `json:"data_offsets"`
		name    string
	}
	var ts []tensor
	for name, raw := range hdr {
		if name == "__metadata__" {
			continue
		}
		var t tensor
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, fmt.Errorf(".safetensors tensor %q: %v", name, err)
		}
		t.name = name
		ts = append(ts, t)
	}
	if len(ts) == 0 {
		return nil, errors.New(".safetensors file holds no tensor")
	}
	// Order by offset, then name: the writer's order, and a total order.
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && (ts[j].Offsets[0] < ts[j-1].Offsets[0] || ts[j].Offsets[0] == ts[j-1].Offsets[0] && ts[j].name < ts[j-1].name); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
	out := make([]Named, 0, len(ts))
	for _, t := range ts {
		d := 0
		switch {
		case len(t.Shape) == 1:
			d = t.Shape[0]
		case len(t.Shape) == 2 && t.Shape[0] == 1:
			d = t.Shape[1]
		default:
			return nil, fmt.Errorf(".safetensors tensor %q has shape %v; a direction vector is (d,) or (1, d)", t.name, t.Shape)
		}
		width := map[string]int{"F32": 4, "F64": 8, "F16": 2, "BF16": 2}[t.DType]
		if width == 0 {
			return nil, fmt.Errorf(".safetensors tensor %q has dtype %s; F32, F64, F16 and BF16 are read", t.name, t.DType)
		}
		lo, hi := t.Offsets[0], t.Offsets[1]
		// d first: d*width of a size from the header can wrap.
		if d <= 0 || d > len(data)/width || lo < 0 || hi < lo || hi > len(data) || hi-lo != d*width {
			return nil, fmt.Errorf(".safetensors tensor %q: data_offsets %v do not hold %d %s values in %d data bytes", t.name, t.Offsets, d, t.DType, len(data))
		}
		v := Named{Name: t.name, Values: make([]float32, d)}
		raw := data[lo:hi]
		for i := range d {
			var f float64
			switch t.DType {
			case "F32":
				f = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i*4:])))
			case "F64":
				f = math.Float64frombits(binary.LittleEndian.Uint64(raw[i*8:]))
			case "BF16":
				f = float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[i*2:])) << 16))
			case "F16":
				f = half(binary.LittleEndian.Uint16(raw[i*2:]))
			}
			if err := finite(t.name, i, f); err != nil {
				return nil, err
			}
			v.Values[i] = float32(f)
		}
		out = append(out, v)
	}
	return out, nil
}

// half decodes an IEEE 754 binary16 value.
func half(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1+frac/1024, exp-15)
}

// ReadJSON reads a JSON object {name: [numbers], ...}; vectors keep the
// object's order.
func ReadJSON(b []byte) ([]Named, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("vectors JSON: %v", err)
	}
	if tok != json.Delim('{') {
		return nil, errors.New(`vectors JSON must be an object {"name": [numbers], ...}`)
	}
	var out []Named
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("vectors JSON: %v", err)
		}
		name := tok.(string)
		if seen[name] {
			return nil, fmt.Errorf("vectors JSON names %q twice", name)
		}
		seen[name] = true
		var nums []json.Number
		if err := dec.Decode(&nums); err != nil {
			return nil, fmt.Errorf("vectors JSON: %q is not a list of numbers: %v", name, err)
		}
		v := Named{Name: name, Values: make([]float32, len(nums))}
		for i, x := range nums {
			f, err := x.Float64()
			if err != nil {
				return nil, fmt.Errorf("vector %q: element %d (%s) is not a number", name, i, x)
			}
			if err := finite(name, i, f); err != nil {
				return nil, err
			}
			v.Values[i] = float32(f)
		}
		if len(v.Values) == 0 {
			return nil, fmt.Errorf("vector %q is empty", name)
		}
		out = append(out, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("vectors JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("vectors JSON: data after the object")
	}
	if len(out) == 0 {
		return nil, errors.New("vectors JSON holds no vector")
	}
	return out, nil
}
