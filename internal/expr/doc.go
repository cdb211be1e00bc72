// Package expr compiles row expressions — HCL expressions whose free names
// are columns of an Arrow table — into programs that evaluate batch by batch
// with typed loops over Arrow buffers, and filters record batches by a
// boolean mask.
//
// It owns the plan-time type rules (numeric widening, SQL null semantics,
// the supported function set), the diagnostics for ill-typed expressions,
// the canonical form of an expression that enters cache keys, and the
// group-key encoding (GroupKeys, groupkey.go): the one canonical byte form
// of a row's values by which rows are grouped or matched (sample's by and
// stratify now; join, aggregate and trajectory later).
//
// It must never know about the cache, the graph, files or recipes: it sees
// one hcl.Expression, one Arrow schema, the recipe variables as constants,
// and batches handed to it. Evaluation is deterministic: results never
// depend on map order, goroutine scheduling or the clock.
package expr
