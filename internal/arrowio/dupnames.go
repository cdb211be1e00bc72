package arrowio

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Duplicate names. Columns, and the fields of a struct, are looked up by
// name everywhere downstream (row expressions address `s.x`), so a file
// with two columns (or two sibling struct fields) of one name would have
// one of them shadowed. The reader keeps both under unique names instead,
// per file (before the files of a glob are unified by name), by one rule
// (uniqueNames), for Parquet, Arrow IPC and CSV headers alike:
//
//   - the first occurrence of a name keeps it, and so does every name that
//     occurs once;
//   - the 2nd, 3rd, ... occurrence of `x` becomes `x_N` for the smallest
//     N ≥ 1 (counting on from the last N given to `x`) such that `x_N` is
//     neither a name among its siblings in the file nor one given already;
//     so `a, a, a` reads as `a, a_1, a_2`, and `a, a, a_1` as `a, a_2, a_1`;
//   - names compare exactly (case matters), and the rule is applied at every
//     level: top-level columns, then the fields of each struct (also inside
//     lists, maps, dictionaries and the struct a union is read as), with a
//     struct's path named by its parents' new names.
//
// This is DuckDB's convention (`x_1`, `x_2`), except that DuckDB renames a
// column whose own name is unique when an earlier rename took it (DuckDB
// reads `a, a, a_1` as `a, a_1, a_1_1`) and compares names without case;
// here a name that is unique in the file is never changed. A JSON object
// with a key twice is still refused: that is ambiguous data, not two
// columns.

// Rename is one column (or struct field) the reader renamed because its
// file has another of the same name beside it.
type Rename struct {
	File string // the file, as given to Open
	// Parent is the dotted path of the struct the field is in, as read
	// (its parents under their new names); "" for a top-level column.
	Parent string
	From   string // the name in the file
	To     string // the name it is read under
	Index  int    // 1-based position among its siblings in the file
}

// Describe says what was renamed, naming the file as name.
func (r Rename) Describe(name string) string {
	what := "column"
	if r.Parent != "" {
		what = "field"
	}
	return fmt.Sprintf("%s: %s %d %q is read as %q (the file has another %s of its name)",
		name, what, r.Index, r.Parent+r.From, r.Parent+r.To, what)
}

// RenamedColumns returns the columns a reader from Open has renamed so
// far (all of them once it has been read to the end), in file order; nil
// for any other reader.
func RenamedColumns(r array.RecordReader) []Rename {
	if m, ok := r.(*multiReader); ok {
		return append([]Rename(nil), m.renames...)
	}
	return nil
}

// uniqueNames applies the rule above to one list of sibling names; it
// returns nil when the names are already unique.
func uniqueNames(names []string) []string {
	count := make(map[string]int, len(names))
	dup := false
	for _, n := range names {
		count[n]++
		if count[n] > 1 {
			dup = true
		}
	}
	if !dup {
		return nil
	}
	taken := make(map[string]bool, len(names))
	for _, n := range names {
		taken[n] = true
	}
	next := map[string]int{} // last suffix given to a name
	seen := map[string]bool{}
	out := make([]string, len(names))
	for i, n := range names {
		if !seen[n] {
			seen[n] = true
			out[i] = n
			continue
		}
		k := next[n]
		for {
			k++
			c := n + "_" + strconv.Itoa(k)
			if !taken[c] {
				taken[c] = true
				out[i] = c
				break
			}
		}
		next[n] = k
	}
	return out
}

// dedupSchema returns sc with uniqueNames applied at every level, and the
// renames, naming file; sc itself when nothing is renamed.
func dedupSchema(file string, sc *arrow.Schema) (*arrow.Schema, []Rename) {
	if sc == nil {
		return nil, nil
	}
	var rn []Rename
	fs, changed := dedupFields(file, "", sc.Fields(), &rn)
	if !changed {
		return sc, nil
	}
	md := sc.Metadata()
	return arrow.NewSchema(fs, &md), rn
}

// dedupFields renames the siblings fs (under the dotted path prefix) and
// the fields inside their types.
func dedupFields(file, prefix string, fs []arrow.Field, rn *[]Rename) ([]arrow.Field, bool) {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	uniq := uniqueNames(names)
	out := append([]arrow.Field(nil), fs...)
	changed := uniq != nil
	for i := range out {
		if uniq != nil && uniq[i] != out[i].Name {
			*rn = append(*rn, Rename{File: file, Parent: prefix, From: out[i].Name, To: uniq[i], Index: i + 1})
			out[i].Name = uniq[i]
		}
		var ch bool
		if out[i].Type, ch = dedupType(file, prefix+out[i].Name+".", out[i].Type, rn); ch {
			changed = true
		}
	}
	return out, changed
}

// dedupType returns dt with the fields of every struct inside it renamed,
// and whether any was. Lists, maps and dictionaries are looked through (a
// row expression reaches their structs' fields by name too); the path of a
// list element or map entry is its parent's.
func dedupType(file, prefix string, dt arrow.DataType, rn *[]Rename) (arrow.DataType, bool) {
	switch t := dt.(type) {
	case *arrow.StructType:
		fs, ch := dedupFields(file, prefix, t.Fields(), rn)
		if ch {
			return arrow.StructOf(fs...), true
		}
	case *arrow.ListType:
		ef := t.ElemField()
		var ch bool
		if ef.Type, ch = dedupType(file, prefix, ef.Type, rn); ch {
			return arrow.ListOfField(ef), true
		}
	case *arrow.LargeListType:
		ef := t.ElemField()
		var ch bool
		if ef.Type, ch = dedupType(file, prefix, ef.Type, rn); ch {
			return arrow.LargeListOfField(ef), true
		}
	case *arrow.FixedSizeListType:
		ef := t.ElemField()
		var ch bool
		if ef.Type, ch = dedupType(file, prefix, ef.Type, rn); ch {
			return arrow.FixedSizeListOfField(t.Len(), ef), true
		}
	case *arrow.MapType:
		kf, itf := t.KeyField(), t.ItemField()
		var kc, ic bool
		kf.Type, kc = dedupType(file, prefix, kf.Type, rn)
		itf.Type, ic = dedupType(file, prefix, itf.Type, rn)
		if kc || ic {
			m := arrow.MapOfFields(kf, itf)
			m.KeysSorted = t.KeysSorted
			return m, true
		}
	case *arrow.DictionaryType:
		if vt, ch := dedupType(file, prefix, t.ValueType, rn); ch {
			return &arrow.DictionaryType{IndexType: t.IndexType, ValueType: vt, Ordered: t.Ordered}, true
		}
	}
	return dt, false
}
