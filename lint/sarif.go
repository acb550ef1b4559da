package lint

import (
	"net/url"
	"path/filepath"
	"strings"
)

// SARIF 2.1.0, the subset code-scanning tools read.

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                `json:"tool"`
	OriginalURIBaseIDs map[string]sarifArtifact `json:"originalUriBaseIds,omitempty"`
	Results            []sarifResult            `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	ShortDescription     sarifText    `json:"shortDescription"`
	FullDescription      sarifText    `json:"fullDescription"`
	DefaultConfiguration sarifDefault `json:"defaultConfiguration"`
}

type sarifDefault struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

func sarifLevel(s Severity) string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// srcRoot is the uriBaseId of relative file names.
const srcRoot = "%SRCROOT%"

// artifactURI turns a file name into a SARIF artifact location: a URI
// relative to %SRCROOT% for relative names, a file: URI for absolute ones.
func artifactURI(name string) sarifArtifact {
	name = filepath.ToSlash(name)
	if strings.HasPrefix(name, "/") {
		return sarifArtifact{URI: (&url.URL{Scheme: "file", Path: name}).String()}
	}
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return sarifArtifact{URI: strings.Join(segs, "/"), URIBaseID: srcRoot}
}

func renderSARIF(probs []Problem, _ Summary, o WriterOptions) any {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "dwshim lint",
			Version:        o.Version,
			InformationURI: "https://github.com/dwshim/dwshim/blob/main/docs/lint.md",
		}},
		Results: []sarifResult{},
	}
	if o.Root != "" {
		root := filepath.ToSlash(o.Root)
		if !strings.HasSuffix(root, "/") {
			root += "/"
		}
		run.OriginalURIBaseIDs = map[string]sarifArtifact{srcRoot: {URI: (&url.URL{Scheme: "file", Path: root}).String()}}
	}
	index := map[string]int{}
	for i, r := range Rules {
		index[r.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: r.ID, ShortDescription: sarifText{r.ID}, FullDescription: sarifText{r.Description},
			DefaultConfiguration: sarifDefault{sarifLevel(r.Severity)},
		})
	}
	for _, p := range probs {
		loc := sarifLocation{
			PhysicalLocation: sarifPhysical{ArtifactLocation: artifactURI(p.File)},
			LogicalLocations: []sarifLogical{{
				Name:               p.Task + " " + displayPointer(p.Pointer),
				FullyQualifiedName: p.Task + "#" + p.Pointer,
				Kind:               "object",
			}},
		}
		if p.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: p.Line, StartColumn: p.Column}
		}
		run.Results = append(run.Results, sarifResult{
			RuleID: p.Rule, RuleIndex: index[p.Rule], Level: sarifLevel(p.Severity),
			Message: sarifText{p.Message}, Locations: []sarifLocation{loc},
		})
	}
	return sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	}
}
