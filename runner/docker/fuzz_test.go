package docker

import (
	"bytes"
	"io"
	"runtime"
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

// FuzzXZGuard feeds arbitrary bytes after the xz magic through
// decompress: no panic, and no dictionary over maxXZDict allocated (the
// decoder allocates one whole per block, so a leak shows in TotalAlloc).
func FuzzXZGuard(f *testing.F) {
	text := bytes.Repeat([]byte("an image layer line\n"), 3000)
	for _, args := range [][]string{{"-C", "crc32", "--block-size=16KiB"}, {"-T2", "--block-size=16KiB"}, {"-C", "sha256"}, {"-C", "none"}} {
		out := xzCmd(f, text, append([]string{"-1"}, args...)...)
		f.Add(out[len(magicXZ):])
		if args[0] == "-C" && args[1] == "crc32" {
			f.Add(patchXZDict(f, out, xzBlockOffsets(f, out)[1], 36)[len(magicXZ):])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		d, err := decompress(bytes.NewReader(append(bytes.Clone(magicXZ), data...)))
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(d, 64<<20))
			d.Close()
		}
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 512<<20 {
			t.Fatalf("allocated %d MiB", alloc>>20)
		}
	})
}
