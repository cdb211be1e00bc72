package ops

import "context"

// Budget is the executor's parallelism budget (--jobs), shared by every
// node it runs at once: the number of goroutines doing node or batch work
// never exceeds its size. A running node holds one share; an op (or the
// executor's artifact writer) that wants more workers for its batches takes
// extra shares with TryAcquire, never blocking for them, and gives each
// back with Release when those workers are done. A nil *Budget grants no
// extra share, so an op given none runs its batches on one worker.
//
// How many workers an op gets changes only its speed: batch results are
// emitted in input order whatever the count.
type Budget struct{ shares chan struct{} }

// NewBudget returns a budget of n shares (at least 1).
func NewBudget(n int) *Budget {
	return &Budget{shares: make(chan struct{}, max(n, 1))}
}

// Acquire takes a share, waiting for one; the executor takes one per node.
func (b *Budget) Acquire(ctx context.Context) error {
	if b == nil {
		return nil
	}
	select {
	case b.shares <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TryAcquire takes a share if one is free.
func (b *Budget) TryAcquire() bool {
	if b == nil {
		return false
	}
	select {
	case b.shares <- struct{}{}:
		return true
	default:
		return false
	}
}

// Release gives back a share taken by Acquire or TryAcquire.
func (b *Budget) Release() {
	if b != nil {
		<-b.shares
	}
}

// Extra takes up to n extra shares, as many as are free now, and returns
// how many it took and a func giving them back.
func (b *Budget) Extra(n int) (int, func()) {
	got := 0
	for got < n && b.TryAcquire() {
		got++
	}
	return got, func() {
		for range got {
			b.Release()
		}
	}
}
