// Command gen writes a synthetic ESConv-like utterance table for the filter
// benchmark: the same rows as an Arrow IPC stream (utterances.arrows, the
// input dsbuild and the naive baseline read) and as Parquet
// (utterances.parquet, the input DuckDB reads), plus meta.json with the row
// count, the stream's sha256 and the number of rows matching
// empathy < 3 && speaker == "supporter".
//
// Output is a pure function of -rows, -seed and -batch: batch i is generated
// from its own PCG stream seeded with (seed, i), so batches are built in
// parallel and written in order.
//
//	go run ./gen -rows 10000000 -out ../work/filter/data
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Meta is written to meta.json; the benchmark driver reads it.
type Meta struct {
	Rows         int64  `json:"rows"`
	Seed         uint64 `json:"seed"`
	BatchRows    int    `json:"batch_rows"`
	ArrowFile    string `json:"arrow_file"`
	ArrowBytes   int64  `json:"arrow_bytes"`
	ArrowSHA256  string `json:"arrow_sha256"`
	ParquetFile  string `json:"parquet_file"`
	ParquetBytes int64  `json:"parquet_bytes"`
	// Matches[k] is the number of rows with empathy < k && speaker == "supporter", k = 0..6.
	Matches [7]int64 `json:"matches"`
}

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "conversation_id", Type: arrow.BinaryTypes.String},
	{Name: "turn", Type: arrow.PrimitiveTypes.Int32},
	{Name: "speaker", Type: arrow.BinaryTypes.String},
	{Name: "strategy", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "empathy", Type: arrow.PrimitiveTypes.Int64},
	{Name: "emotion_type", Type: arrow.BinaryTypes.String},
	{Name: "problem_type", Type: arrow.BinaryTypes.String},
	{Name: "text", Type: arrow.BinaryTypes.String},
}, nil)

var (
	strategies = []string{"Question", "Restatement or Paraphrasing", "Reflection of feelings", "Self-disclosure",
		"Affirmation and Reassurance", "Providing Suggestions", "Information", "Others"}
	emotions = []string{"anxiety", "depression", "sadness", "anger", "fear", "shame", "disgust", "nervousness",
		"pain", "jealousy", "guilt"}
	problems = []string{"ongoing depression", "job crisis", "breakup with partner", "problems with friends",
		"academic pressure", "procrastination", "alcohol abuse", "issues with parents", "sleep problems",
		"appearance anxiety", "school bullying", "issues with children", "conflict with partner"}
	baseWords = strings.Fields(`i you we they it that this feel feeling really very so just like think know
		want need can could would should have had been being was were is are am not never always sometimes
		work job boss school exam friend friends family mother father partner sister brother lonely tired
		anxious sad angry scared hurt worried stressed overwhelmed hopeless better worse help talk time day
		night week month year again still maybe because when what how why about with without from into over
		after before during sleep eat home money covid pandemic lost found try trying tried understand sounds
		hard difficult sorry glad hear happen happened going get got make made take took see say said tell
		told love hate miss life people someone everyone nothing something anything okay right thank thanks`)
)

// vocab is baseWords plus pseudo-words built from syllables, so text has a
// realistic spread of distinct tokens.
var vocab = func() []string {
	syl := strings.Fields("ka lo mi ne ru sa te vi bo da fe gu hi ja ko lu ma no pe qui ra si to un ve wa xe yo ze")
	r := rand.New(rand.NewPCG(7, 11))
	v := append([]string(nil), baseWords...)
	for len(v) < 4096 {
		n := 1 + r.IntN(4)
		var b strings.Builder
		for j := 0; j < n; j++ {
			b.WriteString(syl[r.IntN(len(syl))])
		}
		v = append(v, b.String())
	}
	return v
}()

type batch struct {
	rec     arrow.RecordBatch
	matches [7]int64
}

func genBatch(mem memory.Allocator, seed uint64, idx int, rows int) batch {
	r := rand.New(rand.NewPCG(seed, uint64(idx)+1))
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	conv := b.Field(0).(*array.StringBuilder)
	turn := b.Field(1).(*array.Int32Builder)
	spk := b.Field(2).(*array.StringBuilder)
	strat := b.Field(3).(*array.StringBuilder)
	emp := b.Field(4).(*array.Int64Builder)
	emo := b.Field(5).(*array.StringBuilder)
	prob := b.Field(6).(*array.StringBuilder)
	text := b.Field(7).(*array.StringBuilder)
	for _, f := range b.Fields() {
		f.Reserve(rows)
	}
	text.ReserveData(rows * 160)
	conv.ReserveData(rows * 14)

	var out batch
	var line []byte
	for i, c := 0, 0; i < rows; c++ {
		id := fmt.Sprintf("esconv-%03d-%05d", idx, c)
		nTurns := 10 + r.IntN(21) // 10..30 turns
		empathy := int64(1 + r.IntN(5))
		emotion := emotions[r.IntN(len(emotions))]
		problem := problems[r.IntN(len(problems))]
		for t := 0; t < nTurns && i < rows; t, i = t+1, i+1 {
			conv.Append(id)
			turn.Append(int32(t))
			supporter := t%2 == 1
			if supporter {
				spk.Append("supporter")
				strat.Append(strategies[r.IntN(len(strategies))])
				for k := empathy + 1; k < 7; k++ {
					out.matches[k]++
				}
			} else {
				spk.Append("seeker")
				strat.AppendNull()
			}
			emp.Append(empathy)
			emo.Append(emotion)
			prob.Append(problem)
			target := 100 + r.IntN(101) // 100..200 bytes
			line = line[:0]
			for len(line) < target {
				if len(line) > 0 {
					line = append(line, ' ')
				}
				line = append(line, vocab[r.IntN(len(vocab))]...)
			}
			line = append(line, '.')
			text.BinaryBuilder.Append(line)
		}
	}
	out.rec = b.NewRecordBatch()
	return out
}

