// Package yamljson is dwshim's one YAML reader: it turns YAML documents
// into JSON text (string keys, JSON numbers) and records where every value
// was, by JSON pointer, so problems found later in the JSON can be shown at
// the file's line and column.
//
// Data flow: a file's bytes → Decoder.Next (or First) → Doc{JSON, Pos} →
// the caller's JSON decoding. taskfile reads task files with it (payloads,
// task definitions, graphs), tctemplate reads .taskcluster.yml templates
// and hooks (Options.MergeKeys, Options.Timestamps), and dwshim local its
// input through taskfile.
//
// It must stay safe on hostile input: aliases, nesting, node count and
// output size are bounded (see the limits), duplicate keys are an error,
// and it does no I/O: the caller reads the bytes and bounds their size.
package yamljson
