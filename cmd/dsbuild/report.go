package main

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dsbuild/dsbuild/internal/atomicfile"
	"github.com/dsbuild/dsbuild/internal/graph"
	"github.com/dsbuild/dsbuild/internal/store"
)

// The build report: one self-contained offline HTML page per build (no
// script, no network: styles inline, plots as data: URLs), written after
// a successful build to .dsbuild/report/<recipe>.html in the project (or
// --report PATH; --report none turns it off). It is a record of this run
// (times, what ran), so it is not an artifact and not in the lock:
//
//   - the build: recipe, lock digest, nodes run and cached, wall time;
//   - counts per source (and part, category, split) of every output table
//     with a `source` column;
//   - for every trajectory node, the mean of each drift statistic per part
//     (else source, else category): whether failed conversations drift
//     differently from successful ones, at a glance;
//   - every PNG the build wrote (plot nodes), inline;
//   - every node: kind, status (ran, cached, restored), rows, size, time.

//go:embed report.html.tmpl
var reportTemplate string

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"human": func(n int64) string { return human(float64(n)) },
	"secs": func(d time.Duration) string {
		if d == 0 {
			return ""
		}
		return fmt.Sprintf("%.2f s", d.Seconds())
	},
	"num": func(f float64) string {
		if math.IsNaN(f) {
			return "—"
		}
		return fmt.Sprintf("%.4g", f)
	},
}).Parse(reportTemplate))

type report struct {
	Recipe     string
	LockDigest string
	Built      string
	Ran        int
	Cached     int
	Wall       time.Duration
	Tables     []reportTable
	Drift      []reportDrift
	Plots      []reportPlot
	Nodes      []reportNode
}

type reportNode struct {
	ID, Kind, Status string
	Rows, Size       int64
	Took             time.Duration
}

// reportTable is one output table's rows counted by the label columns it
// has.
type reportTable struct {
	Node   string
	Path   string
	Rows   int64
	Counts []reportCounts
}

type reportCounts struct {
	Column string
	Values []reportCount
}

type reportCount struct {
	Value string
	N     int64
}

// reportDrift is one trajectory node's statistics averaged per group.
type reportDrift struct {
	Node    string
	GroupBy string
	Stats   []string // column names, e.g. proj_empathy_delta
	Rows    []reportDriftRow
}

type reportDriftRow struct {
	Group string
	N     int64
	Means []float64 // per stat: mean over the group's non-null values
}

type reportPlot struct {
	Node, Path string
	Data       template.URL
}

// labelColumns are the columns an output table is counted by.
var labelColumns = []string{"source", "part", "category", "split"}

// driftStats are the trajectory statistics the report averages.
var driftStats = []string{"delta", "slope", "max_excursion", "mean"}

// writeReport writes the build report; a failure is a warning, never the
// build's failure.
func writeReport(g *globals, o *buildOptions, p *graph.Plan, s store.Store, ev *events) {
	path := o.report
	if path == "none" {
		return
	}
	if path == "" {
		name := strings.TrimSuffix(filepath.Base(p.LockPath), filepath.Ext(p.LockPath))
		path = filepath.Join(p.ProjectDir, ".dsbuild", "report", name+".html")
	}
	if err := buildReport(p, s, ev, path); err != nil {
		fmt.Fprintf(g.stderr, "warning: build report: %v\n", err)
		return
	}
	ev.Logf("report: %s", relToCwd(path))
}

func buildReport(p *graph.Plan, s store.Store, ev *events, path string) error {
	lockBytes, err := os.ReadFile(p.LockPath)
	if err != nil {
		return err
	}
	ev.mu.Lock()
	r := report{
		Recipe:     strings.TrimSuffix(filepath.Base(p.LockPath), filepath.Ext(p.LockPath)),
		LockDigest: fmt.Sprintf("sha256:%x", sha256.Sum256(lockBytes)),
		Built:      time.Now().UTC().Format(time.RFC3339),
		Ran:        ev.ran,
		Cached:     ev.cached,
		Wall:       time.Since(ev.start),
	}
	took := map[string]time.Duration{}
	for k, v := range ev.took {
		took[k] = v
	}
	ev.mu.Unlock()
	lock, err := graph.ReadLock(p.LockPath)
	if err != nil {
		return err
	}
	mem := memory.DefaultAllocator
	for _, n := range p.Nodes {
		if n.Manifest == nil {
			continue
		}
		st := "ran"
		switch {
		case n.Cached && n.Restored:
			st = "restored"
		case n.Cached:
			st = "cached"
		}
		r.Nodes = append(r.Nodes, reportNode{ID: n.ID, Kind: n.Rec.Kind, Status: st, Rows: n.Manifest.Rows, Size: n.Manifest.Size, Took: took[n.ID]})
		switch {
		case n.Rec.Kind == "trajectory":
			d, err := driftSummary(p, s, n, mem)
			if err != nil {
				return fmt.Errorf("%s: %w", n.ID, err)
			}
			if d != nil {
				r.Drift = append(r.Drift, *d)
			}
		case n.Rec.Kind == "output":
			out, ok := lock.Outputs[n.ID]
			if !ok || !worthCounting(n) {
				continue
			}
			t, err := countTable(p, s, n, mem)
			if err != nil {
				return fmt.Errorf("%s: %w", n.ID, err)
			}
			if t != nil {
				t.Path = out.Path
				r.Tables = append(r.Tables, *t)
			}
		}
	}
	// Pictures: every PNG output the lock records, as the build left it.
	ids := make([]string, 0, len(lock.Outputs))
	for id := range lock.Outputs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		out := lock.Outputs[id]
		if !strings.HasSuffix(strings.ToLower(out.Path), ".png") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(p.ProjectDir, filepath.FromSlash(out.Path)))
		if err != nil {
			return err
		}
		r.Plots = append(r.Plots, reportPlot{Node: id, Path: out.Path, Data: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))})
	}
	var buf bytes.Buffer
	if err := reportPage.Execute(&buf, r); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(atomicfile.OS, path, buf.Bytes(), 0o644)
}

