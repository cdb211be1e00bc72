package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// aggPerfRecipe groups the same rows twice: "flat" by an integer key with
// count/sum/mean/min/max/any/all (the shape that groups on several
// workers), and "general" the same with an order_by that changes no result
// but takes the one-core path.
const aggPerfRecipe = `fetch "rows" {
  url = "../data/rows.jsonl"
}

aggregate "flat" {
  input = fetch.rows
  by    = [k]
  agg = {
    n    = count()
    nx   = count(x)
    s    = sum(v)
    fs   = sum(x)
    m    = mean(x)
    lo   = min(x)
    hi   = max(v + 1)
    some = any(ok)
    all  = all(ok)
  }
}

aggregate "general" {
  input    = fetch.rows
  by       = [k]
  order_by = [row_number()]
  agg = {
    n    = count()
    nx   = count(x)
    s    = sum(v)
    fs   = sum(x)
    m    = mean(x)
    lo   = min(x)
    hi   = max(v + 1)
    some = any(ok)
    all  = all(ok)
  }
}

aggregate "sorted" {
  input = fetch.rows
  by    = [k]
  sort  = true
  agg   = { n = count(), m = mean(x) }
}

output "flat" {
  input = aggregate.flat
  path  = "out/flat.arrow"
}

output "flat_jsonl" {
  input = aggregate.flat
  path  = "out/flat.jsonl"
}

output "general" {
  input = aggregate.general
  path  = "out/general.arrow"
}

output "general_jsonl" {
  input = aggregate.general
  path  = "out/general.jsonl"
}

output "sorted" {
  input = aggregate.sorted
  path  = "out/sorted.jsonl"
}
`

// aggPerfRows: 20,000 rows over about 3,000 keys (some null), with null
// values and float sums that depend on their order.
func aggPerfRows() []byte {
	var b bytes.Buffer
	for i := 0; i < 20000; i++ {
		k := fmt.Sprint((i*7919)%3001 - 1000)
		if i%97 == 0 {
			k = "null"
		}
		x := fmt.Sprint(math.Sin(float64(i)) * math.Pow(10, float64(i%13-6)))
		if i%31 == 0 {
			x = "null"
		}
		fmt.Fprintf(&b, `{"k": %s, "v": %d, "x": %s, "ok": %v}`+"\n", k, (i*31)%1001-500, x, i%5 != 0)
	}
	return b.Bytes()
}

// Issue 10, Performance: the aggregate that groups on several workers
// gives the same bytes as the one-core path, at every --jobs and
// --batch-size, and the same lock.
func TestAggregateParallelGroupingIsByteIdentical(t *testing.T) {
	rows := aggPerfRows()
	var want map[string][]byte
	for _, run := range [][]string{{"--jobs", "1", "--batch-size", "4096"}, {"--jobs", "8", "--batch-size", "7"}, {"--jobs", "2", "--batch-size", "1000"}, {"--jobs", "8", "--batch-size", "4096"}} {
		p := arrowProject(t, aggPerfRecipe, map[string][]byte{"rows.jsonl": rows})
		code, _, stderr := p.dsbuild(t, append([]string{"build", p.recipe()}, run...)...)
		if code != 0 {
			t.Fatalf("build %v: exit %d\n%s", run, code, stderr)
		}
		got := map[string][]byte{}
		for _, f := range []string{"out/flat.arrow", "out/flat.jsonl", "out/general.arrow", "out/general.jsonl", "out/sorted.jsonl", "lockfiles/esconv.lock"} {
			b, err := os.ReadFile(filepath.Join(p.dir, f))
			must(t, err)
			got[f] = b
		}
		if !bytes.Equal(got["out/flat.arrow"], got["out/general.arrow"]) || !bytes.Equal(got["out/flat.jsonl"], got["out/general.jsonl"]) {
			t.Errorf("build %v: the flat aggregate's output differs from the general one's", run)
		}
		if n := bytes.Count(got["out/flat.jsonl"], []byte("\n")); n != 3002 {
			t.Errorf("build %v: %d groups, want 3002 (3,001 keys and null)", run, n)
		}
		if !strings.HasPrefix(string(got["out/sorted.jsonl"]), `{"k":null,`) {
			t.Errorf("build %v: sorted output starts %.40q, want the null key first", run, got["out/sorted.jsonl"])
		}
		if want == nil {
			want = got
			continue
		}
		for f, b := range want {
			if !bytes.Equal(got[f], b) {
				t.Errorf("build %v: %s differs from the first build's", run, f)
			}
		}
	}
}
