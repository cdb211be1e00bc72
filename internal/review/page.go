// Package review writes the review sheet of a dataset: one self-contained
// HTML page (inline CSS and JavaScript, no network) that shows each
// conversation with its labels and a verdict form, and exports the verdicts
// as a CSV with the columns of Header.
//
// Every value from the data reaches the page through html/template's
// contextual escaping, never through string concatenation, so a
// conversation's text cannot become markup or script. The page is a pure
// function of its input: no time, no random ids.
package review

import (
	"bytes"
	_ "embed"
	"html/template"
	"strings"
)

// Header is the CSV the page exports and the template lists: one record
// per conversation, RFC 4180 quoting, LF line ends (as dsbuild's CSV
// output writes them, so an export of an untouched page is the template).
var Header = []string{"conversation_id", "review_verdict", "review_note"}

// Verdicts are the values review_verdict takes.
var Verdicts = []string{"keep", "fix", "drop"}

// Turn is one turn of a conversation.
type Turn struct {
	Turn     string
	Role     string
	Text     string
	Strategy string // "" when null
}

// Label is one labelled value shown with a conversation.
type Label struct {
	Name, Value string
}

// Conversation is one sheet entry.
type Conversation struct {
	ID     string
	Labels []Label
	Turns  []Turn
}

// Page is the whole sheet.
type Page struct {
	Title         string
	Conversations []Conversation
}

//go:embed page.html.tmpl
var pageTemplate string

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"join":     strings.Join,
	"verdicts": func() []string { return Verdicts },
	"header":   func() string { return strings.Join(Header, ",") },
	"inc":      func(i int) int { return i + 1 },
}).Parse(pageTemplate))

// HTML renders the page.
func (p *Page) HTML() ([]byte, error) {
	var b bytes.Buffer
	if err := tmpl.Execute(&b, p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
