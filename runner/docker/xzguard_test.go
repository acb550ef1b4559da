package docker

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
)

// xzPayload is 240 KiB of noise and text: 15 blocks of 16 KiB, and LZMA2
// chunks of both kinds (compressed and stored).
func xzPayload() []byte {
	var b bytes.Buffer
	rng := rand.New(rand.NewPCG(1, 2))
	noise := func(n int) {
		p := make([]byte, n)
		for j := range p {
			p[j] = byte(rng.Uint32())
		}
		b.Write(p)
	}
	noise(40 << 10) // stored chunks
	for i := 0; b.Len() < 240<<10; i++ {
		fmt.Fprintf(&b, "line %d of the image artifact\n", i)
		if i%50 == 0 {
			noise(2000)
		}
	}
	return b.Bytes()[:240<<10]
}

// xzCmd runs the xz command on in (skipping the test without it).
func xzCmd(t testing.TB, in []byte, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("xz"); err != nil {
		t.Skip("xz (xz-utils) not installed")
	}
	cmd := exec.Command("xz", append([]string{"-c"}, args...)...)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xz %v: %v", args, err)
	}
	return out
}

// decodeXZ decompresses b with the decoder alone (guard false) or through
// decompress, and returns the output and the error text.
func decodeXZ(b []byte, guard bool) ([]byte, string) {
	var r io.Reader
	if guard {
		d, err := decompress(bytes.NewReader(b))
		if err != nil {
			return nil, err.Error()
		}
		r = d
	} else {
		zr, err := xz.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err.Error()
		}
		r = zr
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return out, err.Error()
	}
	return out, ""
}

// xzBlockOffsets lists where the block headers of the single stream b
// start, from its index (found through the footer's backward size).
func xzBlockOffsets(t testing.TB, b []byte) []int {
	t.Helper()
	foot := b[len(b)-12:]
	index := len(b) - 12 - (int(binary.LittleEndian.Uint32(foot[4:8]))+1)*4
	r := bytes.NewReader(b[index+1:])
	n, err := binary.ReadUvarint(r)
	if err != nil {
		t.Fatal(err)
	}
	offs, off := []int{}, 12
	for range n {
		unpadded, err1 := binary.ReadUvarint(r)
		_, err2 := binary.ReadUvarint(r)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		offs = append(offs, off)
		off += int(unpadded+3) &^ 3
	}
	return offs
}

// patchXZDict sets the dictionary code of the (last) LZMA2 filter of the
// block header at off and recomputes the header's CRC32, which the
// decoder checks: without it the decoder would refuse the header for the
// wrong reason.
func patchXZDict(t testing.TB, b []byte, off int, code byte) []byte {
	t.Helper()
	b = bytes.Clone(b)
	size := (int(b[off]) + 1) * 4
	h := b[off : off+size]
	r := bytes.NewReader(h[2 : size-4])
	for _, present := range []bool{h[1]&0x40 != 0, h[1]&0x80 != 0} {
		if present {
			binary.ReadUvarint(r)
		}
	}
	patched := false
	for range int(h[1]&3) + 1 {
		id, _ := binary.ReadUvarint(r)
		n, _ := binary.ReadUvarint(r)
		at := size - 4 - r.Len()
		if id == 0x21 && n == 1 {
			h[at], patched = code, true
		}
		r.Seek(int64(n), io.SeekCurrent)
	}
	if !patched {
		t.Fatalf("no LZMA2 filter in the block header at %d: % x", off, h)
	}
	binary.LittleEndian.PutUint32(h[size-4:], crc32.ChecksumIEEE(h[:size-4]))
	return b
}

