package fetch

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
)

func TestResolve(t *testing.T) {
	cfg := &config{hfEndpoint: "https://hub.example", baseDir: "/recipes"}
	tests := []struct {
		in   string
		want source
	}{
		{"https://example.org/a/b/data.json?x=1", source{display: "https://example.org/a/b/data.json?x=1",
			httpURL: "https://example.org/a/b/data.json?x=1", base: "data.json"}},
		{"HTTP://example.org/", source{display: "http://example.org/", httpURL: "http://example.org/"}},
		{"https://u:pw@example.org/f%20g.csv", source{display: "https://u:xxxxx@example.org/f%20g.csv",
			httpURL: "https://u:pw@example.org/f%20g.csv", base: "f g.csv"}},
		{"file:///data/x.parquet", source{display: "file:///data/x.parquet", local: "/data/x.parquet", base: "x.parquet"}},
		{"file://localhost/data/x.parquet", source{display: "file://localhost/data/x.parquet", local: "/data/x.parquet", base: "x.parquet"}},
		{"data/x.csv", source{display: "data/x.csv", local: "/recipes/data/x.csv", base: "x.csv"}},
		{"../shared/x.csv", source{display: "../shared/x.csv", local: "/shared/x.csv", base: "x.csv"}},
		{"/abs/x.csv", source{display: "/abs/x.csv", local: "/abs/x.csv", base: "x.csv"}},
		{"odd dir/a://b.csv", source{display: "odd dir/a://b.csv", local: "/recipes/odd dir/a:/b.csv", base: "b.csv"}},
		{"hf://datasets/org/name@main/data/train.jsonl", source{display: "hf://datasets/org/name@main/data/train.jsonl",
			httpURL: "https://hub.example/datasets/org/name/resolve/main/data/train.jsonl", hf: true, base: "train.jsonl"}},
		{"hf://datasets/org/name/data/train.jsonl", source{display: "hf://datasets/org/name/data/train.jsonl",
			httpURL: "https://hub.example/datasets/org/name/resolve/main/data/train.jsonl", hf: true, base: "train.jsonl"}},
		{"hf://datasets/squad@v1.0/plain_text/a b#c.json", source{display: "hf://datasets/squad@v1.0/plain_text/a b#c.json",
			httpURL: "https://hub.example/datasets/squad/resolve/v1.0/plain_text/a%20b%23c.json", hf: true, base: "a b#c.json"}},
		{"hf://models/org/m@" + hfCommit + "/w.safetensors", source{display: "hf://models/org/m@" + hfCommit + "/w.safetensors",
			httpURL: "https://hub.example/org/m/resolve/" + hfCommit + "/w.safetensors", hf: true, base: "w.safetensors", revision: hfCommit}},
		{"hf://spaces/org/s@refs%2Fpr%2F3/app.py", source{display: "hf://spaces/org/s@refs%2Fpr%2F3/app.py",
			httpURL: "https://hub.example/spaces/org/s/resolve/refs%2Fpr%2F3/app.py", hf: true, base: "app.py"}},
		{"hf://datasets/org/name@main/dir/f@2.json", source{display: "hf://datasets/org/name@main/dir/f@2.json",
			httpURL: "https://hub.example/datasets/org/name/resolve/main/dir/f@2.json", hf: true, base: "f@2.json"}},
	}
	for _, tt := range tests {
		got, err := resolve(tt.in, cfg)
		if err != nil {
			t.Errorf("resolve(%q) = %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(source{})); diff != "" {
			t.Errorf("resolve(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
		if got.httpURL != "" {
			if _, err := url.Parse(got.httpURL); err != nil {
				t.Errorf("resolve(%q).httpURL = %q does not parse: %v", tt.in, got.httpURL, err)
			}
		}
	}
}

func TestResolveErrors(t *testing.T) {
	cfg := &config{hfEndpoint: "https://hub.example"}
	tests := []struct{ in, want string }{
		{"", "empty URL"},
		{"https://example.org/a\nb", "control character at byte 21"},
		{"ftp://example.org/x", `unsupported scheme "ftp"`},
		{"s3://bucket/x", `unsupported scheme "s3"`},
		{"https:///nohost", "no host"},
		{"http://[::1/x", "missing ']'"},
		{"file://server/share/x", `names host "server"`},
		{"hf://buckets/org/x@main/f", `kind "buckets"`},
		{"hf://datasets", `kind "datasets"`},
		{"hf://datasets/org/name@main", "no file path"},
		{"hf://datasets/org/name@main/", "no file path"},
		{"hf://datasets/org/name", "no file path"},
		{"hf://datasets/org/name@/f.json", "invalid revision"},
		{"hf://datasets/org/name@%zz/f.json", "invalid revision"},
		{"hf://datasets/or g/name@main/f.json", "invalid repository name"},
		{"hf://datasets/../name@main/f.json", "invalid repository name"},
		{"hf://datasets/org/name@main/a/../f.json", `invalid file path "a/../f.json"`},
		{"hf://datasets/org/name@main/a//f.json", "invalid file path"},
	}
	for _, tt := range tests {
		_, err := resolve(tt.in, cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("resolve(%q) = %v, want error containing %q", tt.in, err, tt.want)
		}
	}
	badEndpoint := &config{hfEndpoint: "hub.example"}
	if _, err := resolve("hf://datasets/o/n@main/f", badEndpoint); err == nil || !strings.Contains(err.Error(), "endpoint") {
		t.Errorf("resolve with endpoint %q = %v, want an endpoint error", badEndpoint.hfEndpoint, err)
	}
}

func TestHFEndpointFromEnv(t *testing.T) {
	t.Setenv("HF_ENDPOINT", "https://mirror.example/")
	t.Setenv("HF_TOKEN", "from-env")
	f := &Fetcher{}
	cfg := f.config()
	if cfg.hfEndpoint != "https://mirror.example" || cfg.hfToken != "from-env" {
		t.Errorf("config() = endpoint %q token set %v, want them from the environment", cfg.hfEndpoint, cfg.hfToken != "")
	}
	t.Setenv("HF_ENDPOINT", "")
	if got := (&Fetcher{}).config().hfEndpoint; got != defaultHF {
		t.Errorf("default endpoint = %q, want %q", got, defaultHF)
	}
	if got := (&Fetcher{HFEndpoint: "http://x"}).config().hfEndpoint; got != "http://x" {
		t.Errorf("explicit endpoint = %q, want http://x", got)
	}
}

func TestOpenLocal(t *testing.T) {
	base := t.TempDir()
	p := writeFile(t, base, "data/x.csv", "a,b\n1,2\n")
	os.Mkdir(filepath.Join(base, "adir"), 0o755)
	f := testFetcher(t)
	f.BaseDir = base
	for _, in := range []string{"data/x.csv", p, "file://" + p} {
		b, info, err := openAll(t, f, in, "")
		if err != nil {
			t.Errorf("Open(%q) = %v", in, err)
			continue
		}
		want := Info{URL: in, Source: "file:" + p, Size: 8}
		if diff := cmp.Diff(want, info); diff != "" || string(b) != "a,b\n1,2\n" {
			t.Errorf("Open(%q) = %q, Info mismatch (-want +got):\n%s", in, b, diff)
		}
	}

	_, _, err := openAll(t, f, "data/missing.csv", "")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), filepath.Join(base, "data", "missing.csv")) {
		t.Errorf("Open(missing) = %v, want ErrNotFound naming the absolute path", err)
	}
	if _, _, err := openAll(t, f, "adir", ""); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Open(directory) = %v, want a not-a-regular-file error", err)
	}
}

