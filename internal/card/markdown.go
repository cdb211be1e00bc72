package card

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Markdown renders the Hugging Face dataset card: a YAML header the Hub
// reads (license, language, configs with data_files relative to the card,
// dataset_info.features from the Arrow schema) and a body for people.
func (c *Card) Markdown() []byte {
	var b strings.Builder
	c.yamlHeader(&b)
	c.body(&b)
	return []byte(b.String())
}

var plainYAML = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_./<>+-]*$`)

// yq quotes a YAML scalar when it could be read as anything but the same
// string (JSON strings are YAML double-quoted scalars).
func yq(s string) string {
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~":
		return jsonString(s)
	}
	if plainYAML.MatchString(s) {
		return s
	}
	return jsonString(s)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (c *Card) yamlHeader(b *strings.Builder) {
	b.WriteString("---\n")
	var lics []string
	seen := map[string]bool{}
	for _, l := range c.Stats.Licenses {
		h := hubLicense(l)
		if !seen[h] {
			seen[h] = true
			lics = append(lics, h)
		}
	}
	if len(lics) == 0 {
		lics = []string{"unknown"}
	}
	yamlList(b, "license", lics)
	if c.Meta.Title != "" {
		fmt.Fprintf(b, "pretty_name: %s\n", yq(c.Meta.Title))
	}
	if len(c.Stats.Languages) > 0 {
		yamlList(b, "language", c.Stats.Languages)
	}
	if len(c.Meta.TaskCategories) > 0 {
		yamlList(b, "task_categories", c.Meta.TaskCategories)
	}
	yamlList(b, "size_categories", []string{sizeCategory(c.Stats.Rows)})
	b.WriteString("configs:\n")
	for i, name := range configNames(c.Files) {
		f := c.Files[i]
		fmt.Fprintf(b, "- config_name: %s\n", yq(name))
		if i == 0 {
			b.WriteString("  default: true\n")
		}
		b.WriteString("  data_files:\n")
		fmt.Fprintf(b, "  - split: train\n    path: %s\n", yq(f.Path))
	}
	b.WriteString("dataset_info:\n  features:\n")
	for _, f := range c.Schema.Fields() {
		yamlFeature(b, "  ", f)
	}
	b.WriteString("  splits:\n  - name: train\n")
	fmt.Fprintf(b, "    num_examples: %d\n", c.Stats.Rows)
	if len(c.Files) > 0 {
		fmt.Fprintf(b, "  download_size: %d\n", c.Files[0].Size)
	}
	b.WriteString("---\n")
}

func yamlList(b *strings.Builder, key string, vals []string) {
	fmt.Fprintf(b, "%s:\n", key)
	for _, v := range vals {
		fmt.Fprintf(b, "- %s\n", yq(v))
	}
}

// yamlFeature writes one field in the Hub's dataset_info.features form:
// dtype for scalars, struct: for structs, list: for lists of structs,
// sequence: for lists of scalars.
func yamlFeature(b *strings.Builder, ind string, f arrow.Field) {
	fmt.Fprintf(b, "%s- name: %s\n", ind, yq(f.Name))
	yamlType(b, ind+"  ", f.Type)
}

func yamlType(b *strings.Builder, ind string, t arrow.DataType) {
	switch t := t.(type) {
	case *arrow.StructType:
		fmt.Fprintf(b, "%sstruct:\n", ind)
		for _, sf := range t.Fields() {
			yamlFeature(b, ind, sf)
		}
	case arrow.ListLikeType:
		elem := t.Elem()
		if st, ok := elem.(*arrow.StructType); ok {
			fmt.Fprintf(b, "%slist:\n", ind)
			for _, sf := range st.Fields() {
				yamlFeature(b, ind, sf)
			}
			return
		}
		if _, nested := elem.(arrow.NestedType); nested {
			fmt.Fprintf(b, "%ssequence:\n", ind)
			yamlType(b, ind+"  ", elem)
			return
		}
		fmt.Fprintf(b, "%ssequence: %s\n", ind, yq(hubDtype(elem)))
	default:
		fmt.Fprintf(b, "%sdtype: %s\n", ind, yq(hubDtype(t)))
	}
}

// hubDtype names a scalar Arrow type as the datasets library's Value does.
func hubDtype(t arrow.DataType) string {
	switch t.ID() {
	case arrow.STRING:
		return "string"
	case arrow.LARGE_STRING:
		return "large_string"
	case arrow.BOOL:
		return "bool"
	case arrow.BINARY:
		return "binary"
	case arrow.LARGE_BINARY:
		return "large_binary"
	case arrow.FLOAT16:
		return "float16"
	case arrow.DICTIONARY:
		return hubDtype(t.(*arrow.DictionaryType).ValueType)
	case arrow.TIMESTAMP:
		ts := t.(*arrow.TimestampType)
		if ts.TimeZone != "" {
			return fmt.Sprintf("timestamp[%s, tz=%s]", ts.Unit, ts.TimeZone)
		}
		return fmt.Sprintf("timestamp[%s]", ts.Unit)
	}
	// int8…uint64, float32, float64, date32, date64, null: Arrow's names
	// are the library's.
	return t.String()
}

func (c *Card) body(b *strings.Builder) {
	title := c.Meta.Title
	if title == "" {
		title = "Dataset"
	}
	fmt.Fprintf(b, "\n# %s\n\n", mdText(title))
	if d := strings.TrimSpace(c.Meta.Description); d != "" {
		b.WriteString(d + "\n\n")
	}
	fmt.Fprintf(b, "%d rows. Built by [dsbuild](https://github.com/dsbuild/dsbuild) from `%s`; every count and digest below comes from the build and its lock `%s`.\n", c.Stats.Rows, c.Meta.Recipe, c.Meta.Lock)

	b.WriteString("\n## Files\n\n| file | config | format | rows | bytes | sha256 |\n|---|---|---|---:|---:|---|\n")
	names := configNames(c.Files)
	for i, f := range c.Files {
		fmt.Fprintf(b, "| [%s](%s) | %s | %s | %d | %d | `%s` |\n", mdCell(f.Path), f.Path, names[i], f.Format, f.Rows, f.Size, f.SHA256)
	}

	if len(c.Stats.Sources) > 0 {
		b.WriteString("\n## Sources and licenses\n\nEach row carries its own `license` and `upstream` (the exact file it came from). A row may be used only under its source's license; a source under a non-commercial license (CC BY-NC) makes the whole table non-commercial.\n\n")
		b.WriteString("| source | rows | license | upstream |\n|---|---:|---|---|\n")
		for _, s := range c.Stats.Sources {
			ups := make([]string, len(s.Upstreams))
			for i, u := range s.Upstreams {
				ups[i] = "`" + mdCode(u) + "`"
			}
			fmt.Fprintf(b, "| %s | %d | %s | %s |\n", mdCell(s.Name), s.N, mdCell(strings.Join(s.Licenses, ", ")), strings.Join(ups, "<br>"))
		}
	}

	for _, cc := range c.Stats.Counts {
		fmt.Fprintf(b, "\n## Rows by %s\n\n| %s | rows |\n|---|---:|\n", mdText(cc.Column), mdCell(cc.Column))
		for _, k := range cc.Counts {
			v := mdCell(k.Value)
			if k.Null {
				v = "*(null)*"
			} else if k.Value == "" {
				v = "*(empty)*"
			}
			fmt.Fprintf(b, "| %s | %d |\n", v, k.N)
		}
	}

	b.WriteString("\n## Fields\n\n| column | type |\n|---|---|\n")
	for _, f := range c.Schema.Fields() {
		nn := ""
		if !f.Nullable {
			nn = " not null"
		}
		fmt.Fprintf(b, "| %s | `%s%s` |\n", mdCell(f.Name), mdCode(typeString(f.Type)), nn)
	}

	if len(c.Files) > 0 {
		b.WriteString("\n## Loading\n\n```python\nfrom datasets import load_dataset\n\n")
		fmt.Fprintf(b, "ds = load_dataset(%q, data_files=%q, split=\"train\")\n```\n", loader(c.Files[0].Format), c.Files[0].Path)
		b.WriteString("\nor, from the folder holding this card, `load_dataset(\".\")` (the `configs` above).\n")
	}

	if len(c.Meta.Citations) > 0 {
		b.WriteString("\n## Citations\n\nCite the sources you use:\n\n```bibtex\n")
		for i, cit := range c.Meta.Citations {
			if i > 0 {
				b.WriteString("\n")
			}
			b.WriteString(strings.TrimSpace(strings.ReplaceAll(cit, "```", "'''")) + "\n")
		}
		b.WriteString("```\n")
	}

	mirror := ""
	if c.Meta.Mirror != "" {
		mirror = " --mirror " + c.Meta.Mirror
	}
	fmt.Fprintf(b, "\n## Rebuild and verify\n\nFrom the dsbuild repository root:\n\n```sh\ndsbuild build %s%s    # rebuilds what is not cached, writes these files and %s\ndsbuild verify %s%s   # rebuilds everything from the pinned inputs in a fresh store and compares every digest with the lock\n", c.Meta.Recipe, mirror, c.Meta.Lock, c.Meta.Recipe, mirror)
	if len(c.Files) > 0 {
		b.WriteString("```\n\nThe files themselves, from this folder:\n\n```sh\nsha256sum -c <<'EOF'\n")
		for _, f := range c.Files {
			fmt.Fprintf(b, "%s  %s\n", f.SHA256, f.Path)
		}
		b.WriteString("EOF\n")
	}
	b.WriteString("```\n\nThis card is itself an output of the recipe: it is recorded in the lock, and `dsbuild verify` checks it too.\n")
}

func loader(format string) string {
	switch format {
	case "jsonl":
		return "json"
	case "arrow", "arrows":
		return "arrow"
	}
	return format
}

// typeString renders a type as the lock does, without the Arrow library's
// field decorations.
func typeString(t arrow.DataType) string {
	switch t := t.(type) {
	case *arrow.StructType:
		parts := make([]string, t.NumFields())
		for i, f := range t.Fields() {
			parts[i] = f.Name + ": " + typeString(f.Type)
		}
		return "struct<" + strings.Join(parts, ", ") + ">"
	case *arrow.ListType:
		return "list<" + typeString(t.Elem()) + ">"
	case *arrow.LargeListType:
		return "large_list<" + typeString(t.Elem()) + ">"
	}
	return t.String()
}

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;").Replace(mdText(s))
}

func mdText(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "|", `\|`, "\n", " ").Replace(s)
}
