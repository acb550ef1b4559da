package docker

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

// Compression is how an image artifact is stored.
type Compression string

// Compressions detected by content.
const (
	CompressionNone Compression = "none" // a plain tar
	CompressionGzip Compression = "gzip"
	CompressionZstd Compression = "zstd"
	CompressionLZ4  Compression = "lz4"
	CompressionXZ   Compression = "xz"
	CompressionBzip Compression = "bzip2"
)

var (
	magicGzip = []byte{0x1f, 0x8b}
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicLZ4  = []byte{0x04, 0x22, 0x4d, 0x18}
	magicXZ   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicBzip = []byte("BZh")
)

// errNotImage: the artifact is neither a tar nor a compressed stream we know.
var errNotImage = errors.New("not a tar, gzip, zstd, lz4, xz or bzip2 stream")

// DetectCompression names the compression of a stream from its first bytes
// (at least 512 for a tar). It never decides by file name: artifacts are
// often misnamed.
func DetectCompression(head []byte) (Compression, error) {
	switch {
	case bytes.HasPrefix(head, magicGzip):
		return CompressionGzip, nil
	case bytes.HasPrefix(head, magicZstd):
		return CompressionZstd, nil
	case bytes.HasPrefix(head, magicLZ4):
		return CompressionLZ4, nil
	case bytes.HasPrefix(head, magicXZ):
		return CompressionXZ, nil
	case bytes.HasPrefix(head, magicBzip) && len(head) > 3 && head[3] >= '1' && head[3] <= '9':
		return CompressionBzip, nil
	case len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar")):
		return CompressionNone, nil
	}
	return "", errNotImage
}

// decompressor is a decompressed view of an artifact stream.
type decompressor struct {
	io.Reader
	kind  Compression
	close func()
}

// Close frees the decoder's buffers; it does not close the source.
func (d *decompressor) Close() error {
	if d.close != nil {
		d.close()
	}
	return nil
}

// decompress detects the compression of r by content and returns the
// decompressed stream. Memory stays bounded whatever the size: zstd runs
// in low-memory, single-goroutine mode with a bounded window.
func decompress(r io.Reader) (*decompressor, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read image artifact: %w", err)
	}
	kind, err := DetectCompression(head)
	if err != nil {
		return nil, err
	}
	d := &decompressor{kind: kind}
	switch kind {
	case CompressionNone:
		d.Reader = br
	case CompressionGzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("open gzip image artifact: %w", err)
		}
		d.Reader = zr
	case CompressionZstd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(1<<27))
		if err != nil {
			return nil, fmt.Errorf("open zstd image artifact: %w", err)
		}
		d.Reader, d.close = zr, zr.Close
	case CompressionLZ4:
		d.Reader = lz4.NewReader(br)
	case CompressionXZ:
		if err := checkXZDict(head); err != nil {
			return nil, err
		}
		// The guard walks every block header before the decoder sees
		// it, the scan catches one the decoder reads out of step with
		// the walk; the buffer keeps the decoder's 1-byte reads cheap.
		guarded := &xzScan{r: newXZGuard(br)}
		zr, err := xz.NewReader(bufio.NewReaderSize(guarded, 64<<10))
		if err != nil {
			return nil, fmt.Errorf("open xz image artifact: %w", err)
		}
		d.Reader = zr
	case CompressionBzip:
		d.Reader = bzip2.NewReader(br)
	}
	return d, nil
}
