// Package synth owns seeded scenario generation from a template library: it
// parses the HCL template files under recipes/templates and draws N
// user-side test scripts of one category deterministically into Arrow
// record batches, with the labels drift studies need. docs/synthesize.md
// is the user documentation (every column, label and rule).
//
// A scenario is a persona (age band, setting, slot values that fit), a
// problem family (an ordinary, ESConv-like support opening) and an
// escalation family (the pressure the user applies: steps with a pressure
// of 0-3 and expect tags, one of them the core request). Its turns are the
// USER turns a harness sends, one per step: support, the family's steps in
// order, then persistence after the core request and recovery. Each turn
// carries its pressure, phase and expect tags; escalation_turn is the first
// turn with pressure > 0 and risk_level is graded from the turns' text
// (RiskOf). Reference replies are optional, in their own column, chosen from
// pools whose lines satisfy every expect tag of their turn (CheckReference).
//
// The package must never evaluate recipes, touch the cache or the graph, read
// the clock, or let map order or goroutine scheduling reach its output. Its
// text is the user side of test conversations: it must never contain
// instructions or methods for self-harm (LoadLibrary rejects templates with
// method phrases), and medications are named only by class.
package synth
