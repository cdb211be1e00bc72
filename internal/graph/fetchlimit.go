package graph

import (
	"errors"
	"fmt"

	"github.com/dsbuild/dsbuild/internal/fetch"
)

// pinnedSize is the byte count the lock records for the node's pinned
// digest: the fetcher stops at it. 0 means unknown (no lock entry for this
// digest, or a lock that recorded no size).
func (p *Plan) pinnedSize(n *Node) int64 {
	if n.Pin == "" || p.Lock == nil {
		return 0
	}
	if f, ok := p.Lock.Fetches[n.ID]; ok && f.Digest == n.Pin && f.Size > 0 {
		return f.Size
	}
	return 0
}

// fetchPinError turns a pin failure the fetcher found into the node's
// *PinError (exit 3); other errors pass through.
func fetchPinError(n *Node, url string, err error) error {
	var pe *fetch.PinError
	if !errors.As(err, &pe) {
		return err
	}
	return &PinError{Node: n.ID, URL: url, Want: pe.Want, Got: pe.Got, Source: pe.Source,
		WantSize: pe.WantSize, GotSize: pe.GotSize, GotMore: pe.GotMore}
}

func (e *PinError) sizeError() string {
	return fmt.Sprintf("%s: %s is pinned to %s, expected %d bytes, but %s has %s",
		e.Node, e.URL, e.Want, e.WantSize, e.Source, fetch.SizeText(e.GotSize, e.GotMore))
}
