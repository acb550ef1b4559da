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

// maxXZDict bounds the LZMA2 dictionary an xz artifact may ask for (the
// decoder allocates it whole): 4× xz -9's 64 MiB.
const maxXZDict = 256 << 20

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
		zr, err := xz.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("open xz image artifact: %w", err)
		}
		d.Reader = zr
	case CompressionBzip:
		d.Reader = bzip2.NewReader(br)
	}
	return d, nil
}

// checkXZDict refuses an xz stream whose first block asks for a dictionary
// over maxXZDict. (The blocks after it are not checked: `xz` writes one
// block, and `xz -T` blocks share the encoder's setting.)
func checkXZDict(head []byte) error {
	const streamHeader = 12
	if len(head) < streamHeader+2 || head[streamHeader] == 0 {
		return nil // no block (an empty stream) or too short: the decoder decides
	}
	end := streamHeader + (int(head[streamHeader])+1)*4
	if end > len(head) {
		return nil
	}
	b := head[streamHeader+2 : end]
	flags := head[streamHeader+1]
	varint := func() (uint64, bool) {
		var v uint64
		for i := 0; i < 9 && len(b) > 0; i++ {
			c := b[0]
			b = b[1:]
			v |= uint64(c&0x7f) << (7 * i)
			if c&0x80 == 0 {
				return v, true
			}
		}
		return 0, false
	}
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} {
		if present {
			if _, ok := varint(); !ok {
				return nil
			}
		}
	}
	for range int(flags&3) + 1 {
		id, ok1 := varint()
		n, ok2 := varint()
		if !ok1 || !ok2 || uint64(len(b)) < n {
			return nil
		}
		props := b[:n]
		b = b[n:]
		if id == 0x21 && n == 1 {
			code := props[0]
			if code > 40 {
				return nil
			}
			dict := uint64(2|code&1) << (code/2 + 11)
			if code == 40 || dict > maxXZDict {
				return fmt.Errorf("xz image artifact asks for a %d MiB dictionary; at most %d MiB is accepted (recompress with xz -9 or lower)", dict>>20, maxXZDict>>20)
			}
		}
	}
	return nil
}