func TestOpenLocalCancelStopsReading(t *testing.T) {
	base := t.TempDir()
	writeFile(t, base, "f.txt", "0123456789")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := testFetcher(t)
	f.BaseDir = base
	rc, _, err := f.Open(ctx, "f.txt", Pin{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	buf := make([]byte, 4)
	if _, err := rc.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := rc.Read(buf); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "at byte 4") {
		t.Errorf("Read after cancel = %v, want context.Canceled at byte 4", err)
	}
}

func TestOpenInvalidPin(t *testing.T) {
	for _, pin := range []string{"sha256:abc", "md5:0123", "nocolon"} {
		_, _, err := testFetcher(t).Open(context.Background(), "x.csv", Pin{Digest: digest.Digest(pin)})
		if err == nil || !strings.Contains(err.Error(), "invalid pin") {
			t.Errorf("Open(pin %q) = %v, want an invalid pin error", pin, err)
		}
	}
}

func TestSplitMirrorList(t *testing.T) {
	got := SplitMirrorList("/a::/b/c:")
	if want := []string{"/a", "/b/c"}; !cmp.Equal(got, want) {
		t.Errorf("SplitMirrorList = %q, want %q", got, want)
	}
	if got := SplitMirrorList(""); len(got) != 0 {
		t.Errorf("SplitMirrorList(\"\") = %q, want none", got)
	}
}
