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
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/dsbuild/dsbuild/internal/ops"
	"github.com/dsbuild/dsbuild/internal/recipe"
)

// KeyVersion changes whenever the preimage format changes, so that old
// cache entries can never be mistaken for new ones. v2: inputs enter under
// their roles (`input ROLE KEY`) instead of their position, and files read
// at plan time enter as `file ATTR DIGEST` lines.
const KeyVersion = "dsbuild-key-v2"

// Preimage is the canonical text a node key is the digest of, one line per
// field:
//
//	dsbuild-key-v2
//	artifact ENCODING
//	op KIND@VERSION
//	param NAME VALUE     every canonical param, in the op's order
//	file ATTR DIGEST     every file attribute (ops.KeyFile), by name
//	input ROLE KEY       every reference, in attribute-spec order
//
// A ROLE is the attribute a reference came from (`input`; `inputs[0]` for
// an element of a tuple of references, `inputs["a"]` for a key of an
// object of them), so swapping two inputs always changes the key; a fetch's
// bytes enter as `input @fetched DIGEST`. Nothing about the machine, the
// cache location, --jobs or the time enters it, and neither do node names:
// renaming a node keeps its cache entries.
type Preimage string

// keyInput is one reference of a node: its role and the input's key.
type keyInput struct {
	Role string
	Key  digest.Digest
}

// fetchedRole is the role of a fetch's bytes; '@' cannot start an
// attribute name, so it never collides with one.
const fetchedRole = "@fetched"

func preimage(kind string, version int, params []ops.Param, files []ops.NamedFile, inputs []keyInput) Preimage {
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
	for _, f := range files {
		fmt.Fprintf(&b, "file %s %s\n", f.Attr, f.Content.Digest)
	}
	for _, in := range inputs {
		fmt.Fprintf(&b, "input %s %s\n", in.Role, in.Key)
	}
	return Preimage(b.String())
}

// roleName names one reference of attribute attr: the attribute itself for
// a single reference, else with the tuple index or the object key. Keys
// are quoted (spaces escaped), so a role is one word of a preimage line
// and distinct references never share a role.
func roleName(attr string, mode recipe.AttrMode, i int, keys []string) string {
	switch {
	case mode == recipe.Ref:
		return attr
	case keys != nil && i < len(keys):
		q := strconv.QuoteToASCII(keys[i])
		return attr + "[" + strings.ReplaceAll(q, " ", `\x20`) + "]"
	default:
		return fmt.Sprintf("%s[%d]", attr, i)
	}
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
