package docker

import (
	"bytes"
	"fmt"
	"io"
)

// maxXZDict bounds the LZMA2 dictionary an xz artifact may ask for (the
// decoder allocates it whole, at the size a block header asks for): 4× xz
// -9's 64 MiB.
const maxXZDict = 256 << 20

// xzDictError: a block asks for a dictionary over maxXZDict.
type xzDictError struct {
	dict  uint64
	where string // "stream 1, block 2"
}

func (e *xzDictError) Error() string {
	return fmt.Sprintf("xz image artifact asks for a %d MiB dictionary (%s); at most %d MiB is accepted (recompress with xz -9 or lower)",
		e.dict>>20, e.where, maxXZDict>>20)
}

func blockDictError(dict uint64, stream, block int) error {
	return &xzDictError{dict: dict, where: fmt.Sprintf("stream %d, block %d", stream, block)}
}

// xzBlock is what the guard needs from a block header.
type xzBlock struct {
	compressed int64 // the compressed size field, or -1 when absent
	lzma2Last  bool  // the last filter is LZMA2: the data is LZMA2 chunks
	dict       uint64
}

// parseXZBlockHeader reads a whole block header h ((h[0]+1)*4 bytes, CRC
// not checked: the decoder does). ok is false if the header is not one
// the guard can follow. Varints are read as the decoder reads them
// (up to 10 bytes, overlong encodings accepted), so the filter the
// decoder sees is the one checked here.
func parseXZBlockHeader(h []byte) (blk xzBlock, ok bool) {
	blk.compressed = -1
	if len(h) < 8 || len(h) != (int(h[0])+1)*4 {
		return blk, false
	}
	flags := h[1]
	b := h[2 : len(h)-4]
	varint := func() (uint64, bool) {
		var v uint64
		for i := 0; i < 10 && len(b) > 0; i++ {
			c := b[0]
			b = b[1:]
			v |= uint64(c&0x7f) << (7 * i)
			if c&0x80 == 0 {
				return v, true
			}
		}
		return 0, false
	}
	if flags&0x40 != 0 {
		v, ok := varint()
		if !ok || v >= 1<<63 {
			return blk, false
		}
		blk.compressed = int64(v)
	}
	if flags&0x80 != 0 {
		if _, ok := varint(); !ok {
			return blk, false
		}
	}
	for range int(flags&3) + 1 {
		id, ok1 := varint()
		n, ok2 := varint()
		if !ok1 || !ok2 || uint64(len(b)) < n {
			return blk, false
		}
		props := b[:n]
		b = b[n:]
		blk.lzma2Last = id == 0x21
		if id == 0x21 {
			if n != 1 || props[0] > 40 {
				return blk, false
			}
			blk.dict = max(blk.dict, xzDictSize(props[0]))
		}
	}
	return blk, true
}

// xzDictSize decodes an LZMA2 dictionary size code (0..40).
func xzDictSize(code byte) uint64 {
	if code >= 40 {
		return 1<<32 - 1
	}
	return uint64(2|code&1) << (code/2 + 11)
}

// checkXZDict refuses, before anything is read past head, an xz stream
// whose first block header (if head holds it) asks for a dictionary over
// maxXZDict. The guard checks every block as the stream flows.
func checkXZDict(head []byte) error {
	const streamHeader = 12
	if len(head) <= streamHeader || head[streamHeader] == 0 {
		return nil
	}
	end := streamHeader + (int(head[streamHeader])+1)*4
	if end > len(head) {
		return nil
	}
	if blk, ok := parseXZBlockHeader(head[streamHeader:end]); ok && blk.dict > maxXZDict {
		return blockDictError(blk.dict, 1, 1)
	}
	return nil
}

// xzGuard passes an xz file through unchanged while it walks the
// container (stream headers, block headers, LZMA2 chunk headers, index,
// footers, padding) from the headers alone, and fails with an
// *xzDictError before it hands on a block header asking for a dictionary
// over maxXZDict, in any block of any stream. It holds at most one block
// header (1 KiB) at a time.
//
// It is a guard, not a validator: when the structure is not one it can
// follow, it hands on the unit it could not follow (so the decoder reports
// the damage in its own words) and then fails closed, since past that
// point it no longer knows where block headers are. The walk trusts the
// sizes chunk headers declare, which the decoder does not always read to
// the end: xzScan, above it, covers that.
type xzGuard struct {
	r   io.Reader
	buf [1024]byte
	out []byte // checked bytes not yet handed on (in buf)
	// skip counts opaque bytes (chunk data, compressed block data) to pass
	// straight through before the next unit.
	skip  int64
	state xzState
	err   error // returned once out and skip are drained

	check         int   // check field size of the current stream
	stream, block int   // 1-based, for messages
	blockLen      int64 // compressed data of the current block so far
	blocks        uint64
	varints       uint64 // index varints left (count, then 2 per record)
	indexLen      int64
	pos           int64 // bytes taken from r, for messages
	headers       int   // block headers checked, all streams
}

type xzState int

const (
	xzStreamHeader xzState = iota
	xzBlockOrIndex
	xzChunk
	xzBlockEnd
	xzIndexCount
	xzIndexRecords
	xzIndexEnd
	xzFooter
	xzStreamPadding
)

func newXZGuard(r io.Reader) *xzGuard { return &xzGuard{r: r, stream: 1} }

