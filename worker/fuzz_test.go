package worker

import (
	"bytes"
	"io"
	"testing"
)

// FuzzParseConfig: any bytes give a config or an error, never a panic.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(minimalConfig))
	f.Add([]byte(`{"capacity":"x","d2gConfig":{"enableD2G":1}}`))
	f.Add([]byte(`{"workerTypeMetadata":null,"publicIP":"::1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b)
		if err == nil && (c.Capacity < 1 || c.Capacity > MaxCapacity) {
			t.Fatalf("accepted capacity %d", c.Capacity)
		}
	})
}

// FuzzProtocolInput: whatever worker-runner writes, the worker does not
// crash, and handlers only see well-typed values.
func FuzzProtocolInput(f *testing.F) {
	f.Add([]byte("~{\"type\":\"welcome\",\"capabilities\":[\"log\"]}\n~{\"type\":\"graceful-termination\",\"finish-tasks\":true}\n"))
	f.Add([]byte("~{\"type\":\"welcome\"}\n~{\"type\":\"new-credentials\",\"client-id\":5}\n"))
	f.Add([]byte("~{\"type\":\"welcome\",\"capabilities\":null}\nnot json\n~{}\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		p := StartProtocol(bytes.NewReader(in), &out, io.Discard, ProtocolHandlers{
			GracefulTermination: func(bool) {},
			NewCredentials: func(c Credentials) {
				if c.ClientID == "" || c.AccessToken == "" {
					t.Errorf("empty credentials passed on: %+v", c)
				}
			},
		})
		p.WaitForEOF()
		p.Log("after EOF")
	})
}
