package ops

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

const mixFetches = "fetch \"a\" { url = \"a.json\" }\nfetch \"b\" { url = \"b.json\" }\n"

var (
	mixSchemaA = arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32}, {Name: "conv", Type: arrow.BinaryTypes.String}}, nil)
	mixSchemaB = arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "extra", Type: arrow.FixedWidthTypes.Boolean}}, nil)
)

// mixRows builds fetch.a (20 rows in 5 conversations c0..c4 of 4 rows,
// interleaved) and fetch.b (6 rows), runs the mix src in batches of size
// and returns the output rows.
func runMix(t *testing.T, src string, size int) ([]string, error) {
	t.Helper()
	mem := checked()
	defer mem.AssertSize(t, 0)
	n, env := loadNode(t, mixFetches+src, "mix.m", nil)
	op, diags := mixSpec.New(n, env)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var a, b []string
	for i := 0; i < 20; i++ {
		a = append(a, fmt.Sprintf(`{"id":%d,"conv":"c%d"}`, i, i%5))
	}
	for i := 0; i < 6; i++ {
		b = append(b, fmt.Sprintf(`{"id":%d,"extra":%v}`, 100+i, i%2 == 0))
	}
	ra := fromJSON(t, mem, mixSchemaA, "["+strings.Join(a, ",")+"]")
	defer ra.Release()
	rb := fromJSON(t, mem, mixSchemaB, "["+strings.Join(b, ",")+"]")
	defer rb.Release()
	var recs []arrow.RecordBatch
	for _, d := range n.Deps {
		if d == "fetch.a" {
			recs = append(recs, ra)
		} else {
			recs = append(recs, rb)
		}
	}
	schemas := make([]*arrow.Schema, len(recs))
	var ins []Input
	for i, r := range recs {
		schemas[i] = r.Schema()
		in, release := sliced(r, size)
		defer release()
		ins = append(ins, in)
	}
	out, diags := op.Prepare(schemas)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// Both parts: unified by name, int32 widened, the part label last.
	if got, want := SchemaString(out), "id: int64 not null, conv: utf8, extra: bool, part: utf8 not null"; strings.Contains(src, "fetch.a") && strings.Contains(src, "fetch.b") && got != want {
		t.Errorf("schema %s, want %s", got, want)
	}
	res, err := run(t, context.Background(), mem, op, out, RunContext{Inputs: ins, BatchSize: size})
	if err != nil {
		return nil, err
	}
	return res.Rows, nil
}

func count(rows []string, sub string) int {
	c := 0
	for _, r := range rows {
		if strings.Contains(r, sub) {
			c++
		}
	}
	return c
}

func TestMix(t *testing.T) {
	tests := []struct {
		name, src string
		check     func(t *testing.T, rows []string)
	}{
		{"n rows and groups", `mix "m" {
  seed = 3
  part "convs" {
    input = fetch.a
    n     = 2
    by    = conv
  }
  part "b" {
    input = fetch.b
    n     = 4
  }
}`, func(t *testing.T, rows []string) {
			if len(rows) != 12 || count(rows, `"part":"convs"`) != 8 || count(rows, `"part":"b"`) != 4 {
				t.Fatalf("rows %d, want 8 of 2 conversations and 4 of b:\n%s", len(rows), strings.Join(rows, "\n"))
			}
			convs := map[string]bool{}
			for _, r := range rows[:8] {
				convs[r[strings.Index(r, `"conv":`):][:11]] = true
			}
			if len(convs) != 2 {
				t.Errorf("8 rows of %d conversations, want whole groups of 2: %v", len(convs), convs)
			}
		}},
		{"fraction and weight", `mix "m" {
  seed = 3
  n    = 3
  part "x" {
    input  = fetch.a
    weight = 1
  }
  part "y" {
    input  = fetch.b
    weight = 2
  }
}`, func(t *testing.T, rows []string) {
			if count(rows, `"part":"x"`) != 1 || count(rows, `"part":"y"`) != 2 {
				t.Errorf("weights 1:2 of n = 3 gave %v", rows)
			}
		}},
		{"fraction of groups", `mix "m" {
  seed = 3
  part "x" {
    input    = fetch.a
    fraction = 0.4
    by       = conv
  }
}`, func(t *testing.T, rows []string) {
			if len(rows) != 8 {
				t.Errorf("fraction 0.4 of 5 conversations of 4 rows: %d rows, want 8", len(rows))
			}
		}},
		{"replace over-asks", `mix "m" {
  seed    = 3
  replace = true
  part "b" {
    input = fetch.b
    n     = 10
  }
}`, func(t *testing.T, rows []string) {
			if len(rows) != 10 {
				t.Errorf("replace with n = 10 of 6 rows: %d rows", len(rows))
			}
		}},
		{"shuffle keeps groups together", `mix "m" {
  seed    = 3
  shuffle = true
  part "x" {
    input = fetch.a
    n     = 3
    by    = conv
  }
  part "b" {
    input = fetch.b
    n     = 6
  }
}`, func(t *testing.T, rows []string) {
			if len(rows) != 18 {
				t.Fatalf("%d rows, want 18", len(rows))
			}
			// Each conversation's 4 rows are adjacent.
			for i := 0; i < len(rows); {
				if !strings.Contains(rows[i], `"part":"x"`) {
					i++
					continue
				}
				c := rows[i][strings.Index(rows[i], `"conv":`):][:11]
				for k := 1; k < 4; k++ {
					if !strings.Contains(rows[i+k], c) {
						t.Fatalf("conversation %s split by the shuffle:\n%s", c, strings.Join(rows, "\n"))
					}
				}
				i += 4
			}
			// Shuffled: the parts interleave (seeded, so this is fixed).
			if strings.Contains(strings.Join(rows[:12], ""), `"part":"b"`) == false {
				t.Errorf("shuffle left the parts in order:\n%s", strings.Join(rows, "\n"))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first []string
			for _, size := range []int{1, 3, 1024} {
				rows, err := runMix(t, tt.src, size)
				if err != nil {
					t.Fatal(err)
				}
				if first == nil {
					first = rows
					tt.check(t, rows)
				} else if strings.Join(rows, "\n") != strings.Join(first, "\n") {
					t.Errorf("batch size %d changed the output:\n%s\nvs\n%s", size, strings.Join(rows, "\n"), strings.Join(first, "\n"))
				}
			}
		})
	}
}

func TestMixOverAskNamesThePart(t *testing.T) {
	_, err := runMix(t, `mix "m" {
  seed = 3
  part "small" {
    input = fetch.b
    n     = 7
  }
}`, 4)
	if err == nil || !strings.Contains(err.Error(), `part "small" asks for 7 rows`) || !strings.Contains(err.Error(), "only 6") || !strings.Contains(err.Error(), "replace = true") {
		t.Fatalf("err = %v, want one naming the part, the count and replace", err)
	}
}

// A part's draw depends on its own attributes only: changing another
// part's n leaves it alone.
func TestMixPartsDrawIndependently(t *testing.T) {
	mk := func(nb int) string {
		return fmt.Sprintf(`mix "m" {
  seed = 3
  part "x" {
    input = fetch.a
    n     = 5
  }
  part "b" {
    input = fetch.b
    n     = %d
  }
}`, nb)
	}
	r1, err := runMix(t, mk(2), 7)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := runMix(t, mk(5), 7)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r1[:5], "\n") != strings.Join(r2[:5], "\n") {
		t.Errorf("part x changed with part b's n:\n%s\nvs\n%s", strings.Join(r1[:5], "\n"), strings.Join(r2[:5], "\n"))
	}
}

