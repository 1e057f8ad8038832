package secrets

// keywordDFA finds every occurrence of a set of keywords in one pass over a
// text: an Aho-Corasick automaton whose failure links are folded into a
// dense transition table. Columns are the keywords' own bytes (every other
// byte is one column), so the table for gitleaks' ~300 keywords is a few
// hundred KB where a 256-wide table of int64s is 12 MB, and each byte costs
// one lookup with no failure chain to follow. Matching ignores ASCII case
// (the text needs no lower-cased copy): keywords are taken lower-cased.
type keywordDFA struct {
	class [256]uint8
	width uint32
	// next[row+class] is the next state's row (state*width) shifted left
	// once, with the low bit set when that state ends a keyword.
	next []uint32
	// outs[outAt[s]:outAt[s+1]] are the keywords ending at state s.
	outAt []uint32
	outs  []int32
	lens  []int32
}

func newKeywordDFA(keywords []string) *keywordDFA {
	d := &keywordDFA{lens: make([]int32, len(keywords))}
	var used [256]bool
	for _, k := range keywords {
		for i := range len(k) {
			used[lowerByte(k[i])] = true
		}
	}
	cols := uint32(1) // column 0: bytes in no keyword
	for b := range 256 {
		if used[b] {
			d.class[b] = uint8(cols)
			cols++
		}
	}
	for b := byte('A'); b <= 'Z'; b++ {
		d.class[b] = d.class[b+'a'-'A']
	}
	d.width = cols
	// The trie, as rows of the table; 0 is both the root and "no child",
	// since no edge leads back to the root.
	tbl := make([]uint32, cols)
	own := [][]int32{nil}
	for id, k := range keywords {
		d.lens[id] = int32(len(k))
		if k == "" {
			continue
		}
		s := uint32(0)
		for i := range len(k) {
			c := uint32(d.class[k[i]]) // A-Z share a-z's columns
			if tbl[s*cols+c] == 0 {
				tbl[s*cols+c] = uint32(len(own))
				tbl = append(tbl, make([]uint32, cols)...)
				own = append(own, nil)
			}
			s = tbl[s*cols+c]
		}
		own[s] = append(own[s], int32(id))
	}
	n := uint32(len(own))
	// Breadth first, each state's failure row is complete before its
	// children need it: a missing edge becomes the failure state's edge.
	fail := make([]uint32, n)
	outs := make([][]int32, n)
	queue := make([]uint32, 0, n)
	for c := range cols {
		if u := tbl[c]; u != 0 {
			queue = append(queue, u)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		outs[s] = append(own[s], outs[fail[s]]...)
		for c := range cols {
			u := tbl[s*cols+c]
			if u == 0 {
				tbl[s*cols+c] = tbl[fail[s]*cols+c]
				continue
			}
			fail[u] = tbl[fail[s]*cols+c]
			queue = append(queue, u)
		}
	}
	d.outAt = make([]uint32, n+1)
	for s := range n {
		d.outAt[s+1] = d.outAt[s] + uint32(len(outs[s]))
		d.outs = append(d.outs, outs[s]...)
	}
	for i, u := range tbl {
		v := u * cols << 1
		if len(outs[u]) > 0 {
			v |= 1
		}
		tbl[i] = v
	}
	d.next = tbl
	return d
}

// walk calls fn with the start offset and id of every keyword occurrence,
// overlapping ones included, in order of where they end.
func (d *keywordDFA) walk(text string, fn func(start int, id int32)) {
	row := uint32(0)
	for i := range len(text) {
		v := d.next[row+uint32(d.class[text[i]])]
		row = v >> 1
		if v&1 != 0 {
			s := row / d.width
			for _, id := range d.outs[d.outAt[s]:d.outAt[s+1]] {
				fn(i-int(d.lens[id])+1, id)
			}
		}
	}
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
