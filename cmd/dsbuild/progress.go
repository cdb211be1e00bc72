package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/dsbuild/dsbuild/internal/graph"
)

// events prints build progress: a live line per running node on a TTY,
// plain lines otherwise, JSON lines with --json.
type events struct {
	mu      sync.Mutex
	w       io.Writer
	json    bool
	tty     bool
	start   time.Time
	running map[string]*nodeState
	drawn   int // lines of the live view currently on screen
	stop    chan struct{}
	wg      sync.WaitGroup
	ran     int
	cached  int
	took    map[string]time.Duration // each finished node's time (the build report)
}

type nodeState struct {
	start time.Time
	rows  int64
	bytes int64
}

func newEvents(g *globals, asJSON bool) *events {
	e := &events{w: g.stderr, json: asJSON, start: time.Now(), running: map[string]*nodeState{}}
	if asJSON {
		e.w = g.stdout
	}
	if f, ok := g.stderr.(*os.File); ok && !asJSON && term.IsTerminal(int(f.Fd())) {
		e.tty = true
		e.stop = make(chan struct{})
		e.wg.Add(1)
		go e.refresh()
	}
	return e
}

func (e *events) refresh() {
	defer e.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.mu.Lock()
			e.redraw()
			e.mu.Unlock()
		}
	}
}

// redraw replaces the live view; callers hold mu.
func (e *events) redraw() {
	e.clear()
	ids := make([]string, 0, len(e.running))
	for id := range e.running {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s := e.running[id]
		el := time.Since(s.start).Seconds()
		rate := ""
		if el > 0 && s.bytes > 0 {
			rate = fmt.Sprintf(" %s/s", human(float64(s.bytes)/el))
		}
		fmt.Fprintf(e.w, "  ⟳ %-32s %10d rows %9s%s %5.1fs\n", id, s.rows, human(float64(s.bytes)), rate, el)
	}
	e.drawn = len(ids)
}

func (e *events) clear() {
	for i := 0; i < e.drawn; i++ {
		fmt.Fprint(e.w, "\x1b[1A\x1b[2K")
	}
	e.drawn = 0
}

func (e *events) line(format string, args ...any) {
	if e.tty {
		e.clear()
	}
	fmt.Fprintf(e.w, format+"\n", args...)
	if e.tty {
		e.redraw()
	}
}

func (e *events) emit(v map[string]any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(e.w, "%s\n", b)
}

func (e *events) Start(n *graph.Node) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.running[n.ID] = &nodeState{start: time.Now()}
}

func (e *events) Progress(n *graph.Node, rows, bytes int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.running[n.ID]; ok {
		if rows > 0 {
			s.rows = rows
		}
		s.bytes = bytes
	}
}

func (e *events) Done(n *graph.Node, d time.Duration, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.running, n.ID)
	if e.took == nil {
		e.took = map[string]time.Duration{}
	}
	e.took[n.ID] = d
	if err != nil {
		var ne *graph.NodeError
		if e.json && errors.As(err, &ne) {
			e.emit(map[string]any{"event": "failed", "node": n.ID, "error": err.Error()})
		}
		return
	}
	m := n.Manifest
	switch {
	case e.json:
		ev := map[string]any{"event": "done", "node": n.ID, "cached": n.Cached, "rows": m.Rows, "logical": m.Logical, "seconds": d.Seconds()}
		e.emit(ev)
	case n.Cached && n.Restored:
		e.line("restored  %-34s %8d rows (output file rewritten from the cache)", n.ID, m.Rows)
	case n.Cached:
		e.line("cached    %-34s %8d rows", n.ID, m.Rows)
	default:
		e.line("ran       %-34s %8d rows %9s %6.2fs", n.ID, m.Rows, human(float64(m.Size)), d.Seconds())
	}
	if n.Cached {
		e.cached++
	} else {
		e.ran++
	}
}

func (e *events) Logf(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.json {
		e.emit(map[string]any{"event": "log", "message": fmt.Sprintf(format, args...)})
		return
	}
	e.line(format, args...)
}

// Failed prints the build's one error (with its node and source range).
func (e *events) Failed(err error) {
	if !e.json {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.emit(map[string]any{"event": "error", "error": err.Error()})
}

func (e *events) Summary(p *graph.Plan) {
	e.mu.Lock()
	defer e.mu.Unlock()
	el := time.Since(e.start)
	if e.json {
		e.emit(map[string]any{"event": "summary", "ran": e.ran, "cached": e.cached, "seconds": el.Seconds()})
		return
	}
	if e.ran == 0 {
		e.line("nothing to do: all %d nodes cached (%.3fs)", e.cached, el.Seconds())
		return
	}
	e.line("built %d nodes, %d cached (%.2fs)", e.ran, e.cached, el.Seconds())
}

func (e *events) Close() {
	if e.stop != nil {
		close(e.stop)
		e.wg.Wait()
		e.mu.Lock()
		e.clear()
		e.mu.Unlock()
	}
}

func human(b float64) string {
	units := []string{"B", "KB", "MB", "GB", "TB"}
	i := 0
	for b >= 1000 && i < len(units)-1 {
		b /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f%s", b, units[i])
	}
	return fmt.Sprintf("%.1f%s", b, units[i])
}

func relPath(base, path string) (string, error) {
	rel, err := filepath.Rel(base, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return path, err
	}
	return rel, nil
}
