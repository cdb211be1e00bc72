// Package recipe loads dsbuild recipes: it parses the HCL files of a recipe,
// checks their structure against a table of node kinds supplied by the
// caller, evaluates the static (load-time) attributes and the variables in
// effect, resolves node references into dependency edges and rejects
// cycles. Every problem in a recipe is reported at once as hcl.Diagnostics
// with source ranges.
//
// The package owns the recipe language's structure, not its meaning: it must
// never know what an op does, never evaluate row expressions (they stay
// unevaluated for the expression compiler, which alone knows the input
// schema), never import Arrow, and never touch the store or the network.
package recipe