// Every attribute of a part reaches the params (references reach the key
// as roles, graph.TestBlockReferencesAreRoles).
func TestMixParamsCoverParts(t *testing.T) {
	base := `mix "m" {
  seed = 3
  part "x" {
    input = fetch.a
    %s
  }
}`
	variants := []string{"n = 2", "n = 3", "fraction = 0.5", "fraction = 0.25", "n = 2\n    by = conv", "n = 2\n    by = id", "fraction = 0.5\n    by = conv"}
	seen := map[string]string{}
	for _, v := range variants {
		ps := mustOp(t, mixFetches+fmt.Sprintf(base, v), "mix.m").Params()
		var b strings.Builder
		for _, p := range ps {
			b.WriteString(p.Name + "=" + p.Value + "\n")
		}
		if prev, ok := seen[b.String()]; ok {
			t.Errorf("%q and %q give the same params:\n%s", prev, v, b.String())
		}
		seen[b.String()] = v
	}
	// Labels and part order are output.
	two := func(l1, l2 string) []Param {
		return mustOp(t, mixFetches+fmt.Sprintf(`mix "m" {
  seed = 3
  part %q {
    input = fetch.a
    n = 1
  }
  part %q {
    input = fetch.b
    n = 1
  }
}`, l1, l2), "mix.m").Params()
	}
	if fmt.Sprint(two("p", "q")) == fmt.Sprint(two("q", "p")) || fmt.Sprint(two("p", "q")) == fmt.Sprint(two("p", "r")) {
		t.Errorf("part labels or order do not reach the params")
	}
	weighted := paramMap(mustOp(t, mixFetches+`mix "m" {
  seed = 3
  n = 5
  part "x" {
    input = fetch.a
    weight = 2
  }
}`, "mix.m").Params())
	if weighted[`part["x"]`] != "{weight=2}" || weighted["n"] != "5" {
		t.Errorf("weighted params = %v", weighted)
	}
}

func TestMixDiagnostics(t *testing.T) {
	for _, tt := range []struct {
		src  string
		subs []string
	}{
		{`mix "m" {
  seed = 1
  part "x" {
    input = fetch.a
  }
}`, []string{"Part size", `"x"`, "exactly one"}},
		{`mix "m" {
  seed = 1
  part "x" {
    input = fetch.a
    n = 1
    fraction = 0.5
  }
}`, []string{"Part size", "sets 2"}},
		{`mix "m" {
  seed = 1
  part "x" {
    input = fetch.a
    weight = 1
  }
}`, []string{"Missing mix size"}},
		{`mix "m" {
  seed = 1
  part "x" {
    input = fetch.a
    fraction = 1.5
  }
}`, []string{"fraction must be between 0 and 1"}},
	} {
		_, diags := newOp(t, mixFetches+tt.src, "mix.m", nil, nil)
		wantDiag(t, diags, tt.subs...)
	}
	// Conflicting types across parts name both parts' inputs.
	op := mustOp(t, mixFetches+`mix "m" {
  seed = 1
  part "x" {
    input = fetch.a
    n = 1
  }
  part "y" {
    input = fetch.b
    n = 1
  }
}`, "mix.m")
	bad := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}}, nil)
	_, diags := op.Prepare([]*arrow.Schema{mixSchemaA, bad})
	wantDiag(t, diags, "Incompatible column types", `fetch.a (part["x"].input)`, `fetch.b (part["y"].input)`, `"id"`)
}
