package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: jsonfloor GRAPH.json > OUT.json")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "jsonfloor:", err)
		os.Exit(1)
	}
}

func run(name string, stdout io.Writer) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 64<<10))
	out := bufio.NewWriterSize(stdout, 64<<10)
	if _, err := dec.Token(); err != nil {
		return err
	}
	out.WriteString("{")
	for n := 0; dec.More(); n++ {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		var entry map[string]json.RawMessage
		if err := dec.Decode(&entry); err != nil {
			return err
		}
		var task map[string]any
		if err := json.Unmarshal(entry["task"], &task); err != nil {
			return err
		}
		b, err := json.Marshal(task)
		if err != nil {
			return err
		}
		entry["task"] = b
		e, err := json.Marshal(entry)
		if err != nil {
			return err
		}
		k, _ := json.Marshal(tok)
		if n > 0 {
			out.WriteString(",")
		}
		out.Write(k)
		out.WriteString(":")
		out.Write(e)
	}
	out.WriteString("}\n")
	return out.Flush()
}
