// Package arrowio turns files into Arrow record batches and back, and defines
// the canonical logical digest of a table.
//
// It owns: format detection (JSON, JSON Lines, CSV/TSV, Parquet, Arrow IPC),
// schema inference for JSON and CSV, streaming readers that unify the schemas
// of several files by field name, byte-stable writers, the logical content
// digest that lockfiles pin, and the first-difference report used by
// `dsbuild verify`.
//
// It also owns the canonical layout of batches (CanonicalBatch: nothing
// under a null, no buffer slack, dictionaries of exactly their values), so
// that stored and written bytes are a function of the values alone, and
// strips metadata at every level of every schema it reads or writes.
//
// It must never know about HCL, the cache store or the build graph, never
// read a whole large input into memory (JSON/CSV inference is a separate
// first pass; building is a second streaming pass), and never panic or
// exhaust memory on bad input: IPC flatbuffers are walked with bounds
// checks before arrow-go parses them, decoder allocations are bounded by
// the file's size, every decoded batch is structurally validated, and
// malformed data is reported as a *DataError naming the file, row, byte
// offset and column.
//
// Inference choices worth knowing (they are part of the logical digest of
// anything read without a declared schema):
//   - every inferred field is nullable, as in pyarrow, Spark and BigQuery: a
//     schema inferred from data cannot promise that the next record has a key;
//   - JSON scalars that disagree (number and string, bool and number, ...)
//     become utf8 holding the literal text, so "5" and 5 both read as "5";
//   - a JSON field that mixes objects or arrays with scalars (or objects with
//     arrays) is a *DataError naming the column; declare it utf8 in
//     ReadOptions.Schema to get the raw JSON text instead;
//   - a field that is only ever null, and the element type of arrays that are
//     only ever empty, is utf8; an object that never has keys is struct<>;
//   - CSV columns are utf8 (empty cell = ""), unless a declared schema says
//     otherwise (then an empty cell of a non-string column is null).
package arrowio
