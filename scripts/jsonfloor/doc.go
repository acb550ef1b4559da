// Command jsonfloor is the JSON floor that make bench compares dwshim
// convert and lint with: it reads a task graph (label → entry) as a stream
// and, for each entry, decodes its task into map[string]any and encodes it
// again with encoding/json, writing the graph back out. No translation, no
// checks: what any tool that rewrites every task must at least do.
//
// Not on the data flow: the baseline of make bench; it must stay the
// plainest encoding/json round trip, never optimised.
package main