// maxCountedRows bounds the tables the report reads to count: a report is
// a glance, and a no-op build must stay quick.
const maxCountedRows = 5_000_000

// worthCounting tells from the stored schema, without reading data,
// whether an output's table has a source column and is small enough.
func worthCounting(n *graph.Node) bool {
	m := n.Manifest
	if len(n.Deps) == 1 && n.Deps[0].Manifest != nil {
		m = n.Deps[0].Manifest
	}
	if m == nil || m.Rows > maxCountedRows {
		return false
	}
	for _, f := range m.Schema {
		if f == "source: utf8" || f == "source: large_utf8" || strings.HasPrefix(f, "source: utf8 ") || strings.HasPrefix(f, "source: large_utf8 ") {
			return true
		}
	}
	return false
}

// countTable counts an output's rows by each label column it has; nil when
// it has none.
func countTable(p *graph.Plan, s store.Store, n *graph.Node, mem memory.Allocator) (*reportTable, error) {
	rd, err := p.OpenTable(s, n, mem)
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	var cols []int
	for _, name := range labelColumns {
		if idx := rd.Schema().FieldIndices(name); len(idx) == 1 && isStringType(rd.Schema().Field(idx[0]).Type) {
			cols = append(cols, idx[0])
		}
	}
	if len(cols) == 0 || rd.Schema().Field(cols[0]).Name != "source" {
		return nil, nil // counted only where rows say where they come from
	}
	counts := make([]map[string]int64, len(cols))
	for i := range counts {
		counts[i] = map[string]int64{}
	}
	t := &reportTable{Node: n.ID}
	for rd.Next() {
		rec := rd.RecordBatch()
		t.Rows += rec.NumRows()
		for i, c := range cols {
			a := rec.Column(c)
			for j := 0; j < a.Len(); j++ {
				counts[i][stringAt(a, j)]++
			}
		}
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	for i, c := range cols {
		rc := reportCounts{Column: rd.Schema().Field(c).Name}
		for v, k := range counts[i] {
			rc.Values = append(rc.Values, reportCount{Value: v, N: k})
		}
		sort.Slice(rc.Values, func(a, b int) bool { return rc.Values[a].Value < rc.Values[b].Value })
		t.Counts = append(t.Counts, rc)
	}
	return t, nil
}

// driftSummary averages a trajectory node's statistics per group.
func driftSummary(p *graph.Plan, s store.Store, n *graph.Node, mem memory.Allocator) (*reportDrift, error) {
	rd, err := p.OpenTable(s, n, mem)
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	sc := rd.Schema()
	group := -1
	d := &reportDrift{Node: n.ID}
	for _, name := range []string{"part", "source", "category"} {
		if idx := sc.FieldIndices(name); len(idx) == 1 && isStringType(sc.Field(idx[0]).Type) {
			group, d.GroupBy = idx[0], name
			break
		}
	}
	var stats []int
	for i, f := range sc.Fields() {
		for _, st := range driftStats {
			if strings.HasSuffix(f.Name, "_"+st) && f.Type.ID() == arrow.FLOAT64 {
				stats = append(stats, i)
				d.Stats = append(d.Stats, f.Name)
			}
		}
	}
	if len(stats) == 0 {
		return nil, nil
	}
	type acc struct {
		n    int64
		sum  []float64
		seen []int64
	}
	groups := map[string]*acc{}
	for rd.Next() {
		rec := rd.RecordBatch()
		for j := 0; j < int(rec.NumRows()); j++ {
			key := "all"
			if group >= 0 {
				key = stringAt(rec.Column(group), j)
			}
			a := groups[key]
			if a == nil {
				a = &acc{sum: make([]float64, len(stats)), seen: make([]int64, len(stats))}
				groups[key] = a
			}
			a.n++
			for k, c := range stats {
				col := rec.Column(c).(*array.Float64)
				if col.IsValid(j) && !math.IsNaN(col.Value(j)) {
					a.sum[k] += col.Value(j)
					a.seen[k]++
				}
			}
		}
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a := groups[k]
		row := reportDriftRow{Group: k, N: a.n, Means: make([]float64, len(stats))}
		for i := range stats {
			row.Means[i] = math.NaN()
			if a.seen[i] > 0 {
				row.Means[i] = a.sum[i] / float64(a.seen[i])
			}
		}
		d.Rows = append(d.Rows, row)
	}
	return d, nil
}

func isStringType(dt arrow.DataType) bool {
	return dt.ID() == arrow.STRING || dt.ID() == arrow.LARGE_STRING
}

func stringAt(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "(null)"
	}
	switch c := a.(type) {
	case *array.String:
		return c.Value(i)
	case *array.LargeString:
		return c.Value(i)
	}
	return a.ValueStr(i)
}
