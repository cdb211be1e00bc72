package card

import (
	"bytes"
	"encoding/json"
	"path"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// croissantContext is the JSON-LD context of Croissant 1.0 documents (the
// one the specification's examples carry).
var croissantContext = map[string]any{
	"@language":     "en",
	"@vocab":        "https://schema.org/",
	"citeAs":        "cr:citeAs",
	"column":        "cr:column",
	"conformsTo":    "dct:conformsTo",
	"cr":            "http://mlcommons.org/croissant/",
	"rai":           "http://mlcommons.org/croissant/RAI/",
	"data":          map[string]string{"@id": "cr:data", "@type": "@json"},
	"dataType":      map[string]string{"@id": "cr:dataType", "@type": "@vocab"},
	"dct":           "http://purl.org/dc/terms/",
	"examples":      map[string]string{"@id": "cr:examples", "@type": "@json"},
	"extract":       "cr:extract",
	"field":         "cr:field",
	"fileProperty":  "cr:fileProperty",
	"fileObject":    "cr:fileObject",
	"fileSet":       "cr:fileSet",
	"format":        "cr:format",
	"includes":      "cr:includes",
	"isLiveDataset": "cr:isLiveDataset",
	"jsonPath":      "cr:jsonPath",
	"key":           "cr:key",
	"md5":           "cr:md5",
	"parentField":   "cr:parentField",
	"path":          "cr:path",
	"recordSet":     "cr:recordSet",
	"references":    "cr:references",
	"regex":         "cr:regex",
	"repeated":      "cr:repeated",
	"replace":       "cr:replace",
	"sc":            "https://schema.org/",
	"separator":     "cr:separator",
	"source":        "cr:source",
	"subField":      "cr:subField",
	"transform":     "cr:transform",
}

// ConformsTo is the Croissant version the documents declare.
const ConformsTo = "http://mlcommons.org/croissant/1.0"

type crDataset struct {
	Context       map[string]any `json:"@context"`
	Type          string         `json:"@type"`
	ConformsTo    string         `json:"conformsTo"`
	Name          string         `json:"name"`
	Description   string         `json:"description"`
	License       []string       `json:"license"`
	URL           string         `json:"url"`
	CiteAs        string         `json:"citeAs,omitempty"`
	InLanguage    []string       `json:"inLanguage,omitempty"`
	Keywords      []string       `json:"keywords,omitempty"`
	IsLiveDataset bool           `json:"isLiveDataset"`
	Distribution  []crFile       `json:"distribution"`
	RecordSet     []crRecordSet  `json:"recordSet"`
}

type crFile struct {
	Type           string `json:"@type"`
	ID             string `json:"@id"`
	Name           string `json:"name"`
	ContentURL     string `json:"contentUrl"`
	ContentSize    string `json:"contentSize"`
	EncodingFormat string `json:"encodingFormat"`
	SHA256         string `json:"sha256"`
}

type crRecordSet struct {
	Type        string    `json:"@type"`
	ID          string    `json:"@id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Field       []crField `json:"field"`
}

type crField struct {
	Type     string    `json:"@type"`
	ID       string    `json:"@id"`
	Name     string    `json:"name"`
	DataType string    `json:"dataType,omitempty"`
	Repeated bool      `json:"repeated,omitempty"`
	Source   *crSource `json:"source,omitempty"`
	SubField []crField `json:"subField,omitempty"`
}

type crSource struct {
	FileObject crRef        `json:"fileObject"`
	Extract    crExtract    `json:"extract"`
	Transform  *crTransform `json:"transform,omitempty"`
}

type crRef struct {
	ID string `json:"@id"`
}

type crExtract struct {
	Column string `json:"column"`
}

type crTransform struct {
	JSONPath string `json:"jsonPath"`
}

// croissantFormat is the encodingFormat Croissant tools recognise.
func croissantFormat(f File) string {
	switch f.Format {
	case "parquet":
		return "application/x-parquet"
	case "jsonl":
		return "application/jsonlines"
	case "csv":
		return "text/csv"
	}
	return f.MediaType
}

// Croissant renders the Croissant 1.0 description: every data file as a
// FileObject with the lock's sha256, and the first file's columns as a
// record set (nested structs as subFields, lists as repeated fields).
func (c *Card) Croissant() []byte {
	d := crDataset{
		Context:      croissantContext,
		Type:         "sc:Dataset",
		ConformsTo:   ConformsTo,
		Name:         c.Meta.Title,
		Description:  strings.TrimSpace(c.Meta.Description),
		URL:          "README.md",
		CiteAs:       strings.TrimSpace(strings.Join(c.Meta.Citations, "\n\n")),
		InLanguage:   c.Stats.Languages,
		Keywords:     c.Meta.TaskCategories,
		Distribution: []crFile{},
		RecordSet:    []crRecordSet{},
	}
	if d.Name == "" {
		d.Name = "dataset"
	}
	if d.Description == "" {
		// Croissant requires one.
		d.Description = d.Name
	}
	for _, l := range c.Stats.Licenses {
		d.License = append(d.License, licenseURL(l))
	}
	if d.License == nil {
		d.License = []string{}
	}
	for _, f := range c.Files {
		d.Distribution = append(d.Distribution, crFile{
			Type: "cr:FileObject", ID: f.Path, Name: f.Path, ContentURL: f.Path,
			ContentSize: itoa(f.Size) + " B", EncodingFormat: croissantFormat(f), SHA256: f.SHA256,
		})
	}
	if len(c.Files) > 0 {
		f := c.Files[0]
		id := strings.TrimSuffix(path.Base(f.Path), path.Ext(f.Path))
		rs := crRecordSet{Type: "cr:RecordSet", ID: id, Name: id, Description: itoa(c.Stats.Rows) + " records, one per row of " + f.Path + "."}
		for _, fl := range c.Schema.Fields() {
			rs.Field = append(rs.Field, crFieldOf(id, f.Path, fl.Name, "", fl))
		}
		d.RecordSet = append(d.RecordSet, rs)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(d) // only strings, bools and maps of strings: cannot fail
	return b.Bytes()
}

// crFieldOf describes one column (or, below it, a struct member reached by
// jsonPath from the column).
func crFieldOf(parent, file, column, jsonPath string, f arrow.Field) crField {
	id := parent + "/" + f.Name
	out := crField{Type: "cr:Field", ID: id, Name: f.Name,
		Source: &crSource{FileObject: crRef{file}, Extract: crExtract{column}}}
	if jsonPath != "" {
		out.Source.Transform = &crTransform{jsonPath}
	}
	t := f.Type
	// Croissant 1.0 has one "repeated"; a list of lists is repeated values
	// of the innermost type.
	for {
		l, ok := t.(arrow.ListLikeType)
		if !ok {
			break
		}
		out.Repeated = true
		t = l.Elem()
	}
	if st, ok := t.(*arrow.StructType); ok {
		for _, sf := range st.Fields() {
			out.SubField = append(out.SubField, crFieldOf(id, file, column, joinPath(jsonPath, sf.Name), sf))
		}
		return out
	}
	out.DataType = crDataType(t)
	return out
}

func joinPath(p, name string) string {
	if p == "" {
		return name
	}
	return p + "." + name
}

func crDataType(t arrow.DataType) string {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return "sc:Integer"
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		return "sc:Float"
	case arrow.BOOL:
		return "sc:Boolean"
	case arrow.DATE32, arrow.DATE64:
		return "sc:Date"
	case arrow.TIMESTAMP:
		return "sc:DateTime"
	case arrow.DICTIONARY:
		return crDataType(t.(*arrow.DictionaryType).ValueType)
	}
	return "sc:Text"
}

// licenseURL names an SPDX license by its SPDX page, as schema.org's
// license (a URL or text) is best given; other text is kept as it is.
func licenseURL(spdx string) string {
	s := strings.TrimSpace(spdx)
	if s == "" || strings.EqualFold(s, "unknown") || strings.HasPrefix(s, "LicenseRef-") || strings.ContainsAny(s, " /:") {
		return s
	}
	return "https://spdx.org/licenses/" + s + ".html"
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
