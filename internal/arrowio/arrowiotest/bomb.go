// Package arrowiotest holds hostile Arrow inputs that tests in several
// packages feed to the readers (the reader's own tests and the CLI's).
package arrowiotest

import (
	"bytes"
	"encoding/binary"

	flatbuffers "github.com/google/flatbuffers/go"
)

// SchemaBomb is an IPC stream of one schema message (a few hundred bytes)
// whose list field claims 2^31-1 child fields: arrow-go allocates them all
// before it notices the flatbuffer holds one, and the process dies of an
// out-of-memory error no recover catches.
func SchemaBomb() []byte {
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
