package arrowio

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// DuckDB and parquet-testing's own statement of a file's values (the
// shredded_variant cases, whose expected values TestShreddedVariantCases
// checks this reader against; a file's README) disagree on a few files;
// the corpus wins. TestConformanceDuckDB logs these instead of failing, and
// fails when one no longer differs (so the list stays true).
var duckDisagrees = map[string]string{
	"data/int96_from_spark.parquet":     "row 6 is Spark's overflowed INT96 encoding of 290000-12-31T01:00:00+02:00, 9089380393200000000 µs as int96_from_spark.md states and Spark reads it back; DuckDB reads it as year -226413",
	"shredded_variant/case-033.parquet": duckNanosTZ,
	"shredded_variant/case-034.parquet": duckNanosTZ,
	"shredded_variant/case-077.parquet": duckNanosTZ,
	"shredded_variant/case-078.parquet": duckNanosTZ,
	"shredded_variant/case-119.parquet": duckNanosTZ,
	"shredded_variant/case-120.parquet": duckNanosTZ,
	"shredded_variant/case-083.parquet": "DuckDB reads row 0, whose variant group is null (a missing variant), as a variant null; the case's row 0 is null",
}

const duckNanosTZ = "DuckDB reads a timestamp with time zone in nanoseconds (variant timestamptz(9), shredded or not) at microsecond precision (12:33:54.123456 for 2024-11-07 12:33:54.123456789, .123457 for 1957-11-07 12:33:54.123456789); the case's variant holds the nanoseconds"

// duckCorpusRefuses says, for the files DuckDB reads and this reader
// refuses, why the corpus says they must be refused (TestConformanceDuckDB
// treats them as bad_data/ files).
var duckCorpusRefuses = map[string]string{
	"shredded_variant/case-040.parquet":         "cases.json: error \"Invalid variant, conflicting value and typed_value\" (an array element has both)",
	"shredded_variant/case-042.parquet":         "cases.json: error \"Invalid variant, conflicting value and typed_value\"",
	"shredded_variant/case-043-INVALID.parquet": "INVALID (a residual value repeats a shredded field); cases.json lets a reader refuse it",
	"shredded_variant/case-084-INVALID.parquet": "INVALID (optional shredded field groups); cases.json lets a reader refuse it",
	"shredded_variant/case-125-INVALID.parquet": "INVALID (a residual value repeats a shredded field); cases.json lets a reader refuse it",
	"shredded_variant/case-137.parquet":         "cases.json: error \"Unsupported shredded value type: optional fixed_len_byte_array(4) typed_value\" (DuckDB reads it as null)",
}

// duckVariantRow compares our row vals (canonValue form) with DuckDB's
// line where DuckDB's cell is a VARIANT as JSON text ("j:..."): our cell,
// the reader's JSON text ("s:..."), must denote the same value
// (duckJSONEqual); it is then replaced by DuckDB's cell, so that the
// caller compares the rest of the row as before. It returns the first
// difference, "" if none.
func duckVariantRow(vals []any, line string) string {
	var duck []any
	if err := json.Unmarshal([]byte(line), &duck); err != nil || len(duck) != len(vals) {
		return ""
	}
	for j, d := range duck {
		ds, ok := d.(string)
		if !ok || !strings.HasPrefix(ds, "j:") {
			continue
		}
		gs, ok := vals[j].(string)
		if !ok || !strings.HasPrefix(gs, "s:") {
			return fmt.Sprintf("column %d: got %v, DuckDB variant %s", j, vals[j], ds)
		}
		if err := duckJSONEqual(gs[2:], ds[2:]); err != nil {
			return fmt.Sprintf("column %d: got %s, DuckDB %s: %v", j, gs[2:], ds[2:], err)
		}
		vals[j] = ds
	}
	return ""
}

// duckJSONEqual compares our JSON text with DuckDB's as values: objects by
// key, numbers exactly, except that DuckDB writes a variant float through
// double (10.109999656677246 for 10.11f: the same float32), and strings
// after DuckDB's notations for timestamps ("2024-11-07
// 12:33:54.123456+00") and blobs ("\x0A\x0B") are put in this reader's
// (RFC 3339, base64).
func duckJSONEqual(ours, duck string) error {
	var g, d any
	for _, x := range []struct {
		text string
		v    *any
	}{{ours, &g}, {duck, &d}} {
		dec := json.NewDecoder(strings.NewReader(x.text))
		dec.UseNumber()
		if err := dec.Decode(x.v); err != nil {
			return err
		}
	}
	return duckValueEqual(g, d)
}

var (
	duckTimestamp = regexp.MustCompile(`^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)?(\+00)?$`)
	duckBlob      = regexp.MustCompile(`^(\\x[0-9A-Fa-f]{2})+$`)
)

func duckValueEqual(g, d any) error {
	switch d := d.(type) {
	case map[string]any:
		gm, ok := g.(map[string]any)
		if !ok || len(gm) != len(d) {
			return fmt.Errorf("%v vs object %v", g, d)
		}
		for k, dv := range d {
			gv, ok := gm[k]
			if !ok {
				return fmt.Errorf("no key %q", k)
			}
			if err := duckValueEqual(gv, dv); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		return nil
	case []any:
		ga, ok := g.([]any)
		if !ok || len(ga) != len(d) {
			return fmt.Errorf("%v vs array %v", g, d)
		}
		for i := range d {
			if err := duckValueEqual(ga[i], d[i]); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	case json.Number:
		gn, ok := g.(json.Number)
		if !ok {
			return fmt.Errorf("%v vs number %s", g, d)
		}
		gr, ok1 := new(big.Rat).SetString(string(gn))
		dr, ok2 := new(big.Rat).SetString(string(d))
		if ok1 && ok2 && gr.Cmp(dr) == 0 {
			return nil
		}
		// DuckDB's double of a float: equal if ours reads as the same
		// float32 and DuckDB's is exactly that float32 widened.
		gf, err1 := strconv.ParseFloat(string(gn), 32)
		df, err2 := strconv.ParseFloat(string(d), 64)
		if err1 == nil && err2 == nil && float64(float32(df)) == df && float32(gf) == float32(df) {
			return nil
		}
		return fmt.Errorf("number %s vs %s", gn, d)
	case string:
		gs, ok := g.(string)
		if !ok {
			return fmt.Errorf("%v vs string %q", g, d)
		}
		want := d
		if m := duckTimestamp.FindStringSubmatch(d); m != nil {
			frac := strings.TrimRight(m[3], "0")
			if frac == "." {
				frac = ""
			}
			want = m[1] + "T" + m[2] + frac
			if m[4] != "" {
				want += "Z"
			}
		} else if duckBlob.MatchString(d) {
			b, err := hex.DecodeString(strings.ReplaceAll(d, `\x`, ""))
			if err != nil {
				return err
			}
			want = base64.StdEncoding.EncodeToString(b)
		}
		if gs != want {
			return fmt.Errorf("%q vs %q (DuckDB %q)", gs, want, d)
		}
		return nil
	}
	if g != d {
		return fmt.Errorf("%v vs %v", g, d)
	}
	return nil
}
