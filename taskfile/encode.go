package taskfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ReplaceMember returns the JSON object obj with the value of member key
// replaced by val (appended when obj has no such member), keeping the other
// members and their order. The result is compact.
func ReplaceMember(obj json.RawMessage, key string, val json.RawMessage) (json.RawMessage, error) {
	if !isKind(obj, '{') {
		return nil, fmt.Errorf("replace %q: not a JSON object", key)
	}
	var out bytes.Buffer
	out.WriteByte('{')
	n, found := 0, false
	var err error
	members(obj, func(k string, _ int, v json.RawMessage) bool {
		if n > 0 {
			out.WriteByte(',')
		}
		n++
		kb, _ := json.Marshal(k)
		out.Write(kb)
		out.WriteByte(':')
		if k == key && !found {
			v, found = val, true
		}
		if err = json.Compact(&out, v); err != nil {
			return false
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("replace %q: %w", key, err)
	}
	if !found {
		if n > 0 {
			out.WriteByte(',')
		}
		kb, _ := json.Marshal(key)
		out.Write(kb)
		out.WriteByte(':')
		if err := json.Compact(&out, val); err != nil {
			return nil, fmt.Errorf("replace %q: %w", key, err)
		}
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// YAMLNode converts a JSON document to a YAML node tree that keeps the
// JSON's key order; multi-line strings use the literal block style.
func YAMLNode(doc []byte) (*yaml.Node, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	n, err := yamlValue(d)
	if err != nil {
		return nil, fmt.Errorf("convert JSON to YAML: %w", err)
	}
	return n, nil
}

func yamlValue(d *json.Decoder) (*yaml.Node, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		if v == '[' {
			n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
		}
		for d.More() {
			if n.Kind == yaml.MappingNode {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				ks, _ := k.(string)
				n.Content = append(n.Content, yamlString(ks))
			}
			c, err := yamlValue(d)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		if _, err := d.Token(); err != nil {
			return nil, err
		}
		return n, nil
	case string:
		return yamlString(v), nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(v.String(), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v.String()}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}, nil
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
}

func yamlString(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	switch {
	case strings.Contains(s, "\n") && !strings.ContainsAny(s, "\r\t") && strings.TrimRight(s, " ") == s:
		n.Style = yaml.LiteralStyle
	case yaml11Bool[strings.ToLower(s)]:
		// YAML 1.1 readers (PyYAML) would read these as booleans.
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

var yaml11Bool = map[string]bool{"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true}
