package docker

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

// xzScan is the guard's second line, placed above xzGuard. The walk
// follows LZMA2 chunks by the sizes their headers declare, but the
// decoder (ulikunitz/xz) may stop reading a chunk's packed data early and
// read what follows as the next chunk header: a crafted chunk can hide,
// inside what the walk skips as packed data, a block end and a block
// header the decoder then parses. So xzScan looks at every byte offset,
// in sync or not, and refuses the stream where the bytes from that offset
// form a block header with a valid CRC32 asking for a dictionary over
// maxXZDict. It holds back the last 1 KiB (the largest block header) so
// that a header is whole before its first byte is handed on.
//
// A false refusal needs a 2^-32 CRC32 match on bytes that already look
// like such a header: none in practice.
type xzScan struct {
	r      io.Reader
	buf    [32 << 10]byte
	lo, hi int   // buf[lo:hi]: read, not yet handed on
	pos    int64 // offset of buf[lo] in the file
	err    error // from r (or the refusal), once buf[lo:hi] is handed on
}

const xzMaxBlockHeader = 1024

func (s *xzScan) Read(p []byte) (int, error) {
	if s.err == nil && s.hi-s.lo <= xzMaxBlockHeader {
		s.lo, s.hi = 0, copy(s.buf[:], s.buf[s.lo:s.hi])
		for s.err == nil && s.hi-s.lo <= xzMaxBlockHeader {
			n, err := s.r.Read(s.buf[s.hi:])
			s.hi += n
			s.err = err
			if n == 0 && err == nil {
				break // no progress: let the caller retry
			}
		}
	}
	end := s.hi
	if s.err == nil {
		end -= xzMaxBlockHeader
	}
	end = min(end, s.lo+len(p))
	if end <= s.lo {
		if s.lo == s.hi && s.err != nil {
			return 0, s.err
		}
		return 0, nil
	}
	for q := s.lo; q < end; q++ {
		// Cheap rejections first: a size byte, flags without reserved
		// bits, and (with no size fields) the LZMA2 id (0x21, or an
		// overlong encoding of it) right after the flags.
		if s.buf[q] == 0 || q+2 >= s.hi {
			continue
		}
		if f := s.buf[q+1]; f&0x3c != 0 || f&0xc3 == 0 && s.buf[q+2]&0x7f != 0x21 {
			continue
		}
		if dict := s.bigHeaderAt(q); dict > 0 {
			s.err = &xzDictError{dict: dict, where: fmt.Sprintf("block header at byte %d", s.pos+int64(q-s.lo))}
			s.hi, end = q, q
			break
		}
	}
	n := copy(p, s.buf[s.lo:end])
	s.lo += n
	s.pos += int64(n)
	return n, nil
}

// bigHeaderAt returns the dictionary size if buf[q:] starts with a block
// header (CRC32 valid) asking for more than maxXZDict, else 0.
func (s *xzScan) bigHeaderAt(q int) uint64 {
	b := s.buf[q:s.hi]
	if len(b) < 12 || b[0] == 0 || b[1]&0x3c != 0 {
		return 0 // too short for a header with a filter, or reserved flags set
	}
	size := (int(b[0]) + 1) * 4
	if size > len(b) {
		return 0 // the stream ends inside it: the decoder cannot parse it
	}
	blk, ok := parseXZBlockHeader(b[:size])
	if !ok || blk.dict <= maxXZDict || crc32.ChecksumIEEE(b[:size-4]) != binary.LittleEndian.Uint32(b[size-4:size]) {
		return 0
	}
	return blk.dict
}
