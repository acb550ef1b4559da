// Package validator validates documents against the JSON Schemas of
// package schemas (github.com/santhosh-tekuri/jsonschema/v6, compiled
// once): the test oracle that translate's decoder and convert's output are
// held to. Only tests import it; the dwshim binary must not (the library
// compiles its meta-schemas at init), which TestBinaryHasNoValidator
// checks.
//
// Problems carry JSON pointers (RFC 6901) into the validated document and
// plain messages that say what is expected.
//
// Data flow: tests only. Entry points: the Validate* functions and
// DecodeJSON.
package validator
