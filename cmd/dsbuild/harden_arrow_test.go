package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dsbuild/dsbuild/internal/arrowio/arrowiotest"

	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

// arrowProject is a throwaway project whose recipe fetches files from its
// own data/ folder.
func arrowProject(t *testing.T, recipe string, files map[string][]byte) *project {
	t.Helper()
	p := &project{dir: t.TempDir(), mirror: t.TempDir(), cache: t.TempDir()}
	must(t, os.MkdirAll(filepath.Join(p.dir, "recipes"), 0o755))
	must(t, os.MkdirAll(filepath.Join(p.dir, "lockfiles"), 0o755))
	must(t, os.MkdirAll(filepath.Join(p.dir, "data"), 0o755))
	must(t, os.WriteFile(filepath.Join(p.dir, "recipes", "esconv.hcl"), []byte(recipe), 0o644))
	for name, b := range files {
		must(t, os.WriteFile(filepath.Join(p.dir, "data", name), b, 0o644))
	}
	return p
}

// Issue 8, item 4: `build --batch-size N` gives byte-identical locks and
// outputs for every N, over the pyarrow reference files (a nullable bool
// read from Parquet left different bits under its nulls at each N).
func TestBatchSizeChangesNoLockOrOutputByte(t *testing.T) {
	ref := sharedtest.Dir(t, "fixtures/reference")
	files := map[string][]byte{}
	var recipe strings.Builder
	for _, name := range []string{"zoo.snappy.parquet", "zoo.arrow", "esconv_test.pyarrow.zstd.parquet"} {
		b, err := os.ReadFile(filepath.Join(ref, name))
		must(t, err)
		files[name] = b
		id := strings.NewReplacer(".", "_").Replace(name)
		fmt.Fprintf(&recipe, "fetch %q {\n  url = \"../data/%s\"\n}\n", id, name)
		for _, ext := range []string{"arrow", "arrows", "feather", "parquet", "jsonl"} {
			fmt.Fprintf(&recipe, "output \"%s_%s\" {\n  input = fetch.%s\n  path = \"out/%s.%s\"\n}\n", id, ext, id, id, ext)
		}
	}
	// A filter hands over selections of the fetched batches.
	recipe.WriteString(`filter "b_true" {
  input = fetch.zoo_snappy_parquet
  where = b
}
output "b_true" {
  input = filter.b_true
  path  = "out/b_true.arrow"
}
`)
	var want map[string][]byte
	for _, n := range []string{"1", "7", "1000", "65536"} {
		p := arrowProject(t, recipe.String(), files)
		code, _, stderr := p.dsbuild(t, "build", p.recipe(), "--batch-size", n)
		if code != 0 {
			t.Fatalf("build --batch-size %s: exit %d\n%s", n, code, stderr)
		}
		got := map[string][]byte{}
		b, err := os.ReadFile(p.lock())
		must(t, err)
		got["lockfiles/esconv.lock"] = b
		outs, err := filepath.Glob(filepath.Join(p.dir, "out", "*"))
		must(t, err)
		for _, o := range outs {
			b, err := os.ReadFile(o)
			must(t, err)
			got["out/"+filepath.Base(o)] = b
		}
		if len(got) != 1+3*5+1 {
			t.Fatalf("--batch-size %s wrote %d files, want %d", n, len(got), 1+3*5+1)
		}
		// .arrow and .feather are IPC files (item 15), .arrows streams.
		for name, b := range got {
			isFile := bytes.HasPrefix(b, []byte("ARROW1")) && bytes.HasSuffix(b, []byte("ARROW1"))
			switch filepath.Ext(name) {
			case ".arrow", ".feather":
				if !isFile {
					t.Errorf("%s is not an Arrow IPC file (starts %q)", name, b[:8])
				}
			case ".arrows":
				if isFile || !bytes.HasPrefix(b, []byte{0xff, 0xff, 0xff, 0xff}) {
					t.Errorf("%s is not an Arrow IPC stream (starts %q)", name, b[:8])
				}
			}
		}
		if want == nil {
			want = got
			continue
		}
		for name, b := range want {
			if !bytes.Equal(got[name], b) {
				t.Errorf("--batch-size %s: %s differs from --batch-size 1", n, name)
			}
		}
	}
}

