package ops

// RowWise is implemented by ops whose output for a contiguous range of
// input rows is the matching contiguous range of their output: each row is
// mapped (kept, dropped, rewritten) on its own, given its row number in
// the whole input (RunContext.RowOffset). Such a node may be split into
// shards (`shards = N` in the recipe): each shard runs the op over one row
// range of its single input, and the shards' outputs, concatenated in
// order, are the node's output, byte for byte.
//
// An op opts in by implementing RowWise and counting its rows from
// RunContext.RowOffset (row_number(), and row numbers in errors).
type RowWise interface {
	Op
	RowWise()
}

func (*filterOp) RowWise()        {}
func (*selectOp) RowWise()        {}
func (*embedOp) RowWise()         {}
func (*vectorProjectOp) RowWise() {}
