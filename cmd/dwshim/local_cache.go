package main

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// defaultImageCacheBytes bounds the downloaded image artifacts dwshim local
// keeps (DWSHIM_IMAGE_CACHE_BYTES overrides; 0 keeps everything).
const defaultImageCacheBytes = 20 << 30

// imageCacheBound is the size bound of the local image download cache.
func imageCacheBound() int64 {
	if v := os.Getenv("DWSHIM_IMAGE_CACHE_BYTES"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			return n
		}
	}
	return defaultImageCacheBytes
}

// evictImages removes the least recently used downloads of dir (by
// modification time, which a cache hit refreshes) until the rest fit in
// max bytes. keep (the download just made) is never removed, even when it
// alone is larger; nor are partial downloads.
func evictImages(dir string, max int64, keep string, logf func(string, ...any)) {
	if max <= 0 {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type file struct {
		path  string
		size  int64
		mtime int64
	}
	var files []file
	var total int64
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasSuffix(e.Name(), ".part") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		files = append(files, file{filepath.Join(dir, e.Name()), info.Size(), info.ModTime().UnixNano()})
		total += info.Size()
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mtime < files[j].mtime })
	for _, f := range files {
		if total <= max {
			return
		}
		if f.path == keep {
			continue
		}
		if os.Remove(f.path) == nil {
			total -= f.size
			logf("Removed an older downloaded image (%d bytes) to keep the image cache within %d bytes", f.size, max)
		}
	}
}
