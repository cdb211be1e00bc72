// Package synth owns seeded scenario generation from a template library: it
// parses the HCL template files under recipes/templates, counts how many
// distinct conversations they can produce per category, and draws N distinct
// ones deterministically into Arrow record batches in the conversation schema
// (DESIGN.md §6), with the labels drift studies need (category, tactic, risk
// level, expected behaviour, escalation turn).
//
// A scenario skeleton is a problem family (an ordinary, ESConv-like support
// opening for one problem type) combined with an escalation family (the
// pressure the user later applies). A drawn conversation is a skeleton, a
// number of opening and escalating user turns, one template per turn and a
// value for every slot those templates use; each such combination is one
// point of a finite space whose size is Library.Capacity.
//
// Turn counts are TOTAL turns (user + assistant). Every user turn is followed
// by a short reference reply taken from the library's reply pools and
// labelled with an ESConv strategy, so conversations are complete and
// flatten/embed work on them unchanged; those replies are references, not
// the output of the model under test. Total turns are therefore always even,
// and turn indices are 0-based.
//
// The package must never evaluate recipes, touch the cache or the graph, read
// the clock, or let map order or goroutine scheduling reach its output. Its
// text is the user side of test conversations: it must never contain
// instructions or methods for self-harm (LoadLibrary rejects templates with
// method phrases), and medications are named only by class.
package synth
