package synth

import (
	"fmt"
	"math/bits"
	"strings"
	"testing"
)

// TestLintCatchesKnownDefects: each rule fires on the defects found in the
// v1 output, and stays quiet on their corrections.
func TestLintCatchesKnownDefects(t *testing.T) {
	bad := []string{
		"My partner ended our relationship for the past couple of weeks ago and I still feel low.",
		"Would you be my my person? Just say yes.",
		"I take a antidepressant every morning.",
		"I keep thinking about it on on the bus.",
		"I'm on an SSRI and a ADHD medication.",
		"I am tired since the spring.",
		"I feel low for about two weeks.",
		"It is an university town.",
		"I feel  numb.",
		"I feel numb .",
		"I nearly fell asleep at in the break room yesterday.",
		"I tried working at on the couch instead of at home.",
	}
	for _, s := range bad {
		if len(Lint(s)) == 0 {
			t.Errorf("Lint(%q) = no problems, want one", s)
		}
	}
	good := []string{
		"My partner ended our relationship a couple of weeks ago and I still feel low.",
		"Would you be my person? Just say yes.",
		"I take an antidepressant every morning.",
		"I'm on an SSRI and an ADHD medication.",
		"I've been tired since the spring.",
		"It's been like this since the summer.",
		"It is a university town, an hour away.",
		"Since we trust each other, can I ask you something?",
		"I had had enough by then.",
		"I sit in my room at night, in silence.",
		"I leaned on it. In the end it helped.",
	}
	for _, s := range good {
		if p := Lint(s); len(p) != 0 {
			t.Errorf("Lint(%q) = %v, want none", s, p)
		}
	}
}

// allSlotValues is, per slot, every value it can take anywhere in the
// library: its own values and every persona's and problem's override.
func allSlotValues(lib *Library) [][]string {
	vals := make([][]string, len(lib.slots))
	for i, s := range lib.slots {
		seen := map[string]bool{}
		add := func(vs []string) {
			for _, v := range vs {
				if !seen[v] {
					seen[v] = true
					vals[i] = append(vals[i], v)
				}
			}
		}
		add(s.values)
		for _, p := range lib.personas {
			add(p.slots[i])
		}
		for _, p := range lib.problems {
			add(p.slots[i])
		}
	}
	return vals
}

// forEachTemplate calls f for every template of the library with where it
// is.
func forEachTemplate(lib *Library, f func(where string, t *tmpl)) {
	each := func(where string, ts []tmpl) {
		for i := range ts {
			f(fmt.Sprintf("%s[%d]", where, i), &ts[i])
		}
	}
	for _, p := range lib.problems {
		each("problem "+p.name+" situations", p.situations)
		for i, st := range p.stages {
			each("problem "+p.name+" "+preStageNames[i], st.tmpls)
		}
		each("problem "+p.name+" more", p.more)
	}
	for _, e := range lib.escs {
		for i, st := range e.steps {
			each(fmt.Sprintf("escalation %s step %d", e.name, i+1), st.tmpls)
		}
	}
	for _, fu := range lib.followups {
		each("followup "+fu.name, fu.lines)
	}
	for _, r := range lib.refs {
		each("reference "+r.name, r.lines)
	}
	each("style asides", lib.asides)
}

// expand calls f with every filling of t: every combination of the values
// of the slots it uses.
func expand(t *tmpl, vals [][]string, f func(string)) {
	var used []int
	for m := t.mask; m != 0; m &= m - 1 {
		used = append(used, bits.TrailingZeros64(m))
	}
	b := make(binding, len(vals))
	var rec func(k int)
	rec = func(k int) {
		if k == len(used) {
			f(string(t.appendFill(nil, vals, b, nil)))
			return
		}
		for v := range vals[used[k]] {
			b[used[k]] = int32(v)
			rec(k + 1)
		}
	}
	for i := range b {
		b[i] = -1
	}
	rec(0)
}

// TestLintAllExpansions runs Lint over every expansion of every template in
// the real library (every value of every slot each template uses, persona
// and problem overrides included), and over every discourse lead and tail
// joined to every template's expansions: zero failures.
func TestLintAllExpansions(t *testing.T) {
	lib := realLibrary(t)
	vals := allSlotValues(lib)
	n, failures := 0, 0
	reported := map[string]bool{}
	forEachTemplate(lib, func(where string, tm *tmpl) {
		k := 0
		expand(tm, vals, func(s string) {
			n++
			p := Lint(s)
			if k < 3 && !strings.HasPrefix(where, "reference") {
				for _, lead := range lib.leads {
					p = append(p, Lint(string(withLead(lead, []byte(s))))...)
				}
				for _, tail := range lib.tails {
					p = append(p, Lint(string(withTail([]byte(s), tail)))...)
				}
			}
			k++
			if len(p) > 0 {
				failures++
				if !reported[where] {
					reported[where] = true
					t.Errorf("%s: %q: %v", where, s, p)
				}
			}
			if m, bad := methodPhrase(s); bad {
				t.Errorf("%s: %q contains the method phrase %q", where, s, m)
			}
		})
	})
	t.Logf("linted %d expansions (plus leads and tails): %d failures", n, failures)
	if n < 10000 {
		t.Errorf("only %d expansions: the enumeration is broken", n)
	}
}
