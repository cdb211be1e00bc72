package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Issue 9, item 4: verify and build --locked meet every kind of mismatch
// between a project and its lock — a node's logical digest, blob, rows or
// schema, a fetch's digest, size or URL, an output's digest, size or path,
// a block missing from the lock or left over in it, a recipe file changed —
// and exit 3 naming the node, the field, what the lock expects and what
// was got.

// kvProject is smallProject built once, with its lock.
type kvProject struct {
	dir, rec, cache, lock string
}

func newKVProject(t *testing.T) *kvProject {
	t.Helper()
	dir, rec, cacheDir := smallProject(t, smallRecipe)
	p := &kvProject{dir: dir, rec: rec, cache: cacheDir, lock: filepath.Join(dir, "lockfiles", "r.lock")}
	if code, _, stderr := p.run(t, nil, "build", rec); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	return p
}

// run runs the CLI in-process with the project's store and extra
// environment.
func (p *kvProject) run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	code := run(context.Background(), g, append(args, "--cache", p.cache))
	return code, out.String(), errb.String()
}

func (p *kvProject) readLock(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.lock)
	must(t, err)
	return string(b)
}

// block returns the span of `HEADER {` … `}` in the lock text.
func lockBlock(t *testing.T, lock, header string) (int, int) {
	t.Helper()
	i := strings.Index(lock, header+" {\n")
	if i < 0 {
		t.Fatalf("no %s block in the lock:\n%s", header, lock)
	}
	j := strings.Index(lock[i:], "\n}\n")
	return i, i + j + 3
}

// setField replaces the value of FIELD in the lock block HEADER and returns
// the old value (unquoted).
func (p *kvProject) setField(t *testing.T, header, field, value string) string {
	t.Helper()
	lock := p.readLock(t)
	i, j := lockBlock(t, lock, header)
	re := regexp.MustCompile(`(?m)^  ` + field + ` +=\s*(.*)$`)
	m := re.FindStringSubmatchIndex(lock[i:j])
	if m == nil {
		t.Fatalf("no %s in %s", field, header)
	}
	old := lock[i+m[2] : i+m[3]]
	newv := value
	if strings.HasPrefix(old, `"`) {
		newv = `"` + value + `"`
	}
	lock = lock[:i+m[2]] + newv + lock[i+m[3]:]
	must(t, os.WriteFile(p.lock, []byte(lock), 0o644))
	return strings.Trim(old, `"`)
}

// editBlock applies f to the text of the lock block HEADER.
func (p *kvProject) editBlock(t *testing.T, header string, f func(block string) string) {
	t.Helper()
	lock := p.readLock(t)
	i, j := lockBlock(t, lock, header)
	must(t, os.WriteFile(p.lock, []byte(lock[:i]+f(lock[i:j])+lock[j:]), 0o644))
}