func (g *xzGuard) Read(p []byte) (int, error) {
	for len(g.out) == 0 && g.skip == 0 {
		if g.err != nil {
			return 0, g.err
		}
		g.step()
	}
	if len(g.out) > 0 {
		n := copy(p, g.out)
		g.out = g.out[n:]
		return n, nil
	}
	if int64(len(p)) > g.skip {
		p = p[:g.skip]
	}
	n, err := g.r.Read(p)
	g.skip -= int64(n)
	g.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil // seen again on the next read
	}
	return n, err
}

// take appends n bytes of r to out; false (with err set) if r ended or
// failed first: what was read is still handed on, then r's error.
func (g *xzGuard) take(n int) bool {
	k := len(g.out)
	m, err := io.ReadFull(g.r, g.buf[k:k+n])
	g.out = g.buf[:k+m]
	g.pos += int64(m)
	if err != nil {
		if err == io.ErrUnexpectedEOF || (err == io.EOF && k > 0) {
			err = io.EOF // the decoder names the truncation itself
		}
		g.err = err
		return false
	}
	return true
}

// lost hands on the unit in out and fails closed after it.
func (g *xzGuard) lost(what string) {
	g.err = fmt.Errorf("xz image artifact: cannot follow its structure at byte %d (%s)", g.pos, what)
}

// step reads and checks the next unit into out (or sets skip or err).
func (g *xzGuard) step() {
	g.out = g.buf[:0]
	switch g.state {
	case xzStreamHeader:
		g.streamHeader(0)
	case xzStreamPadding:
		if !g.take(4) {
			return
		}
		if !bytes.Equal(g.out, []byte{0, 0, 0, 0}) {
			g.streamHeader(4)
		}
	case xzBlockOrIndex:
		g.blockHeader()
	case xzChunk:
		g.chunk()
	case xzBlockEnd:
		if g.take(int(-g.blockLen&3) + g.check) {
			if !allZero(g.out[:-g.blockLen&3]) {
				g.lost("block padding is not zero")
				return
			}
			g.blocks++
			g.block++
			g.state = xzBlockOrIndex
		}
	case xzIndexCount, xzIndexRecords:
		v, ok := g.varint()
		switch {
		case !ok:
		case g.state == xzIndexCount && v != g.blocks:
			g.lost("index record count differs from the blocks")
		case g.state == xzIndexCount:
			g.varints, g.state = 2*v, xzIndexRecords
		default:
			g.varints--
		}
		if ok && g.varints == 0 && g.err == nil {
			g.state = xzIndexEnd
		}
	case xzIndexEnd:
		if g.take(int(-g.indexLen&3) + 4) {
			g.state = xzFooter
		}
	case xzFooter:
		if g.take(12) {
			g.state = xzStreamPadding
		}
	}
}

// streamHeader reads a stream header, of which have bytes are in out.
func (g *xzGuard) streamHeader(have int) {
	if !g.take(12 - have) {
		return
	}
	if !bytes.HasPrefix(g.out, magicXZ) {
		g.lost("no xz stream header")
		return
	}
	if t := g.out[7] & 0x0f; t == 0 {
		g.check = 0
	} else {
		g.check = 4 << ((t - 1) / 3)
	}
	if g.state == xzStreamPadding {
		g.stream++
	}
	g.blocks, g.block, g.state = 0, 1, xzBlockOrIndex
}

func (g *xzGuard) blockHeader() {
	if !g.take(1) {
		return
	}
	if g.out[0] == 0 {
		g.indexLen, g.state = 1, xzIndexCount
		return
	}
	if !g.take(int(g.out[0])*4 + 3) {
		return
	}
	blk, ok := parseXZBlockHeader(g.out)
	g.headers++
	switch {
	case ok && blk.dict > maxXZDict:
		g.out = nil
		g.err = blockDictError(blk.dict, g.stream, g.block)
	case ok && blk.compressed >= 0:
		// The decoder checks that the block's data is exactly this long.
		g.skip, g.blockLen, g.state = blk.compressed, blk.compressed, xzBlockEnd
	case ok && blk.lzma2Last:
		g.blockLen, g.state = 0, xzChunk
	default:
		g.lost("block header not understood")
	}
}

// chunk reads an LZMA2 chunk header and skips the chunk's data.
func (g *xzGuard) chunk() {
	if !g.take(1) {
		return
	}
	c := g.out[0]
	switch {
	case c == 0:
		g.blockLen++
		g.state = xzBlockEnd
	case c == 1 || c == 2:
		if g.take(2) {
			g.skip = int64(g.out[1])<<8 | int64(g.out[2]) + 1
			g.blockLen += 3 + g.skip
		}
	case c >= 0x80:
		n := 5
		if c >= 0xc0 {
			n = 6
		}
		if g.take(n - 1) {
			g.skip = int64(g.out[3])<<8 | int64(g.out[4]) + 1
			g.blockLen += int64(n) + g.skip
		}
	default:
		g.lost("bad LZMA2 chunk")
	}
}

// varint reads one index varint (as the decoder does: at most 10 bytes).
func (g *xzGuard) varint() (uint64, bool) {
	var v uint64
	for i := range 10 {
		if !g.take(1) {
			return 0, false
		}
		c := g.out[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			g.indexLen += int64(i + 1)
			return v, true
		}
	}
	g.lost("index varint too long")
	return 0, false
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
