package secrets

import (
	"path"
	"strings"
	"unicode/utf8"
)

// binaryExt are formats that never hold text secrets worth a regex pass.
// Path-only rules (e.g. .p12 files) still see them. Executables and
// libraries are not among them: their heads say so, and they are searched
// for exact-shaped credentials (scanBinary).
var binaryExt = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".bmp": true, ".ico": true,
	".webp": true, ".tif": true, ".tiff": true, ".woff": true, ".woff2": true, ".ttf": true,
	".otf": true, ".eot": true, ".zip": true, ".gz": true, ".tgz": true, ".bz2": true,
	".xz": true, ".zst": true, ".7z": true, ".rar": true, ".tar": true, ".jar": true,
	".war": true, ".ear": true, ".class": true, ".a": true, ".wasm": true, ".pyc": true,
	".pyo": true, ".whl": true, ".egg": true, ".pdf": true, ".mp3": true, ".mp4": true,
	".mov": true, ".avi": true, ".wav": true, ".ogg": true, ".sqlite": true, ".db": true,
	".bin": true, ".dat": true, ".pak": true, ".deb": true, ".rpm": true, ".iso": true,
	".img": true, ".pb": true, ".onnx": true, ".pt": true, ".npy": true, ".parquet": true,
}

func binaryByName(p string) bool {
	return binaryExt[strings.ToLower(path.Ext(p))]
}

// looksBinary checks the first 8 KiB: any NUL byte, or more than 10% of
// bytes outside valid UTF-8.
func looksBinary(b []byte) bool {
	head := b[:min(len(b), 8<<10)]
	bad := 0
	for i := 0; i < len(head); {
		c := head[i]
		if c == 0 {
			return true
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && size == 1 {
			// A rune cut at the 8 KiB boundary is not evidence.
			if len(head)-i < utf8.UTFMax && len(b) > len(head) {
				break
			}
			bad++
		}
		i += size
	}
	return bad*10 > len(head)
}