func TestVerifyAndLockedReportEveryMismatch(t *testing.T) {
	tampered := sha("tampered")
	tests := []struct {
		name string
		// edit changes the project; it returns the substrings the error
		// must hold.
		edit func(t *testing.T, p *kvProject) []string
	}{
		{"node logical", func(t *testing.T, p *kvProject) []string {
			old := p.setField(t, `node "filter.f"`, "logical", tampered)
			return []string{"node filter.f: logical: expected " + tampered + ", got " + old}
		}},
		{"node blob", func(t *testing.T, p *kvProject) []string {
			old := p.setField(t, `node "filter.f"`, "blob", tampered)
			return []string{"node filter.f: blob: expected " + tampered + ", got " + old}
		}},
		{"node rows", func(t *testing.T, p *kvProject) []string {
			old := p.setField(t, `node "filter.f"`, "rows", "5")
			return []string{"node filter.f: rows: expected 5, got " + old}
		}},
		{"node size", func(t *testing.T, p *kvProject) []string {
			old := p.setField(t, `node "filter.f"`, "size", "1")
			return []string{"node filter.f: size: expected 1, got " + old}
		}},
		{"node schema", func(t *testing.T, p *kvProject) []string {
			p.editBlock(t, `node "filter.f"`, func(b string) string { return strings.Replace(b, `"b: utf8"`, `"b: int64"`, 1) })
			return []string{"node filter.f: schema: expected a: utf8, b: int64, got a: utf8, b: utf8"}
		}},
		{"node key", func(t *testing.T, p *kvProject) []string {
			old := p.setField(t, `node "filter.f"`, "key", tampered)
			return []string{"node filter.f: key: expected " + tampered + ", got " + old}
		}},
		{"node missing from the lock", func(t *testing.T, p *kvProject) []string {
			p.editBlock(t, `node "filter.f"`, func(string) string { return "" })
			return []string{"node filter.f: not in the lock (new)"}
		}},
		{"node only in the lock", func(t *testing.T, p *kvProject) []string {
			p.editBlock(t, `node "filter.f"`, func(b string) string {
				return b + "\n" + strings.Replace(b, `node "filter.f"`, `node "filter.gone"`, 1)
			})
			return []string{"node filter.gone: in the lock, not in the recipe"}
		}},
		{"fetch digest", func(t *testing.T, p *kvProject) []string {
			old := p.setField(t, `fetch "fetch.d"`, "digest", tampered)
			return []string{"fetch fetch.d: local input ../d.csv changed since it was locked: digest: expected " + tampered + ", got " + old}
		}},
		{"fetch size", func(t *testing.T, p *kvProject) []string {
			old := p.setField(t, `fetch "fetch.d"`, "size", "13")
			// build --locked finds it in the lock diff; verify, which
			// fetches again, when the pinned size does not hold.
			return []string{"fetch.d", "expected 13", old}
		}},
		{"fetch url", func(t *testing.T, p *kvProject) []string {
			old := p.setField(t, `fetch "fetch.d"`, "url", "../e.csv")
			return []string{"fetch fetch.d: url: expected ../e.csv, got " + old}
		}},
		{"output digest", func(t *testing.T, p *kvProject) []string {
			old := p.setField(t, `output "output.o"`, "digest", tampered)
			return []string{"output output.o: digest: expected " + tampered + ", got " + old}
		}},
		{"output size", func(t *testing.T, p *kvProject) []string {
			old := p.setField(t, `output "output.o"`, "size", "9")
			return []string{"output output.o: size: expected 9, got " + old}
		}},
		{"output path", func(t *testing.T, p *kvProject) []string {
			old := p.setField(t, `output "output.o"`, "path", "out/p.csv")
			return []string{"output output.o: path: expected out/p.csv, got " + old}
		}},
		{"output missing from the lock", func(t *testing.T, p *kvProject) []string {
			p.editBlock(t, `output "output.o"`, func(string) string { return "" })
			return []string{"output output.o: not in the lock (new)"}
		}},
		{"recipe file changed", func(t *testing.T, p *kvProject) []string {
			old := p.setField(t, `file "recipes/r.hcl"`, "digest", "sha256:0")
			_ = old
			b, err := os.ReadFile(p.rec)
			must(t, err)
			return []string{"recipe file recipes/r.hcl changed since it was locked: digest: expected sha256:0, got " + sha(string(b))}
		}},
		{"recipe edited", func(t *testing.T, p *kvProject) []string {
			b, err := os.ReadFile(p.rec)
			must(t, err)
			must(t, os.WriteFile(p.rec, append(b, "# edited\n"...), 0o644))
			return []string{"recipe file recipes/r.hcl changed since it was locked: digest: expected " + sha(string(b)) + ", got " + sha(string(b)+"# edited\n")}
		}},
	}
	for _, tt := range tests {
		for _, cmd := range [][]string{{"verify"}, {"build", "--locked"}} {
			t.Run(tt.name+"/"+strings.Join(cmd, " "), func(t *testing.T) {
				p := newKVProject(t)
				want := tt.edit(t, p)
				before := p.readLock(t)
				code, _, stderr := p.run(t, nil, append(cmd, p.rec)...)
				if code != exitPin {
					t.Fatalf("%s after %s: exit %d, want %d\n%s", cmd, tt.name, code, exitPin, stderr)
				}
				for _, w := range want {
					if !strings.Contains(stderr, w) {
						t.Errorf("%s after %s: stderr lacks %q:\n%s", cmd, tt.name, w, stderr)
					}
				}
				if after := p.readLock(t); after != before {
					t.Errorf("%s rewrote the lock", cmd)
				}
			})
		}
	}
}

// TestLockWithDuplicateBlocksIsRefused: a lock with two `node "filter.f"`
// blocks (a bad merge) is refused naming both lines, by every command.
func TestLockWithDuplicateBlocksIsRefused(t *testing.T) {
	p := newKVProject(t)
	lock := p.readLock(t)
	i, j := lockBlock(t, lock, `node "filter.f"`)
	dup := lock + "\n" + lock[i:j]
	must(t, os.WriteFile(p.lock, []byte(dup), 0o644))
	first := strings.Count(lock[:i], "\n") + 1
	second := strings.Count(lock, "\n") + 2
	for _, cmd := range [][]string{{"verify"}, {"build", "--locked"}, {"build"}, {"plan"}} {
		code, _, stderr := p.run(t, nil, append(cmd, p.rec)...)
		if code == 0 {
			t.Errorf("%s with a duplicate node block: exit 0", cmd)
		}
		for _, w := range []string{`duplicate node "filter.f" block`, fmt.Sprintf("r.lock:%d", first), fmt.Sprintf("r.lock:%d", second)} {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", cmd, w, stderr)
			}
		}
	}
	if got := p.readLock(t); got != dup {
		t.Errorf("a command rewrote the lock with duplicate blocks")
	}
}

