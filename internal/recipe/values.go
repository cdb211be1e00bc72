package recipe

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// parseVarValue turns the text of -var NAME=VALUE into a value of type ty.
//
// Only literals are parsed: arithmetic or references in VALUE would make
// "2024-01-01" the number 2022, so anything that is not a plain literal is
// taken verbatim as a string, and a string-typed variable always takes the
// text verbatim (so "1.50" keeps its trailing zero).
func parseVarValue(raw string, ty cty.Type) (cty.Value, error) {
	val := cty.StringVal(raw)
	if !ty.Equals(cty.String) {
		// The value is parsed as HCL, whose parser would overflow the
		// stack on deep nesting.
		if d := CheckNesting([]byte(raw), "-var"); d.HasErrors() {
			return cty.NilVal, fmt.Errorf("%s at column %d", strings.ToLower(d[0].Summary[:1])+d[0].Summary[1:], d[0].Subject.Start.Column)
		}
		if lit, ok := literalValue(raw); ok {
			val = lit
		}
	}
	return convert.Convert(val, ty)
}

// literalValue parses raw as an HCL literal: a number, a bool, a quoted
// string without interpolation, or a list or object of literals.
func literalValue(raw string) (cty.Value, bool) {
	expr, diags := hclsyntax.ParseExpression([]byte(raw), "-var", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	literal := true
	hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		switch n := n.(type) {
		case *hclsyntax.LiteralValueExpr, *hclsyntax.TupleConsExpr,
			*hclsyntax.ObjectConsExpr, *hclsyntax.ObjectConsKeyExpr,
			*hclsyntax.TemplateExpr:
		case *hclsyntax.UnaryOpExpr:
			literal = literal && n.Op == hclsyntax.OpNegate
		default:
			literal = false
		}
		return nil
	})
	if !literal {
		return cty.NilVal, false
	}
	val, diags := expr.Value(nil)
	if diags.HasErrors() || val.IsNull() || !val.IsWhollyKnown() {
		return cty.NilVal, false
	}
	return val, true
}

func typeString(ty cty.Type) string {
	if ty == cty.NilType {
		return "any"
	}
	return typeexpr.TypeString(ty)
}

// typeHint tells the user how to write a value of type ty.
func typeHint(ty cty.Type) string {
	switch {
	case ty.Equals(cty.String):
		return `Write a string in quotes, e.g. "json".`
	case ty.Equals(cty.Number):
		return "Write a number without quotes, e.g. 3."
	case ty.Equals(cty.Bool):
		return "Write true or false without quotes."
	case (ty.IsListType() || ty.IsSetType()) && ty.ElementType().Equals(cty.String):
		return `Write a list of strings, e.g. ["a", "b"].`
	case ty.IsMapType() && ty.ElementType().Equals(cty.String):
		return `Write an object of strings, e.g. {old_name = "new_name"}.`
	case ty.IsListType() || ty.IsSetType():
		return fmt.Sprintf("Write a list, [...], of type %s.", typeString(ty))
	case ty.IsMapType() || ty.IsObjectType():
		return fmt.Sprintf("Write an object, {...}, of type %s.", typeString(ty))
	}
	return fmt.Sprintf("The expected type is %s.", typeString(ty))
}

// formatConvertError renders a conversion error; cty already names the
// element of a nested value ("element 1: string required").
func formatConvertError(err error) string {
	return err.Error()
}
