// Package graph turns a loaded recipe into a DAG of ops, derives every
// node's cache key, runs what is not cached (in parallel, over the store),
// and writes and checks the lockfile.
//
// It is the only package that knows both what to run and what is cached:
// ops never see the store, and the store never sees Arrow or HCL.
package graph

import (
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/ops"
)

// keyVersion changes whenever the preimage format changes, so that old
// cache entries can never be mistaken for new ones.
const KeyVersion = "dsbuild-key-v1"

// Preimage is the canonical text a node key is the digest of: one line per
// field, params sorted by the op, inputs in dependency order. Nothing about
// the machine, the cache location, --jobs or the time enters it, and neither
// do node names: renaming a node keeps its cache entries.
type Preimage string

func preimage(kind string, version int, params []ops.Param, inputs []digest.Digest) Preimage {
	var b strings.Builder
	b.WriteString(KeyVersion)
	b.WriteByte('\n')
	// How artifacts are encoded decides their bytes (and so the blob digests
	// the lock pins) as much as the op does.
	fmt.Fprintf(&b, "artifact %s\n", artifactFormat)
	fmt.Fprintf(&b, "op %s@%d\n", kind, version)
	for _, p := range params {
		fmt.Fprintf(&b, "param %s %s\n", p.Name, escapeLine(p.Value))
	}
	for i, in := range inputs {
		fmt.Fprintf(&b, "input %d %s\n", i, in)
	}
	return Preimage(b.String())
}

// Key is the digest of the preimage.
func (p Preimage) Key() digest.Digest {
	sum := sha256.Sum256([]byte(p))
	return digest.NewDigestFromBytes(digest.SHA256, sum[:])
}

// escapeLine keeps a value on one preimage line. Backslashes are escaped
// too, so a value holding a newline and one holding the two characters
// backslash-n can never share a key.
func escapeLine(s string) string {
	if !strings.ContainsAny(s, "\n\r\\") {
		return s
	}
	return strings.NewReplacer("\\", `\\`, "\n", `\n`, "\r", `\r`).Replace(s)
}

// diffPreimages explains why a key changed, field by field.
func diffPreimages(old, cur Preimage) []string {
	parse := func(p Preimage) (map[string]string, []string) {
		m := map[string]string{}
		var order []string
		for _, line := range strings.Split(strings.TrimSpace(string(p)), "\n") {
			f := strings.SplitN(line, " ", 3)
			var k, v string
			switch {
			case len(f) == 3:
				k, v = f[0]+" "+f[1], f[2]
			case len(f) == 2:
				k, v = f[0], f[1]
			default:
				k = line
			}
			if _, ok := m[k]; !ok {
				order = append(order, k)
			}
			m[k] = v
		}
		return m, order
	}
	om, oorder := parse(old)
	cm, corder := parse(cur)
	var out []string
	for _, k := range corder {
		ov, ok := om[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s added: %s", k, cm[k]))
		case ov != cm[k]:
			out = append(out, fmt.Sprintf("%s changed: %s → %s", k, ov, cm[k]))
		}
	}
	for _, k := range oorder {
		if _, ok := cm[k]; !ok {
			out = append(out, fmt.Sprintf("%s removed (was %s)", k, om[k]))
		}
	}
	return out
}