// TestNondeterminismIsNeverRelockedSilently: a node whose key is what the
// lock recorded but whose data is not (here the lock's logical digest is
// tampered with; a nondeterministic op does the same, see
// graph.TestNondeterminismIsReported) is a warning naming the node, the
// key and both digests, or, under DSBUILD_VERIFY=1, exit 3 with the lock
// left as it was.
func TestNondeterminismIsNeverRelockedSilently(t *testing.T) {
	tampered := sha("tampered")
	for _, fresh := range []bool{false, true} {
		t.Run(fmt.Sprintf("fresh store %v", fresh), func(t *testing.T) {
			p := newKVProject(t)
			if fresh {
				p.cache = t.TempDir() // the node really runs again
			}
			real := p.setField(t, `node "filter.f"`, "logical", tampered)
			tamperedLock := p.readLock(t)
			want := "node filter.f: logical: expected " + tampered + " (the lock), got " + real + " under the unchanged key"

			code, _, stderr := p.run(t, map[string]string{"DSBUILD_VERIFY": "1"}, "build", p.rec)
			if code != exitPin || !strings.Contains(stderr, want) || !strings.Contains(stderr, "not deterministic") {
				t.Errorf("DSBUILD_VERIFY=1 build: exit %d, want %d with %q:\n%s", code, exitPin, want, stderr)
			}
			if p.readLock(t) != tamperedLock {
				t.Errorf("DSBUILD_VERIFY=1 build rewrote the lock")
			}

			code, _, stderr = p.run(t, nil, "build", p.rec)
			if code != 0 || !strings.Contains(stderr, "warning: "+want) {
				t.Errorf("build: exit %d, want 0 with a warning %q:\n%s", code, want, stderr)
			}
			if lock := p.readLock(t); strings.Contains(lock, tampered) || !strings.Contains(lock, real) {
				t.Errorf("build after the warning did not lock the data it built:\n%s", lock)
			}
		})
	}
}

// TestVerifyChecksTheProjectsOutputFiles: an output file edited in the
// project since it was built fails verify (exit 3, naming the output, the
// path, the locked and the found digest); a missing one does not (a clean
// clone has none), and build --locked restores both without touching the
// lock.
func TestVerifyChecksTheProjectsOutputFiles(t *testing.T) {
	p := newKVProject(t)
	out := filepath.Join(p.dir, "out", "o.csv")
	lock := p.readLock(t)
	locked := regexp.MustCompile(`(?s)output "output.o" \{.*?digest = "([^"]+)"`).FindStringSubmatch(lock)[1]
	must(t, os.WriteFile(out, []byte("a,b\nx,2\n"), 0o644))
	code, _, stderr := p.run(t, nil, "verify", p.rec)
	want := "output output.o: file out/o.csv in the project: digest: expected " + locked + ", got " + sha("a,b\nx,2\n")
	if code != exitPin || !strings.Contains(stderr, want) {
		t.Errorf("verify with an edited output: exit %d, want %d with %q:\n%s", code, exitPin, want, stderr)
	}
	if code, _, stderr := p.run(t, nil, "build", "--locked", p.rec); code != 0 {
		t.Errorf("build --locked with an edited output: exit %d\n%s", code, stderr)
	}
	if b, err := os.ReadFile(out); err != nil || sha(string(b)) != locked {
		t.Errorf("build --locked did not restore the edited output")
	}

	must(t, os.Remove(out))
	if code, _, stderr := p.run(t, nil, "verify", p.rec); code != 0 {
		t.Errorf("verify without the output file: exit %d, want 0\n%s", code, stderr)
	}
	if code, _, stderr := p.run(t, nil, "build", "--locked", p.rec); code != 0 {
		t.Errorf("build --locked without the output file: exit %d\n%s", code, stderr)
	}
	if b, err := os.ReadFile(out); err != nil || sha(string(b)) != locked {
		t.Errorf("build --locked did not restore the missing output")
	}
	if p.readLock(t) != lock {
		t.Errorf("the lock changed")
	}
}
