package docker

import (
	"bytes"
	"io"
	"testing"

	"github.com/dwshim/dwshim/runner/docker/internal/testimages"
)

// FuzzArtifactStream feeds arbitrary bytes through compression detection,
// decompression and the archive rewrite: errors are fine, panics and
// hangs are not.
func FuzzArtifactStream(f *testing.F) {
	for _, c := range []string{"none", "gzip", "zstd", "lz4", "xz", "bzip2"} {
		var b bytes.Buffer
		if err := testimages.Build(&b, testimages.Options{Compression: c, BusyboxPath: "/dev/null"}); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Add([]byte("\x28\xb5\x2f\xfd garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := decompress(bytes.NewReader(data))
		if err != nil {
			return
		}
		defer d.Close()
		_, _ = rewriteArchive(io.Discard, io.LimitReader(d, 4<<20))
	})
}
