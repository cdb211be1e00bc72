package recipe

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// findCycles reports every dependency cycle among r.Nodes once. Each
// strongly connected component is one report, printed as the shortest
// cycle through its lexicographically smallest node, so the same recipe
// always prints the same path whatever the order of its blocks.
func findCycles(r *Recipe) hcl.Diagnostics {
	byID := make(map[string]*Node, len(r.Nodes))
	ids := make([]string, 0, len(r.Nodes))
	for _, n := range r.Nodes {
		byID[n.ID()] = n
		ids = append(ids, n.ID())
	}
	sort.Strings(ids)

	var diags hcl.Diagnostics
	for _, scc := range components(ids, byID) {
		inSCC := map[string]bool{}
		for _, id := range scc {
			inSCC[id] = true
		}
		start := scc[0]
		selfLoop := false
		for _, d := range byID[start].Deps {
			selfLoop = selfLoop || d == start
		}
		if len(scc) == 1 && !selfLoop {
			continue
		}
		path := shortestCycle(start, byID, inSCC)
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Dependency cycle: " + strings.Join(path, " → "),
			Detail: fmt.Sprintf("Each of these nodes reads the output of the next, so none of them can be built first. Change the input of one of them (e.g. of %s) to break the cycle.",
				start),
			Subject: byID[start].DeclRange.Ptr(),
		})
	}
	return diags
}

// components returns the strongly connected components of the graph with
// Tarjan's algorithm, each sorted, ordered by their smallest ID.
func components(ids []string, byID map[string]*Node) [][]string {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var out [][]string
	var visit func(id string)
	visit = func(id string) {
		index[id] = len(index)
		low[id] = index[id]
		stack = append(stack, id)
		onStack[id] = true
		for _, d := range byID[id].Deps {
			if _, ok := byID[d]; !ok {
				continue
			}
			if _, seen := index[d]; !seen {
				visit(d)
				low[id] = min(low[id], low[d])
			} else if onStack[d] {
				low[id] = min(low[id], index[d])
			}
		}
		if low[id] != index[id] {
			return
		}
		var scc []string
		for {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[top] = false
			scc = append(scc, top)
			if top == id {
				break
			}
		}
		sort.Strings(scc)
		out = append(out, scc)
	}
	for _, id := range ids {
		if _, seen := index[id]; !seen {
			visit(id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// shortestCycle finds, breadth first over Deps in source order, the
// shortest path from start back to start within one component; it returns
// the path with start at both ends.
func shortestCycle(start string, byID map[string]*Node, inSCC map[string]bool) []string {
	prev := map[string]string{}
	queue := []string{start}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, d := range byID[id].Deps {
			if !inSCC[d] {
				continue
			}
			if d == start {
				path := []string{start}
				for at := id; at != start; at = prev[at] {
					path = append(path, at)
				}
				// path is start, then the nodes walked backwards; reverse
				// all but the first element and close the loop.
				for i, j := 1, len(path)-1; i < j; i, j = i+1, j-1 {
					path[i], path[j] = path[j], path[i]
				}
				return append(path, start)
			}
			if _, seen := prev[d]; !seen {
				prev[d] = id
				queue = append(queue, d)
			}
		}
	}
	return []string{start, start} // unreachable for a real component
}