func main() {
	rows := flag.Int64("rows", 10_000_000, "rows to generate")
	outDir := flag.String("out", "", "output directory (created)")
	seed := flag.Uint64("seed", 20261124, "generator seed")
	batchRows := flag.Int("batch", 64<<10, "rows per batch (and per Parquet row group)")
	flag.Parse()
	if *outDir == "" {
		fmt.Fprintln(os.Stderr, "gen: -out is required")
		os.Exit(2)
	}
	if err := run(*rows, *outDir, *seed, *batchRows); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(rows int64, outDir string, seed uint64, batchRows int) error {
	start := time.Now()
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	mem := memory.NewGoAllocator()
	meta := Meta{Rows: rows, Seed: seed, BatchRows: batchRows, ArrowFile: "utterances.arrows", ParquetFile: "utterances.parquet"}

	// Write to temporary names and rename at the end, so an interrupted run
	// never leaves a file that looks complete.
	arrowPath := filepath.Join(outDir, meta.ArrowFile)
	pqPath := filepath.Join(outDir, meta.ParquetFile)
	af, err := os.Create(arrowPath + ".tmp")
	if err != nil {
		return err
	}
	defer af.Close()
	pf, err := os.Create(pqPath + ".tmp")
	if err != nil {
		return err
	}
	defer pf.Close()
	h := sha256.New()
	aw := ipc.NewWriter(io.MultiWriter(af, h), ipc.WithSchema(schema), ipc.WithAllocator(mem))
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(true),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(int64(batchRows)),
	)
	// pqarrow closes its sink; keep the file open for the fsync below.
	pw, err := pqarrow.NewFileWriter(schema, struct{ io.Writer }{pf}, props, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		return err
	}

	nBatches := int((rows + int64(batchRows) - 1) / int64(batchRows))
	// Generators fill slots in parallel; writers consume them in order.
	workers := runtime.GOMAXPROCS(0)
	slots := make([]chan batch, nBatches)
	for i := range slots {
		slots[i] = make(chan batch, 1)
	}
	sem := make(chan struct{}, workers+2) // bounds batches in flight
	go func() {
		var wg sync.WaitGroup
		for i := 0; i < nBatches; i++ {
			sem <- struct{}{}
			n := batchRows
			if rem := rows - int64(i)*int64(batchRows); rem < int64(n) {
				n = int(rem)
			}
			wg.Add(1)
			go func(i, n int) {
				defer wg.Done()
				slots[i] <- genBatch(mem, seed, i, n)
			}(i, n)
		}
		wg.Wait()
	}()

	// The IPC and Parquet writers run side by side on each batch.
	type job struct {
		rec arrow.RecordBatch
		wg  *sync.WaitGroup
	}
	pqJobs := make(chan job, 2)
	pqErr := make(chan error, 1)
	go func() {
		var err error
		for j := range pqJobs {
			if err == nil {
				err = pw.Write(j.rec)
			}
			j.wg.Done()
		}
		pqErr <- err
	}()
	var written int64
	for i := 0; i < nBatches; i++ {
		bt := <-slots[i]
		for k := range meta.Matches {
			meta.Matches[k] += bt.matches[k]
		}
		var wg sync.WaitGroup
		wg.Add(1)
		pqJobs <- job{bt.rec, &wg}
		if err := aw.Write(bt.rec); err != nil {
			return err
		}
		wg.Wait()
		written += bt.rec.NumRows()
		bt.rec.Release()
		<-sem
		if i%20 == 0 || i == nBatches-1 {
			fmt.Fprintf(os.Stderr, "\rgen: %d/%d rows", written, rows)
		}
	}
	close(pqJobs)
	fmt.Fprintln(os.Stderr)
	if err := <-pqErr; err != nil {
		return err
	}
	if err := aw.Close(); err != nil {
		return err
	}
	if err := pw.Close(); err != nil {
		return err
	}
	for _, f := range []*os.File{af, pf} {
		if err := f.Sync(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	meta.ArrowSHA256 = hex.EncodeToString(h.Sum(nil))
	for _, p := range []struct {
		path string
		size *int64
	}{{arrowPath, &meta.ArrowBytes}, {pqPath, &meta.ParquetBytes}} {
		if err := os.Rename(p.path+".tmp", p.path); err != nil {
			return err
		}
		fi, err := os.Stat(p.path)
		if err != nil {
			return err
		}
		*p.size = fi.Size()
	}
	js, _ := json.MarshalIndent(meta, "", "  ")
	if err := os.WriteFile(filepath.Join(outDir, "meta.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: %d rows, arrow %.2f GB, parquet %.2f GB, %d match empathy<3 && supporter (%.1f%%), %.1fs\n",
		rows, float64(meta.ArrowBytes)/1e9, float64(meta.ParquetBytes)/1e9, meta.Matches[3],
		100*float64(meta.Matches[3])/float64(rows), time.Since(start).Seconds())
	return nil
}
