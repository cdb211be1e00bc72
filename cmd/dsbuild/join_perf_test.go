package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// joinPerfFiles are a left table of 3000 rows and two right tables of 1000
// unique keys each: one a permutation of 0..999 (the join indexes it by
// key rank and stores its columns in key order), one spread over 10^9
// values (a hash index). About 80% of the left keys match; some are null,
// as are some right values.
func joinPerfFiles() (map[string][]byte, map[string]int, map[int64]string) {
	rng := rand.New(rand.NewPCG(10, 3))
	var left, dense, wide bytes.Buffer
	inDense := map[int]bool{}
	tOf := map[int64]string{} // the right t of each dense key
	for i, k := range rng.Perm(1000) {
		inDense[k] = true
		tOf[int64(k)] = fmt.Sprintf("d%d", i)
		b := fmt.Sprintf("%g", float64(i)/8)
		if i%9 == 4 {
			b = "null"
		}
		fmt.Fprintf(&dense, `{"id": %d, "b": %s, "t": "d%d"}`+"\n", k, b, i)
		fmt.Fprintf(&wide, `{"id": %d, "b": %s, "t": "w%d"}`+"\n", int64(k)*1000003, b, i)
	}
	counts := map[string]int{}
	for i := range 3000 {
		k := rng.IntN(1250)
		if i%13 == 5 {
			fmt.Fprintf(&left, `{"id": null, "a": %d, "s": "l%d"}`+"\n", i, i)
			counts["anti"]++
			continue
		}
		fmt.Fprintf(&left, `{"id": %d, "wid": %d, "a": %d, "s": "l%d"}`+"\n", k, int64(k)*1000003, i, i)
		if inDense[k] {
			counts["inner"]++
		} else {
			counts["anti"]++
		}
	}
	return map[string][]byte{"left.jsonl": left.Bytes(), "dense.jsonl": dense.Bytes(), "wide.jsonl": wide.Bytes()}, counts, tOf
}

const joinPerfRecipe = `fetch "left" {
  url    = "../data/left.jsonl"
  schema = { id = "int64", wid = "int64", a = "int64", s = "string" }
}
fetch "dense" {
  url    = "../data/dense.jsonl"
  schema = { id = "int64", b = "float64", t = "string" }
}
fetch "wide" {
  url    = "../data/wide.jsonl"
  schema = { id = "int64", b = "float64", t = "string" }
}
join "dense" {
  left  = fetch.left
  right = fetch.dense
  on    = ["id"]
}
join "wide" {
  left  = fetch.left
  right = fetch.wide
  on    = { wid = "id" }
}
join "left" {
  left  = fetch.left
  right = fetch.dense
  on    = ["id"]
  how   = "left"
}
join "semi" {
  left  = fetch.left
  right = fetch.wide
  on    = { wid = "id" }
  how   = "semi"
}
join "anti" {
  left  = fetch.left
  right = fetch.dense
  on    = ["id"]
  how   = "anti"
}
output "dense" {
  input = join.dense
  path  = "out/dense.jsonl"
}
output "wide" {
  input = join.wide
  path  = "out/wide.jsonl"
}
output "left" {
  input = join.left
  path  = "out/left.arrow"
}
output "semi" {
  input = join.semi
  path  = "out/semi.jsonl"
}
output "anti" {
  input = join.anti
  path  = "out/anti.parquet"
}
`

// The join's fast paths (key-rank and hash indexes, the matched rows handed
// to the artifact writer as a selection, batches probed on several
// workers) change no byte: the lock and every output are the same at
// --batch-size 1, 7 and 4096 and --jobs 1, 2 and 8, and the joins give
// the rows the keys call for, in left order.
func TestJoinPathsSameBytesAnyBatchSizeOrJobs(t *testing.T) {
	files, counts, tOf := joinPerfFiles()
	outs := []string{"dense.jsonl", "wide.jsonl", "left.arrow", "semi.jsonl", "anti.parquet"}
	var want map[string][]byte
	for _, run := range [][2]string{{"4096", "2"}, {"1", "1"}, {"7", "8"}} {
		p := arrowProject(t, joinPerfRecipe, files)
		code, _, stderr := p.dsbuild(t, "build", p.recipe(), "--batch-size", run[0], "--jobs", run[1])
		if code != 0 {
			t.Fatalf("build --batch-size %s --jobs %s: exit %d\n%s", run[0], run[1], code, stderr)
		}
		got := map[string][]byte{}
		lock, err := os.ReadFile(p.lock())
		must(t, err)
		got["lock"] = lock
		for _, o := range outs {
			b, err := os.ReadFile(filepath.Join(p.dir, "out", o))
			must(t, err)
			got[o] = b
		}
		if want == nil {
			want = got
			lines := func(o string) []string { return strings.Split(strings.TrimSpace(string(got[o])), "\n") }
			dense, wide := lines("dense.jsonl"), lines("wide.jsonl")
			if len(dense) != counts["inner"] || len(wide) != counts["inner"] {
				t.Fatalf("inner joins gave %d (dense keys) and %d (wide keys) rows, want %d", len(dense), len(wide), counts["inner"])
			}
			if n := len(lines("semi.jsonl")); n != counts["inner"] {
				t.Errorf("semi join: %d rows, want %d", n, counts["inner"])
			}
			// Each row has its key's right values, and both indexes find
			// the same left rows, in left order.
			var prev int64 = -1
			for i := range dense {
				var d, w struct {
					ID, A int64
					T     string
				}
				must(t, json.Unmarshal([]byte(dense[i]), &d))
				must(t, json.Unmarshal([]byte(wide[i]), &w))
				if d.T != tOf[d.ID] || w.T != "w"+strings.TrimPrefix(tOf[d.ID], "d") || d.A != w.A || d.A <= prev {
					t.Fatalf("row %d: dense-key join %s, wide-key join %s; key %d has t %s", i, dense[i], wide[i], d.ID, tOf[d.ID])
				}
				prev = d.A
			}
			if !strings.Contains(string(got["dense.jsonl"]), `"b":null`) {
				t.Error("no null right value reached the inner join's output")
			}
			continue
		}
		for k, b := range want {
			if !bytes.Equal(got[k], b) {
				t.Errorf("--batch-size %s --jobs %s: %s differs from --batch-size 4096 --jobs 2", run[0], run[1], k)
			}
		}
	}
}
