package ops

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dsbuild/dsbuild/internal/arrowio"
	"github.com/dsbuild/dsbuild/internal/sharedtest"
)

// batches is an op's output held in memory, readable as an Input.
type batches struct {
	schema *arrow.Schema
	recs   []arrow.RecordBatch
}

func (b *batches) input() Input {
	var rows int64
	for _, r := range b.recs {
		rows += r.NumRows()
	}
	return Input{Schema: b.schema, Rows: rows, Open: func() (array.RecordReader, error) {
		return array.NewRecordReader(b.schema, b.recs)
	}}
}

func (b *batches) rows() int64 { return b.input().Rows }

func (b *batches) release() {
	for _, r := range b.recs {
		r.Release()
	}
}

// runOp prepares op over the inputs (in the node's dependency order) and
// keeps what it emits.
func runOp(ctx context.Context, mem memory.Allocator, op Op, inputs []Input, batch int) (*batches, error) {
	schemas := make([]*arrow.Schema, len(inputs))
	for i, in := range inputs {
		schemas[i] = in.Schema
	}
	out, diags := op.Prepare(schemas)
	if diags.HasErrors() {
		return nil, diags
	}
	b := &batches{schema: out}
	err := op.Run(ctx, &RunContext{Mem: mem, Inputs: inputs, BatchSize: batch, Emit: func(rec arrow.RecordBatch) error {
		if !rec.Schema().Equal(out) {
			return fmt.Errorf("emitted schema %s, prepared %s", rec.Schema(), out)
		}
		rec.Retain()
		b.recs = append(b.recs, rec)
		return nil
	}})
	if err != nil {
		b.release()
		return nil, err
	}
	return b, nil
}

// readCSV reads a CSV file as all-string columns.
func readCSV(t *testing.T, mem memory.Allocator, path string, cols []string, batch int) *batches {
	t.Helper()
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	rd, err := arrowio.Open(context.Background(), mem, []string{path}, arrowio.ReadOptions{Format: arrowio.CSV, Schema: schema, BatchSize: batch})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	b := &batches{schema: schema}
	for rd.Next() {
		rec := rd.RecordBatch()
		rec.Retain()
		b.recs = append(b.recs, rec)
	}
	if err := rd.Err(); err != nil {
		b.release()
		t.Fatal(err)
	}
	return b
}

// The Empathy-Mental-Health Reddit mechanism files repeat 61 (sp_id, rp_id)
// pairs: joining them reports the duplicates (3,084 rows, 3,023 distinct
// pairs) unless many = true; after distinct, the three-way inner join has
// 3,023 rows with the three level columns.
func TestJoinEmpathyRedditMechanisms(t *testing.T) {
	dir := sharedtest.Dir(t, "data/empathy_mental_health")
	cols := []string{"sp_id", "rp_id", "seeker_post", "response_post", "level", "rationales"}
	const src = `fetch "ex" { url = "x.json" }
fetch "ip" { url = "x.json" }
join "dup" {
  left  = fetch.in
  right = fetch.ex
  on    = ["sp_id", "rp_id"]
}
join "many" {
  left  = fetch.in
  right = fetch.ex
  on    = ["sp_id", "rp_id"]
  many  = true
}
distinct "d" {
  input = fetch.in
  by    = [sp_id, rp_id]
}
join "er_ex" {
  left   = fetch.in
  right  = fetch.ex
  on     = { sp_id = "sp_id", rp_id = "rp_id" }
  suffix = "_ex"
}
join "all" {
  left   = fetch.in
  right  = fetch.ip
  on     = ["sp_id", "rp_id"]
  suffix = "_ip"
}
`
	for _, batch := range []int{1000, 4096} {
		t.Run(fmt.Sprint("batch", batch), func(t *testing.T) {
			ctx := context.Background()
			mem := checked()
			defer mem.AssertSize(t, 0)
			er := readCSV(t, mem, filepath.Join(dir, "emotional-reactions-reddit.csv"), cols, batch)
			defer er.release()
			ex := readCSV(t, mem, filepath.Join(dir, "explorations-reddit.csv"), cols, batch)
			defer ex.release()
			ip := readCSV(t, mem, filepath.Join(dir, "interpretations-reddit.csv"), cols, batch)
			defer ip.release()
			for _, b := range []*batches{er, ex, ip} {
				if b.rows() != 3084 {
					t.Fatalf("read %d rows, want 3084", b.rows())
				}
			}

			_, err := runOp(ctx, mem, mustOp(t, src, "join.dup"), []Input{er.input(), ex.input()}, batch)
			if err == nil {
				t.Fatal("joining the mechanism files on (sp_id, rp_id) did not report the duplicate keys")
			}
			for _, want := range []string{"fetch.ex", "3084 rows", "3023 distinct", "sp_id", "rp_id", "many = true"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}

			many, err := runOp(ctx, mem, mustOp(t, src, "join.many"), []Input{er.input(), ex.input()}, batch)
			if err != nil {
				t.Fatal(err)
			}
			// 2,963 single pairs, 59 pairs twice (2×2 each), one 3 times (3×3).
			if got, want := many.rows(), int64(2963+59*4+9); got != want {
				t.Errorf("many = true: %d rows, want %d", got, want)
			}
			many.release()

			dist := mustOp(t, src, "distinct.d")
			dedup := make([]*batches, 3)
			for i, b := range []*batches{er, ex, ip} {
				d, err := runOp(ctx, mem, dist, []Input{b.input()}, batch)
				if err != nil {
					t.Fatal(err)
				}
				defer d.release()
				if d.rows() != 3023 {
					t.Errorf("distinct by (sp_id, rp_id): %d rows, want 3023", d.rows())
				}
				dedup[i] = d
			}
			erEx, err := runOp(ctx, mem, mustOp(t, src, "join.er_ex"), []Input{dedup[0].input(), dedup[1].input()}, batch)
			if err != nil {
				t.Fatal(err)
			}
			defer erEx.release()
			all, err := runOp(ctx, mem, mustOp(t, src, "join.all"), []Input{erEx.input(), dedup[2].input()}, batch)
			if err != nil {
				t.Fatal(err)
			}
			defer all.release()
			if all.rows() != 3023 {
				t.Errorf("three-way inner join: %d rows, want 3023", all.rows())
			}
			var levels []string
			for _, f := range all.schema.Fields() {
				if strings.HasPrefix(f.Name, "level") {
					levels = append(levels, f.Name)
				}
			}
			if got := strings.Join(levels, ","); got != "level,level_ex,level_ip" {
				t.Errorf("level columns = %s, want level,level_ex,level_ip (schema %s)", got, SchemaString(all.schema))
			}
			// Each pair's first row per file: the level columns come from
			// the right file (checked on the first pair of the ER file).
			first := all.recs[0]
			if first.Column(0).(*array.String).Value(0) != er.recs[0].Column(0).(*array.String).Value(0) {
				t.Errorf("first output row is not the first ER row")
			}
		})
	}
}

