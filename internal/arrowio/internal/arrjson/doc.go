// Package arrjson reads the Arrow integration-testing JSON format, in which
// the arrow-testing corpus states the expected content of its golden IPC
// files. It is a copy of arrow-go v18.8.0's internal packages
// arrow/internal/arrjson and arrow/internal/dictutils (Apache License 2.0,
// Copyright The Apache Software Foundation), which Go's internal rule keeps
// from being imported; the only changes are the package name, encoding/json
// for arrow-go's internal json wrapper, hash/maphash for its maphash wrapper
// and a dropped debug assertion. It is used by tests only.
package arrjson
