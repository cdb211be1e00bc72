// Package card writes the documentation of a built dataset: a Hugging Face
// dataset card (README.md with a YAML header) and an MLCommons Croissant 1.0
// description (croissant.json).
//
// Both are pure functions of what they are given — the table's schema and
// counts, the data files as the lock records them, and the recipe's text
// attributes — so a card is as reproducible as the data it describes. The
// package never reads files, the clock or the environment.
package card

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// File is one data file the card describes, as the lock records it.
type File struct {
	Path      string // relative to the card's folder, slash-separated
	Format    string // parquet, jsonl, csv, arrow, arrows
	MediaType string
	SHA256    string // hex
	Size      int64
	Rows      int64
}

// Count is the number of rows with one value of a column.
type Count struct {
	Value string // "" with Null set for null
	Null  bool
	N     int64
}

// Source is what the table says about one source: its rows, licenses and
// upstream files.
type Source struct {
	Name      string
	N         int64
	Licenses  []string // sorted, distinct
	Upstreams []string // sorted, distinct
}

// Stats is what the card reports of the table.
type Stats struct {
	Rows      int64
	Counts    []ColumnCounts // in the order the recipe asks for
	Sources   []Source       // sorted by name
	Languages []string       // sorted, distinct
	Licenses  []string       // every row license, sorted, distinct
}

// ColumnCounts are the counts of one column's values, sorted by value
// (null last).
type ColumnCounts struct {
	Column string
	Counts []Count
}

// Meta is what the recipe says about the dataset.
type Meta struct {
	Title          string
	Description    string
	Citations      []string // BibTeX entries
	TaskCategories []string
	Recipe         string // project-relative path of the recipe
	Lock           string // project-relative path of its lock
	Mirror         string // the --mirror the rebuild instructions name, or ""
}

// Card is everything one card is made of.
type Card struct {
	Schema *arrow.Schema
	Stats  Stats
	Files  []File
	Meta   Meta
}

// sizeCategory is the Hub's size_categories bucket of n rows.
func sizeCategory(n int64) string {
	switch {
	case n < 1000:
		return "n<1K"
	case n < 10_000:
		return "1K<n<10K"
	case n < 100_000:
		return "10K<n<100K"
	case n < 1_000_000:
		return "100K<n<1M"
	case n < 10_000_000:
		return "1M<n<10M"
	case n < 100_000_000:
		return "10M<n<100M"
	case n < 1_000_000_000:
		return "100M<n<1B"
	}
	return "n>1T"
}

// hubLicenses are license ids the Hub accepts in a card's license field
// that are also SPDX ids (lower-cased).
var hubLicenses = map[string]bool{
	"apache-2.0": true, "mit": true, "bsd-2-clause": true, "bsd-3-clause": true, "isc": true,
	"cc0-1.0": true, "cc-by-2.0": true, "cc-by-3.0": true, "cc-by-4.0": true, "cc-by-sa-3.0": true, "cc-by-sa-4.0": true,
	"cc-by-nc-2.0": true, "cc-by-nc-3.0": true, "cc-by-nc-4.0": true, "cc-by-nd-4.0": true,
	"cc-by-nc-nd-3.0": true, "cc-by-nc-nd-4.0": true, "cc-by-nc-sa-2.0": true, "cc-by-nc-sa-3.0": true, "cc-by-nc-sa-4.0": true,
	"gpl-2.0": true, "gpl-3.0": true, "lgpl-3.0": true, "agpl-3.0": true, "mpl-2.0": true, "unlicense": true,
	"odc-by": true, "odbl": true, "pddl": true, "cdla-permissive-2.0": true, "cdla-sharing-1.0": true,
}

// hubLicense maps an SPDX id to the Hub's license id: lower case when the
// Hub knows it, "unknown" for none, else "other" (the body's table names
// each source's license as the data says).
func hubLicense(spdx string) string {
	l := strings.ToLower(strings.TrimSpace(spdx))
	switch {
	case l == "" || l == "unknown" || l == "noassertion":
		return "unknown"
	case hubLicenses[l]:
		return l
	}
	return "other"
}

// configName is the config a data file is loaded as: the first file is the
// default, the others are named by their format (a Hub config reads files
// of one format).
func configNames(files []File) []string {
	names := make([]string, len(files))
	used := map[string]bool{}
	for i, f := range files {
		name := "default"
		if i > 0 {
			name = f.Format
			if used[name] {
				name = strings.TrimSuffix(path.Base(f.Path), path.Ext(f.Path)) + "_" + f.Format
			}
		}
		for base, k := name, 2; used[name]; k++ {
			name = fmt.Sprintf("%s_%d", base, k)
		}
		used[name] = true
		names[i] = name
	}
	return names
}

// sortCounts orders counts by value, null last.
func sortCounts(cs []Count) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Null != cs[j].Null {
			return !cs[i].Null
		}
		return cs[i].Value < cs[j].Value
	})
}

// Tally builds Stats incrementally from a table's rows.
type Tally struct {
	rows    int64
	columns []string
	counts  []map[countKey]int64
	sources map[string]*srcTally
	langs   map[string]bool
	lics    map[string]bool
}

type countKey struct {
	v    string
	null bool
}

type srcTally struct {
	n    int64
	lics map[string]bool
	ups  map[string]bool
}

// NewTally counts the values of columns.
func NewTally(columns []string) *Tally {
	t := &Tally{columns: columns, sources: map[string]*srcTally{}, langs: map[string]bool{}, lics: map[string]bool{}}
	for range columns {
		t.counts = append(t.counts, map[countKey]int64{})
	}
	return t
}

// Row is one row's values of the columns the tally reads; a nil pointer is
// null or absent.
type Row struct {
	Counted  []*string // one per column of NewTally
	Source   *string
	License  *string
	Upstream *string
	Language *string
}

// Add counts one row.
func (t *Tally) Add(r Row) {
	t.rows++
	for i, v := range r.Counted {
		k := countKey{null: v == nil}
		if v != nil {
			k.v = *v
		}
		t.counts[i][k]++
	}
	if r.License != nil {
		t.lics[*r.License] = true
	}
	if r.Language != nil {
		t.langs[*r.Language] = true
	}
	if r.Source != nil {
		s := t.sources[*r.Source]
		if s == nil {
			s = &srcTally{lics: map[string]bool{}, ups: map[string]bool{}}
			t.sources[*r.Source] = s
		}
		s.n++
		if r.License != nil {
			s.lics[*r.License] = true
		}
		if r.Upstream != nil {
			s.ups[*r.Upstream] = true
		}
	}
}

// Stats returns what was counted.
func (t *Tally) Stats() Stats {
	st := Stats{Rows: t.rows, Languages: sortedSet(t.langs), Licenses: sortedSet(t.lics)}
	for i, c := range t.columns {
		cc := ColumnCounts{Column: c}
		for k, n := range t.counts[i] {
			cc.Counts = append(cc.Counts, Count{Value: k.v, Null: k.null, N: n})
		}
		sortCounts(cc.Counts)
		st.Counts = append(st.Counts, cc)
	}
	for name, s := range t.sources {
		st.Sources = append(st.Sources, Source{Name: name, N: s.n, Licenses: sortedSet(s.lics), Upstreams: sortedSet(s.ups)})
	}
	sort.Slice(st.Sources, func(i, j int) bool { return st.Sources[i].Name < st.Sources[j].Name })
	return st
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
