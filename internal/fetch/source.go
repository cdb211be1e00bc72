package fetch

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// source is a requested URL resolved to what will serve it.
type source struct {
	display  string // the URL for messages, with any password redacted
	httpURL  string // set for http, https and hf
	hf       bool   // httpURL is on the HuggingFace endpoint: send the token
	local    string // absolute path, set for file: URLs and plain paths
	base     string // base name looked up in mirrors; "" when there is none
	revision string // known before any request (a 40-hex hf revision)
}

func resolve(raw string, cfg *config) (source, error) {
	if raw == "" {
		return source{}, fmt.Errorf("fetch: empty URL")
	}
	if i := strings.IndexFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
		return source{}, fmt.Errorf("fetch %q: control character at byte %d", raw, i)
	}
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok || !validScheme(scheme) {
		return resolveLocal(raw, raw, cfg.baseDir)
	}
	switch strings.ToLower(scheme) {
	case "http", "https":
		u, err := url.Parse(raw)
		if err != nil {
			return source{}, fmt.Errorf("fetch %s: %w", raw, err)
		}
		display := u.Redacted()
		if u.Host == "" {
			return source{}, fmt.Errorf("fetch %s: URL has no host", display)
		}
		return source{display: display, httpURL: u.String(), base: baseName(u.Path)}, nil
	case "file":
		u, err := url.Parse(raw)
		if err != nil {
			return source{}, fmt.Errorf("fetch %s: %w", raw, err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return source{}, fmt.Errorf("fetch %s: file URL names host %q; only local files are supported", raw, u.Host)
		}
		if u.Path == "" || !strings.HasPrefix(u.Path, "/") {
			return source{}, fmt.Errorf("fetch %s: file URL needs an absolute path (file:///dir/name)", raw)
		}
		return resolveLocal(raw, u.Path, cfg.baseDir)
	case "hf":
		return resolveHF(raw, cfg.hfEndpoint)
	default:
		return source{}, fmt.Errorf("fetch %s: unsupported scheme %q (want http, https, file, hf or a local path)", raw, scheme)
	}
}

// validScheme follows RFC 3986, so that a local path containing "://"
// further along (odd, but legal) is not taken for a URL.
func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

func resolveLocal(raw, p, baseDir string) (source, error) {
	if !filepath.IsAbs(p) {
		p = filepath.Join(baseDir, p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return source{}, fmt.Errorf("fetch %s: %w", raw, err)
	}
	return source{display: raw, local: abs, base: baseName(abs)}, nil
}

func baseName(p string) string {
	b := path.Base(p)
	if b == "/" || b == "." || b == ".." {
		return ""
	}
	return b
}

// hfPrefix maps an hf:// repository kind to its path prefix on the Hub:
// models live at the root, the others under their kind.
var hfPrefix = map[string]string{
	"datasets": "datasets/",
	"models":   "",
	"spaces":   "spaces/",
}

// resolveHF maps hf://KIND/ORG/NAME@REV/PATH to
// {endpoint}/KIND/ORG/NAME/resolve/REV/PATH, following the huggingface_hub
// convention: REV is URL-escaped when it contains a slash
// (refs%2Fconvert%2Fparquet) and ends at the next slash; PATH is literal; a
// missing @REV means main.
func resolveHF(raw, endpoint string) (source, error) {
	bad := func(format string, args ...any) (source, error) {
		return source{}, fmt.Errorf("fetch %s: %s (want hf://datasets/ORG/NAME@REV/PATH)", raw, fmt.Sprintf(format, args...))
	}
	rest := raw[len("hf://"):]
	kind, rest, ok := strings.Cut(rest, "/")
	prefix, known := hfPrefix[kind]
	if !ok || !known {
		return bad("repository kind %q is not datasets, models or spaces", kind)
	}
	// The repository id is ORG/NAME, or a bare NAME for legacy canonical
	// repositories; an @ in its first two segments starts the revision.
	var repo, rev, file string
	segs := strings.SplitN(rest, "/", 3)
	switch {
	case strings.Contains(segs[0], "@"):
		repo, rev, _ = strings.Cut(segs[0], "@")
		file = strings.Join(segs[1:], "/")
	case len(segs) >= 2 && strings.Contains(segs[1], "@"):
		name, r, _ := strings.Cut(segs[1], "@")
		repo, rev = segs[0]+"/"+name, r
		if len(segs) == 3 {
			file = segs[2]
		}
	case len(segs) == 3:
		repo, rev, file = segs[0]+"/"+segs[1], "main", segs[2]
	default:
		return bad("no file path after the repository")
	}
	for _, part := range strings.Split(repo, "/") {
		if !validRepoPart(part) {
			return bad("invalid repository name %q", repo)
		}
	}
	rev, err := url.PathUnescape(rev)
	if err != nil || rev == "" {
		return bad("invalid revision")
	}
	if file == "" {
		return bad("no file path after the revision")
	}
	escaped := strings.Split(file, "/")
	for i, s := range escaped {
		if s == "" || s == "." || s == ".." {
			return bad("invalid file path %q", file)
		}
		escaped[i] = url.PathEscape(s)
	}
	ep, err := url.Parse(endpoint)
	if err != nil || (ep.Scheme != "http" && ep.Scheme != "https") || ep.Host == "" {
		return source{}, fmt.Errorf("fetch %s: HuggingFace endpoint %q is not an http(s) URL", raw, endpoint)
	}
	src := source{
		display: raw,
		httpURL: endpoint + "/" + prefix + repo + "/resolve/" + url.PathEscape(rev) + "/" + strings.Join(escaped, "/"),
		hf:      true,
		base:    path.Base(file),
	}
	if isCommit(rev) {
		src.revision = rev
	}
	return src, nil
}

func validRepoPart(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

func isCommit(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// LocalPath tells whether a fetch URL names local files, exactly as the
// fetcher resolves it (a plain path relative to baseDir, or a file:// URL),
// and returns its absolute path. The planner and the fetch op ask it rather
// than parsing URLs their own way, so all three agree on what is local.
func LocalPath(raw, baseDir string) (string, bool) {
	src, err := resolve(raw, &config{baseDir: baseDir})
	if err != nil || src.local == "" {
		return "", false
	}
	return src.local, true
}