// edConversations builds one row per dialogue_id of an ED split, in order
// of first appearance: its first utterance (turn 1) and its number of
// utterances, straight from the CSV (aggregate, another op, does this in a
// recipe).
func edConversations(t *testing.T, mem memory.Allocator, path string) arrow.RecordBatch {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	type conv struct {
		first string
		n     int64
	}
	var order []string
	convs := map[string]*conv{}
	for _, r := range recs[1:] {
		id, turn, text := r[1], r[2], r[3]
		c := convs[id]
		if c == nil {
			c = &conv{}
			convs[id] = c
			order = append(order, id)
		}
		if turn == "1" {
			c.first = text
		}
		c.n++
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "dialogue_id", Type: arrow.BinaryTypes.String},
		{Name: "first", Type: arrow.BinaryTypes.String},
		{Name: "n_utterances", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, id := range order {
		b.Field(0).(*array.StringBuilder).Append(id)
		b.Field(1).(*array.StringBuilder).Append(convs[id].first)
		b.Field(2).(*array.Int64Builder).Append(convs[id].n)
	}
	return b.NewRecordBatch()
}

// EmpatheticDialogues repeats each conversation as growing prefixes under
// several dialogue_ids: distinct by first utterance keeping the longest
// gives the underlying conversations (valid: 2,748 with 11,412 utterances;
// test: 2,534 with 10,476).
func TestDistinctEmpatheticDialoguesLongestPrefix(t *testing.T) {
	dir := sharedtest.Dir(t, "data/empathetic_dialogues")
	op := mustOp(t, block(`distinct "d" { input = fetch.in; by = first; keep = "last"; order_by = n_utterances }`), "distinct.d")
	for _, tt := range []struct {
		file             string
		ids, convs, utts int64
	}{{"valid.csv", 5734, 2748, 11412}, {"test.csv", 5255, 2534, 10476}} {
		for _, batch := range []int{1, 7, 4096} {
			mem := checked()
			rec := edConversations(t, mem, filepath.Join(dir, tt.file))
			if rec.NumRows() != tt.ids {
				t.Fatalf("%s: %d dialogue_ids, want %d", tt.file, rec.NumRows(), tt.ids)
			}
			in, release := sliced(rec, batch)
			out, err := runOp(context.Background(), mem, op, []Input{in}, batch)
			if err != nil {
				t.Fatal(err)
			}
			var utts int64
			for _, r := range out.recs {
				for _, n := range r.Column(2).(*array.Int64).Int64Values() {
					utts += n
				}
			}
			if out.rows() != tt.convs || utts != tt.utts {
				t.Errorf("%s batch %d: %d conversations with %d utterances, want %d with %d", tt.file, batch, out.rows(), utts, tt.convs, tt.utts)
			}
			out.release()
			release()
			rec.Release()
			mem.AssertSize(t, 0)
		}
	}
}