// TestXZGuardPassesRealFiles: files from the xz command and from
// ulikunitz/xz's writer decompress through the guard exactly as through
// the decoder alone, and the guard walked every block of them.
func TestXZGuardPassesRealFiles(t *testing.T) {
	payload := xzPayload()
	small := payload[:50<<10]
	var lib bytes.Buffer
	w, err := xz.WriterConfig{BlockSize: 16 << 10, CheckSum: xz.SHA256}.NewWriter(&lib)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(payload)
	w.Close()
	cases := []struct {
		name   string
		file   []byte
		blocks int // block headers the guard must have checked; -1: do not count
	}{
		{"crc32", xzCmd(t, payload, "-1", "-C", "crc32", "--block-size=16KiB"), 15},
		{"crc64", xzCmd(t, payload, "-C", "crc64", "--block-size=16KiB"), 15},
		{"sha256", xzCmd(t, payload, "-C", "sha256", "--block-size=16KiB"), 15},
		{"none", xzCmd(t, payload, "-C", "none", "--block-size=16KiB"), 15},
		{"one block", xzCmd(t, payload), 1},
		{"threads (sizes in headers)", xzCmd(t, payload, "-T2", "--block-size=16KiB"), 15},
		{"concatenated and padded", concat(xzCmd(t, small, "--block-size=16KiB"), make([]byte, 4), xzCmd(t, payload, "-C", "crc32"), make([]byte, 8)), 5},
		{"empty", xzCmd(t, nil), 0},
		{"empty twice", concat(xzCmd(t, nil), xzCmd(t, nil)), 0},
		{"x86 filter (the decoder refuses it)", xzCmd(t, payload, "--x86", "--lzma2"), 1},
		{"ulikunitz writer", lib.Bytes(), 15},
		{"truncated", xzCmd(t, payload, "--block-size=16KiB")[:30000], -1},
		{"odd stream padding", concat(xzCmd(t, small), []byte{0, 0}), -1},
	}
	for _, c := range cases {
		want, wantErr := decodeXZ(c.file, false)
		got, gotErr := decodeXZ(c.file, true)
		if !bytes.Equal(got, want) || gotErr != wantErr {
			t.Errorf("%s: through the guard %d bytes, err %q; the decoder alone %d bytes, err %q", c.name, len(got), gotErr, len(want), wantErr)
		}
		if c.blocks < 0 {
			continue
		}
		g := newXZGuard(bytes.NewReader(c.file))
		if n, err := io.Copy(io.Discard, g); err != nil || n != int64(len(c.file)) || g.headers != c.blocks {
			t.Errorf("%s: guard passed %d of %d bytes, err %v, %d block headers (want %d)", c.name, n, len(c.file), err, g.headers, c.blocks)
		}
	}
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestXZDictionaryBoundEveryBlock: a block after the first, in the first
// stream or a later one, asking for a 1 GiB dictionary is refused by the
// guard before the decoder sees its header, so the decoder never
// allocates it. (The check of the first block alone let these through.)
func TestXZDictionaryBoundEveryBlock(t *testing.T) {
	payload := xzPayload()
	plain := xzCmd(t, payload, "-1", "-C", "crc32", "--block-size=16KiB")
	threads := xzCmd(t, payload, "-1", "-T2", "--block-size=16KiB")
	x86 := xzCmd(t, payload, "--x86", "--lzma2=preset=1")
	first := xzCmd(t, payload[:16<<10], "-1")
	if offs := xzBlockOffsets(t, plain); len(offs) < 3 {
		t.Fatalf("%d blocks, want several", len(offs))
	}
	// The patching is sound: a 12 MiB dictionary (code 23) in block 2
	// decodes, so the CRC the decoder checks is right.
	ok := patchXZDict(t, plain, xzBlockOffsets(t, plain)[1], 23)
	if got, err := decodeXZ(ok, false); err != "" || !bytes.Equal(got, payload) {
		t.Fatalf("block 2 with a 12 MiB dictionary: %d bytes, err %q", len(got), err)
	}
	if got, err := decodeXZ(ok, true); err != "" || !bytes.Equal(got, payload) {
		t.Fatalf("through the guard, block 2 with a 12 MiB dictionary: %d bytes, err %q", len(got), err)
	}
	cases := []struct {
		name, where string
		file        []byte
		before      int // bytes decompressed before the refusal
	}{
		{"second block", "(stream 1, block 2)", patchXZDict(t, plain, xzBlockOffsets(t, plain)[1], 36), 16 << 10},
		{"last block", "(stream 1, block 15)", patchXZDict(t, plain, xzBlockOffsets(t, plain)[14], 36), 14 * 16 << 10},
		{"second block, sizes in headers", "(stream 1, block 2)", patchXZDict(t, threads, xzBlockOffsets(t, threads)[1], 36), 16 << 10},
		{"second stream", "(stream 2, block 1)", concat(first, make([]byte, 4), patchXZDict(t, plain, 12, 36)), 16 << 10},
		{"x86 filter", "(stream 1, block 1)", patchXZDict(t, x86, 12, 36), 0},
	}
	for _, c := range cases {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got, err := decodeXZ(c.file, true)
		runtime.ReadMemStats(&after)
		if !strings.Contains(err, "asks for a 1024 MiB dictionary "+c.where) {
			t.Errorf("%s: err %q", c.name, err)
		}
		if len(got) != c.before || !bytes.Equal(got, payload[:len(got)]) {
			t.Errorf("%s: %d bytes before the refusal, want %d", c.name, len(got), c.before)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 128<<20 {
			t.Errorf("%s: allocated %d MiB decoding it", c.name, alloc>>20)
		}
	}
}

// TestXZDictionaryBoundOutOfStep: an LZMA chunk whose header declares more
// packed bytes than its data uses. The decoder stops at the end of the
// data and reads the rest as the block end and a block header asking for
// 1 GiB, which the walk skips as packed data; the scan refuses it.
func TestXZDictionaryBoundOutOfStep(t *testing.T) {
	payload := xzPayload()[100000:103000] // text: one LZMA chunk
	f := xzCmd(t, payload, "-1", "-C", "crc32")
	if f[12] != 2 || f[24] < 0xe0 {
		t.Fatalf("want a 12-byte block header and an LZMA chunk with props: % x", f[:32])
	}
	packed := int(binary.BigEndian.Uint16(f[27:29])) + 1
	// What the decoder reads after the chunk's real data.
	hidden := []byte{0}                                       // end of the LZMA2 data
	hidden = append(hidden, make([]byte, -(6+packed+1)&3)...) // block padding
	hidden = binary.LittleEndian.AppendUint32(hidden, crc32.ChecksumIEEE(payload))
	hdr := []byte{2, 0, 0x21, 1, 36, 0, 0, 0}
	hidden = append(hidden, binary.LittleEndian.AppendUint32(hdr, crc32.ChecksumIEEE(hdr))...)
	chunk := bytes.Clone(f[24:30])
	binary.BigEndian.PutUint16(chunk[3:5], uint16(packed+len(hidden)-1))
	file := concat(f[:24], chunk, f[30:30+packed], hidden, make([]byte, 64))

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := decodeXZ(file, true)
	runtime.ReadMemStats(&after)
	if !strings.Contains(err, "asks for a 1024 MiB dictionary (block header at byte") || !bytes.Equal(got, payload) {
		t.Errorf("%d bytes, err %q", len(got), err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 128<<20 {
		t.Errorf("allocated %d MiB decoding it", alloc>>20)
	}
}