// dsbuildProcess runs the CLI in a child process (this test binary), so
// that a panic on any goroutine shows as what a user sees: exit 2 and a
// trace.
func (p *project) dsbuildProcess(t *testing.T, args ...string) (int, string) {
	t.Helper()
	args = append(args, "--cache", p.cache, "--mirror", p.mirror)
	js, err := json.Marshal(args)
	must(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestArrowChildProcess$")
	cmd.Env = append(os.Environ(), "DSBUILD_ARROW_CHILD="+string(js), "DSBUILD_CACHE="+p.cache)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stderr.String()
}

func TestArrowChildProcess(t *testing.T) {
	js := os.Getenv("DSBUILD_ARROW_CHILD")
	if js == "" {
		t.Skip("helper process for the malformed-input tests")
	}
	var args []string
	if err := json.Unmarshal([]byte(js), &args); err != nil {
		t.Fatal(err)
	}
	g := &globals{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(run(context.Background(), g, args))
}

// malformedIPC returns IPC inputs that are broken in the ways decoders
// meet: offsets pointing outside the data (what the IPC reader hands over
// unchecked), a stream cut short, a footer pointing outside the file,
// garbage after the magic.
func malformedIPC(t *testing.T) map[string][]byte {
	mem := memory.NewGoAllocator()
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
	}, nil)
	stream := func(s, l *array.Data) []byte {
		sa, la := array.MakeFromData(s), array.MakeFromData(l)
		rec := array.NewRecordBatch(sc, []arrow.Array{sa, la}, int64(sa.Len()))
		var b bytes.Buffer
		w := ipc.NewWriter(&b, ipc.WithSchema(sc), ipc.WithAllocator(mem))
		must(t, w.Write(rec))
		must(t, w.Close())
		return b.Bytes()
	}
	strs := func(offs []int32, data string) *array.Data {
		return array.NewData(arrow.BinaryTypes.String, len(offs)-1, []*memory.Buffer{nil,
			memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offs)), memory.NewBufferBytes([]byte(data))}, nil, 0, 0)
	}
	ints := array.NewData(arrow.PrimitiveTypes.Int32, 3, []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes([]int32{1, 2, 3}))}, nil, 0, 0)
	lists := func(offs []int32) *array.Data {
		return array.NewData(sc.Field(1).Type, len(offs)-1, []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offs))}, []arrow.ArrayData{ints}, 0, 0)
	}
	good := stream(strs([]int32{0, 2, 5}, "hello"), lists([]int32{0, 1, 3}))
	var file bytes.Buffer
	fw, err := ipc.NewFileWriter(&file, ipc.WithSchema(sc), ipc.WithAllocator(mem))
	must(t, err)
	rd, err := ipc.NewReader(bytes.NewReader(good))
	must(t, err)
	for rd.Next() {
		must(t, fw.Write(rd.RecordBatch()))
	}
	must(t, fw.Close())
	badFooter := bytes.Clone(file.Bytes())
	// The footer's length field: point it before the start of the file.
	n := len(badFooter)
	copy(badFooter[n-10:n-6], []byte{0xf0, 0xff, 0xff, 0x7f})
	return map[string][]byte{
		"schema_bomb.arrows":    arrowiotest.SchemaBomb(),
		"string_offsets.arrows": stream(strs([]int32{0, 2000000000, 5}, "hello"), lists([]int32{0, 1, 3})),
		"list_offsets.arrows":   stream(strs([]int32{0, 2, 5}, "hello"), lists([]int32{0, -7, 3})),
		"truncated.arrows":      good[:len(good)-20],
		"footer.arrow":          badFooter,
		"garbage.arrow":         append([]byte("ARROW1\x00\x00"), bytes.Repeat([]byte{0xff, 0x7f, 0x00, 0x41}, 100)...),
	}
}

// Issue 8, item 10: a malformed Arrow IPC input is a failed fetch (exit 1,
// naming the node and the file), never a panic (exit 2 and a trace), and
// nothing of it is cached: the second build fails the same way.
func TestMalformedIPCInputFailsTheFetch(t *testing.T) {
	for name, data := range malformedIPC(t) {
		t.Run(name, func(t *testing.T) {
			recipe := fmt.Sprintf("fetch \"x\" {\n  url = \"../data/%s\"\n}\n\noutput \"x\" {\n  input = fetch.x\n  path  = \"out/x.jsonl\"\n}\n", name)
			p := arrowProject(t, recipe, map[string][]byte{name: data})
			var first string
			for i := 0; i < 2; i++ {
				code, out := p.dsbuildProcess(t, "build", p.recipe())
				if code != exitFailed || strings.Contains(out, "goroutine ") || strings.Contains(out, "panic") {
					t.Fatalf("build %d: exit %d, want %d without a panic:\n%s", i+1, code, exitFailed, out)
				}
				if !strings.Contains(out, "fetch.x") || !strings.Contains(out, name) {
					t.Errorf("build %d: the error names neither the node nor the file:\n%s", i+1, out)
				}
				if i == 0 {
					first = out
				} else if out != first {
					t.Errorf("second build failed otherwise than the first (something was cached):\n%s\nfirst:\n%s", out, first)
				}
			}
			if _, err := os.Stat(filepath.Join(p.dir, "out", "x.jsonl")); err == nil {
				t.Errorf("an output was written from the malformed input")
			}
			if _, err := os.Stat(p.lock()); err == nil {
				t.Errorf("a lock was written for a failed build")
			}
		})
	}
}
