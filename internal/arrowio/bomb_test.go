package arrowio

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	flatbuffers "github.com/google/flatbuffers/go"
)

// Issue 8, item 10: malformed input is a *DataError naming the file, from
// every decoder, never a panic or an out-of-memory death. The schema bomb
// (a list claiming 2^31-1 children) reaches arrow-go's schema parser from
// an IPC stream, an IPC file's footer and the Arrow schema a Parquet file
// stores.
func TestSchemaBombIsADataError(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	bomb := ipcSchemaBomb()
	dir := t.TempDir()
	files := map[string][]byte{"bomb.arrows": bomb}

	// A Parquet file of one int column whose stored Arrow schema is the bomb.
	sc := arrow.NewSchema([]arrow.Field{{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true}}, nil)
	var pq bytes.Buffer
	fw, err := pqarrow.NewFileWriter(sc, &pq, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.AppendKeyValueMetadata("ARROW:schema", base64.StdEncoding.EncodeToString(bomb)); err != nil {
		t.Fatal(err)
	}
	b := array.NewInt32Builder(mem)
	b.AppendValues([]int32{1, 2}, nil)
	col := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(sc, []arrow.Array{col}, 2)
	col.Release()
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	files["bomb.parquet"] = pq.Bytes()

	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := InferSchema(context.Background(), []string{p}, ReadOptions{})
		var de *DataError
		if !errors.As(err, &de) || de.File != p {
			t.Errorf("%s: InferSchema error %v, want a *DataError naming the file", name, err)
		}
	}
}

// schemaBomb is an IPC stream of one schema message (a few hundred bytes)
// whose list field claims 2^31-1 child fields: arrow-go allocates them all
// before it notices the flatbuffer holds one, and the process dies of an
// out-of-memory error no recover catches.
func ipcSchemaBomb() []byte {
	b := flatbuffers.NewBuilder(256)
	// Int{bitWidth: 32, is_signed: true}
	b.StartObject(2)
	b.PrependInt32Slot(0, 32, 0)
	b.PrependBoolSlot(1, true, false)
	intType := b.EndObject()
	itemName := b.CreateString("item")
	b.StartObject(7) // Field
	b.PrependUOffsetTSlot(0, itemName, 0)
	b.PrependBoolSlot(1, true, false)
	b.PrependByteSlot(2, 2, 0) // Type.Int
	b.PrependUOffsetTSlot(3, intType, 0)
	item := b.EndObject()
	b.StartVector(4, 1, 4)
	b.PrependUOffsetT(item)
	children := b.EndVector(1)
	childrenAt := children // offset from the end of the finished buffer
	b.StartObject(0)       // List{}
	listType := b.EndObject()
	name := b.CreateString("l")
	b.StartObject(7)
	b.PrependUOffsetTSlot(0, name, 0)
	b.PrependBoolSlot(1, true, false)
	b.PrependByteSlot(2, 12, 0) // Type.List
	b.PrependUOffsetTSlot(3, listType, 0)
	b.PrependUOffsetTSlot(5, children, 0)
	field := b.EndObject()
	b.StartVector(4, 1, 4)
	b.PrependUOffsetT(field)
	fields := b.EndVector(1)
	b.StartObject(4) // Schema
	b.PrependUOffsetTSlot(1, fields, 0)
	schema := b.EndObject()
	b.StartObject(5)            // Message
	b.PrependInt16Slot(0, 4, 0) // MetadataVersion.V5
	b.PrependByteSlot(1, 1, 0)  // MessageHeader.Schema
	b.PrependUOffsetTSlot(2, schema, 0)
	b.PrependInt64Slot(3, 0, 0)
	b.Finish(b.EndObject())
	meta := b.FinishedBytes()
	// The children vector's length: one, as built; claim 2^31-1.
	binary.LittleEndian.PutUint32(meta[len(meta)-int(childrenAt):], 0x7fffffff)
	for len(meta)%8 != 0 {
		meta = append(meta, 0)
	}
	var out bytes.Buffer
	out.Write([]byte{0xff, 0xff, 0xff, 0xff})
	binary.Write(&out, binary.LittleEndian, int32(len(meta)))
	out.Write(meta)
	out.Write([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	return out.Bytes()
}
