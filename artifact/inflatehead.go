package artifact

// inflateHead decodes the first n bytes of the raw deflate stream in src.
// A full inflater decodes up to 32 KB before its first read returns, which
// made sniffing a zip's entries for executable magic cost as much as
// inflating most of them; this stops after n bytes. ok is false when src
// ends first or holds anything a strict inflater might refuse: the caller
// then reads the entry the ordinary way, which reports the error.
func inflateHead(src []byte, n int) (out []byte, ok bool) {
	d := headDecoder{src: src}
	out = make([]byte, 0, n)
	for len(out) < n {
		final, ok1 := d.bits(1)
		typ, ok2 := d.bits(2)
		if !ok1 || !ok2 {
			return nil, false
		}
		switch typ {
		case 0:
			d.bitBuf, d.bitCnt = 0, 0 // to the byte boundary
			if d.pos+4 > len(d.src) {
				return nil, false
			}
			l := int(d.src[d.pos]) | int(d.src[d.pos+1])<<8
			nl := int(d.src[d.pos+2]) | int(d.src[d.pos+3])<<8
			d.pos += 4
			if l != ^nl&0xffff {
				return nil, false
			}
			take := min(l, n-len(out))
			if d.pos+take > len(d.src) {
				return nil, false
			}
			out = append(out, d.src[d.pos:d.pos+take]...)
			d.pos += l
		case 1:
			if !d.codes(&fixedLit, &fixedDist, &out, n) {
				return nil, false
			}
		case 2:
			var lit, dist huffman
			if !d.dynamic(&lit, &dist) || !d.codes(&lit, &dist, &out, n) {
				return nil, false
			}
		default:
			return nil, false
		}
		if final == 1 && len(out) < n {
			return out, true // the whole stream is shorter than n
		}
	}
	return out[:n], true
}

type headDecoder struct {
	src    []byte
	pos    int
	bitBuf uint32
	bitCnt uint
}

func (d *headDecoder) bits(n uint) (uint32, bool) {
	for d.bitCnt < n {
		if d.pos >= len(d.src) {
			return 0, false
		}
		d.bitBuf |= uint32(d.src[d.pos]) << d.bitCnt
		d.pos++
		d.bitCnt += 8
	}
	v := d.bitBuf & (1<<n - 1)
	d.bitBuf >>= n
	d.bitCnt -= n
	return v, true
}

// huffman is a canonical code as RFC 1951 builds it: how many codes of each
// length, and the symbols in code order.
type huffman struct {
	count  [16]uint16
	symbol [288]uint16
}

// build makes the code from symbol lengths. Only complete codes pass, and
// the one-code distance tree encoders write for a block without matches:
// what compress/flate accepts.
func (h *huffman) build(lengths []uint8) bool {
	h.count = [16]uint16{}
	for _, l := range lengths {
		h.count[l]++
	}
	used := len(lengths) - int(h.count[0])
	left := 1
	for l := 1; l < 16; l++ {
		left = left<<1 - int(h.count[l])
		if left < 0 {
			return false // over-subscribed
		}
	}
	if left > 0 && !(used == 1 && h.count[1] == 1) && used != 0 {
		return false // incomplete
	}
	var offs [16]uint16
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	for s, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	return true
}

// decode reads one symbol bit by bit (puff's way): a handful of symbols per
// entry, not worth a lookup table.
func (d *headDecoder) decode(h *huffman) (int, bool) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		b, ok := d.bits(1)
		if !ok {
			return 0, false
		}
		code |= int(b)
		count := int(h.count[l])
		if code-count < first {
			return int(h.symbol[index+code-first]), true
		}
		index += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0, false
}

var lenBase = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
var lenExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
var distBase = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
var distExtra = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}

var fixedLit, fixedDist = func() (huffman, huffman) {
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	var lit, dist huffman
	lit.build(l[:])
	var dl [30]uint8
	for i := range dl {
		dl[i] = 5
	}
	// 30 codes of length 5 are incomplete (32 fit): built without the check.
	for _, x := range dl {
		dist.count[x]++
	}
	for s := range dl {
		dist.symbol[s] = uint16(s)
	}
	return lit, dist
}()

// codes decodes a compressed block until its end or until out holds n bytes.
func (d *headDecoder) codes(lit, dist *huffman, out *[]byte, n int) bool {
	for len(*out) < n {
		sym, ok := d.decode(lit)
		if !ok {
			return false
		}
		switch {
		case sym < 256:
			*out = append(*out, byte(sym))
		case sym == 256:
			return true
		default:
			sym -= 257
			if sym >= 29 {
				return false
			}
			e, ok := d.bits(uint(lenExtra[sym]))
			if !ok {
				return false
			}
			length := int(lenBase[sym]) + int(e)
			ds, ok := d.decode(dist)
			if !ok || ds >= 30 {
				return false
			}
			e, ok = d.bits(uint(distExtra[ds]))
			if !ok {
				return false
			}
			back := int(distBase[ds]) + int(e)
			if back > len(*out) {
				return false // before the stream's start
			}
			for i := 0; i < length && len(*out) < n; i++ {
				*out = append(*out, (*out)[len(*out)-back])
			}
		}
	}
	return true
}

var clenOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// dynamic reads a dynamic block's code tables.
func (d *headDecoder) dynamic(lit, dist *huffman) bool {
	hlit, ok1 := d.bits(5)
	hdist, ok2 := d.bits(5)
	hclen, ok3 := d.bits(4)
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	nlit, ndist := int(hlit)+257, int(hdist)+1
	if nlit > 286 || ndist > 30 {
		return false
	}
	var cl [19]uint8
	for i := 0; i < int(hclen)+4; i++ {
		v, ok := d.bits(3)
		if !ok {
			return false
		}
		cl[clenOrder[i]] = uint8(v)
	}
	var clh huffman
	if !clh.build(cl[:]) {
		return false
	}
	var lengths [316]uint8
	for i := 0; i < nlit+ndist; {
		sym, ok := d.decode(&clh)
		if !ok {
			return false
		}
		if sym < 16 {
			lengths[i] = uint8(sym)
			i++
			continue
		}
		var val uint8
		var rep uint32
		switch sym {
		case 16:
			if i == 0 {
				return false
			}
			val = lengths[i-1]
			rep, ok = d.bits(2)
			rep += 3
		case 17:
			rep, ok = d.bits(3)
			rep += 3
		default:
			rep, ok = d.bits(7)
			rep += 11
		}
		if !ok || i+int(rep) > nlit+ndist {
			return false
		}
		for ; rep > 0; rep-- {
			lengths[i] = val
			i++
		}
	}
	if lengths[256] == 0 {
		return false // no end-of-block code
	}
	return lit.build(lengths[:nlit]) && dist.build(lengths[nlit:nlit+ndist])
}
