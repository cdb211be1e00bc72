package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/artifact"
	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/store"
)

// MediaTypeArrowStream is the media type of every node artifact.
const MediaTypeArrowStream = artifact.MediaType

// artifactFormat names the artifact encoding in every key (artifact.Format).
var artifactFormat = artifact.Format

// manifestVersion is bumped when the manifest's meaning changes; older
// manifests then read as misses.
const manifestVersion = 2

// Manifest is what a node key maps to in the store.
type Manifest struct {
	Version   int           `json:"version"`
	Op        string        `json:"op"`
	Preimage  Preimage      `json:"preimage"`
	Blob      digest.Digest `json:"blob"`
	Size      int64         `json:"size"`
	MediaType string        `json:"mediaType"`
	Rows      int64         `json:"rows"`
	Schema    []string      `json:"schema"`
	Logical   digest.Digest `json:"logical"`
	// Nondeterministic marks outputs that cannot be reproduced by re-running
	// the op (an LLM backend); verify checks them from the store instead.
	Nondeterministic bool `json:"nondeterministic,omitempty"`
}

func (m *Manifest) encode() []byte {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(err) // plain struct of strings and numbers
	}
	return append(b, '\n')
}

// A manifest is used only for the key it was written for. The store binds
// a key file's bytes to its key (a copied or damaged file is a miss there);
// here the manifest must also describe that key: its preimage hashes to
// it, and the op it names is the one its preimage names. A node then also
// checks that the manifest fits it (nodeManifest): same op, the media type
// its kind writes, and the output schema when Prepare has told it.

// lookupManifest reads the manifest filed under key. Anything unreadable,
// from another version, written for another key, or (with needBlob)
// pointing at a missing or wrongly sized blob is a miss: (nil, nil). A
// store that cannot answer is an error, never a miss: a store across a
// network that is down must not make every node run again.
func lookupManifest(ctx context.Context, s store.Store, key digest.Digest, needBlob bool) (*Manifest, error) {
	if key == "" {
		return nil, nil
	}
	b, err := s.GetManifest(ctx, key)
	if store.IsMiss(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Version != manifestVersion || m.Blob.Validate() != nil {
		return nil, nil
	}
	if m.Preimage.Key() != key || !strings.Contains(string(m.Preimage), "\nop "+m.Op+"\n") {
		return nil, nil
	}
	if needBlob {
		ok, err := s.Exists(ctx, store.Descriptor{Digest: m.Blob, Size: m.Size})
		if err != nil || !ok {
			return nil, err
		}
	}
	return &m, nil
}

// readManifest reads the manifest filed under key, whether or not its blob
// is still there (explain compares preimages of old keys).
func readManifest(ctx context.Context, s store.Store, key digest.Digest) (*Manifest, bool) {
	m, err := lookupManifest(ctx, s, key, false)
	return m, err == nil && m != nil
}

// getManifest is the manifest filed under key whose blob is there; a store
// that cannot answer reads as a miss here (plan and explain only show it).
func getManifest(ctx context.Context, s store.Store, key digest.Digest) (*Manifest, bool) {
	m, err := lookupManifest(ctx, s, key, true)
	return m, err == nil && m != nil
}

// Plan, show and explain read the store without a deadline of their own:
// these wrappers are theirs; the executor passes its context.

// getManifestAny reads a manifest even when its blob is gone (for explain).
func getManifestAny(s store.Store, key digest.Digest) (*Manifest, bool) {
	return readManifest(context.Background(), s, key)
}

func nodeManifest(s store.Store, n *Node) (*Manifest, bool) {
	return nodeManifestCtx(context.Background(), s, n)
}

func opName(n *Node) string { return fmt.Sprintf("%s@%d", n.Spec.Kind, n.Spec.Version) }

// fits reports whether m can be n's result.
func (n *Node) fits(m *Manifest) bool {
	if m.Op != opName(n) || m.Preimage != n.Preimage {
		return false
	}
	media := MediaTypeArrowStream
	if sink, ok := n.Op.(ops.Sink); ok {
		media = sink.MediaType()
	}
	if m.MediaType != media {
		return false
	}
	return n.wantSchema == nil || slices.Equal(n.wantSchema, m.Schema)
}

// nodeManifestCtx is n's stored result, if there is one that fits it.
func nodeManifestCtx(ctx context.Context, s store.Store, n *Node) (*Manifest, bool) {
	m, err := nodeLookup(ctx, s, n)
	return m, err == nil && m != nil
}

// nodeLookup is n's stored result, nil if there is none that fits it, or
// the error of a store that could not answer.
func nodeLookup(ctx context.Context, s store.Store, n *Node) (*Manifest, error) {
	if n.Key == "" {
		return nil, nil
	}
	m, err := lookupManifest(ctx, s, n.Key, true)
	if err != nil || m == nil || !n.fits(m) {
		return nil, err
	}
	return m, nil
}

// A fetch record keeps what the lock says about a fetched input besides its
// digest: the URL's resolved revision and the size of the bytes, measured
// when they were fetched and verified. A fetch node's result is used only
// together with its record, so the lock never depends on whether the node
// ran, was cached, or on what an earlier lock said.

const fetchRecordVersion = 1

type storedFetchRecord struct {
	Version  int           `json:"version"`
	Preimage string        `json:"preimage"`
	URL      string        `json:"url"`
	Revision string        `json:"revision,omitempty"`
	Digest   digest.Digest `json:"digest"`
	Size     int64         `json:"size"`
}

func fetchRecordPreimage(url string, pin digest.Digest) string {
	return fmt.Sprintf("dsbuild-fetch-record-v%d\nurl %s\ndigest %s\n", fetchRecordVersion, escapeLine(url), pin)
}

func fetchRecordKey(url string, pin digest.Digest) digest.Digest {
	return digest.FromString(fetchRecordPreimage(url, pin))
}

func getFetchRecord(ctx context.Context, s store.Store, url string, pin digest.Digest) (*FetchRecord, bool) {
	if pin == "" {
		return nil, false
	}
	b, err := s.GetManifest(ctx, fetchRecordKey(url, pin))
	if err != nil {
		return nil, false
	}
	var r storedFetchRecord
	if err := json.Unmarshal(b, &r); err != nil || r.Version != fetchRecordVersion ||
		r.Preimage != fetchRecordPreimage(url, pin) || r.URL != url || r.Digest != pin || r.Size < 0 {
		return nil, false
	}
	return &FetchRecord{URL: url, Revision: r.Revision, Digest: pin, Size: r.Size}, true
}

func putFetchRecord(ctx context.Context, s store.Store, fr FetchRecord) error {
	b, err := json.MarshalIndent(storedFetchRecord{
		Version: fetchRecordVersion, Preimage: fetchRecordPreimage(fr.URL, fr.Digest),
		URL: fr.URL, Revision: fr.Revision, Digest: fr.Digest, Size: fr.Size,
	}, "", "  ")
	if err != nil {
		return err
	}
	return s.PutManifest(ctx, fetchRecordKey(fr.URL, fr.Digest), append(b, '\n'))
}

func verifiedSchema(s store.Store, mem memory.Allocator, blob digest.Digest) (*arrow.Schema, error) {
	return artifact.VerifiedSchema(context.Background(), s, mem, blob)
}

func openVerifiedArtifact(s store.Store, mem memory.Allocator, blob digest.Digest) (array.RecordReader, error) {
	return artifact.OpenVerified(context.Background(), s, mem, blob)
}
